"""A real Label Studio Community server on loopback for the review tests (and bench/review.py).

Label Studio lives in its own virtual environment (scripts/setup_review_tools.sh makes it: its pins clash with
ours).  The server gets a fresh data folder (SQLite), a media root served as local files, a lead user whose
legacy API token is set through the environment, and more users made with `label-studio init` on the same
data folder — annotators and a reviewer, each with their own token and password.
"""

from __future__ import annotations

import ast
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

VENV = Path(os.environ.get("FDA_LABEL_STUDIO_VENV", Path.home() / ".local/share/fdacli/label-studio"))
SETUP = "bash scripts/setup_review_tools.sh"


def binary() -> Path | None:
    exe = VENV / "bin" / "label-studio"
    return exe if exe.is_file() else None


@dataclass
class User:
    email: str
    password: str
    token: str


@dataclass
class Server:
    url: str
    media_root: Path
    data: Path
    log: Path
    proc: subprocess.Popen
    users: dict[str, User] = field(default_factory=dict)

    def env(self, who: str = "lead") -> dict[str, str]:
        """What a user's shell would hold to run `fda review` against this server."""
        return {"LABEL_STUDIO_URL": self.url, "LABEL_STUDIO_API_KEY": self.users[who].token,
                "LOCAL_FILES_DOCUMENT_ROOT": str(self.media_root)}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _base_env(data: Path, media_root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "DJANGO_"))}
    env.update(LABEL_STUDIO_BASE_DATA_DIR=str(data), LOCAL_FILES_SERVING_ENABLED="true",
               LOCAL_FILES_DOCUMENT_ROOT=str(media_root), LATEST_VERSION_CHECK="false",
               LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true", COLLECT_ANALYTICS="false", PYTHONWARNINGS="ignore")
    return env


def start(root: Path, annotators: int = 3, timeout: float = 400.0) -> Server:
    """Start the server under ``root`` and make the users: ``lead`` (owner of the projects), ``ann1``.. and
    ``reviewer``.  Raises RuntimeError with the log's tail when it does not come up."""
    exe = binary()
    if exe is None:
        raise RuntimeError(f"Label Studio is not installed in {VENV}: run `{SETUP}`")
    data, media_root, log = root / "data", root / "media", root / "label-studio.log"
    data.mkdir(parents=True, exist_ok=True)
    media_root.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    lead = User("lead@example.org", "lead-" + secrets.token_hex(6), secrets.token_hex(20))
    env = _base_env(data, media_root)
    with open(log, "wb") as fh:
        proc = subprocess.Popen([str(exe), "start", "--no-browser", "--internal-host", "127.0.0.1", "-p", str(port)],
                                env={**env, "LABEL_STUDIO_USERNAME": lead.email, "LABEL_STUDIO_PASSWORD": lead.password,
                                     "LABEL_STUDIO_USER_TOKEN": lead.token},
                                stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    srv = Server(f"http://127.0.0.1:{port}", media_root, data, log, proc, {"lead": lead})
    try:
        _wait(srv, timeout)
        names = [f"ann{k}" for k in range(1, annotators + 1)] + ["reviewer"]
        for name in names:
            srv.users[name] = _add_user(exe, env, f"{name}@example.org")
    except BaseException:
        srv.stop()
        raise
    return srv


def _wait(srv: Server, timeout: float) -> None:
    """Until /health answers on our port and our lead's token is accepted (a busy port would make Label Studio
    move to another one silently: then this fails instead of talking to someone else's server)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if srv.proc.poll() is not None:
            raise RuntimeError(f"Label Studio exited ({srv.proc.returncode}):\n{tail(srv.log)}")
        try:
            req = urllib.request.Request(srv.url + "/api/current-user/whoami",
                                         headers={"Authorization": f"Token {srv.users['lead'].token}"})
            with urllib.request.urlopen(req, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1.0)
    raise RuntimeError(f"Label Studio did not answer within {timeout:.0f} s:\n{tail(srv.log)}")


def _add_user(exe: Path, env: dict[str, str], email: str) -> User:
    password = "pw-" + secrets.token_hex(6)
    subprocess.run([str(exe), "init", "-q", "--username", email, "--password", password], env=env, check=True,
                   capture_output=True, timeout=180, stdin=subprocess.DEVNULL)
    out = subprocess.run([str(exe), "user", "--username", email], env=env, check=True, capture_output=True, text=True,
                         timeout=180, stdin=subprocess.DEVNULL).stdout
    info = next(ast.literal_eval(line[line.index("{"):]) for line in out.splitlines() if "'token'" in line)
    return User(email, password, info["token"])


def tail(path: Path, n: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return "(no log)"


def chromium() -> tuple[str, str] | None:
    """Debian's chromium and its driver, when installed."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None
