"""Run README.md's examples as a reader would, one after the other in one shell and one folder, and compare
what every command prints with what README shows.

What runs. A fenced block whose lines start with ``$ `` is a shell session: each ``$ `` line is a command (a
line ending in a backslash goes on to the next), the lines after it up to the next ``$ `` are its output as
README shows it (stdout and stderr together, as a terminal shows them). All sessions run in order in one
bash process, so variables, background jobs (``... &``), ``echo $?`` and ``wait`` behave as in a terminal.

Marks, an HTML comment on the line(s) right before a fence (invisible on the rendered page):

  <!-- not run: REASON -->   the block is not run; the reason is required (a GPU, a paid API, a web UI ...)
  <!-- setup: NAME -->       before the block, the test does what README's prose says a person did
                             (``NAME`` names a function the caller passes, e.g. annotators submitting)
  <!-- numbers vary: REASON -->  in this block every number matches any number (the words and the shape of
                             the output are still compared): for output that differs from machine to machine

A ``bash``/``sh``/``shell`` block (commands to adapt, no output shown) must be marked ``not run``; the parser
says so otherwise, so a new example cannot silently escape the test.

How output is compared, so that run-dependent values do not break it:

- all whitespace is ignored (table widths, wrapping, padding), and runs of a table's horizontal rule
  characters count as one;
- ``...`` and ``…`` in README's output stand for any text (abridged records, shortened captions);
- a progress bar line is compared by what precedes the bar and its ``done/total`` count;
- elapsed times (``0:00:57``), dates and clock times, ``pid N``, loopback ports, ``(id N)`` of server-side
  projects, sizes of written files (``N bytes``), and the cells of a table column headed ``seconds`` or
  ``minutes`` (and ``"seconds": N`` in records) match any value;
- in a block marked ``numbers vary``, every number matches any number.

Everything else must be as README shows it.  ``python tests/readme_runner.py [README.md] [--keep DIR]``
runs the examples outside pytest (starting a Label Studio server for the `setup:` steps) and lists every
mismatch; tests/test_readme.py stops at the first one (``FDA_README_ALL=1``: lists all).
"""

from __future__ import annotations

import os
import queue
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

SHELL_LANGS = {"bash", "sh", "shell"}
RULE = "━─═"  # rich's horizontal rules: a run of them is one
WILD = "\ue000"  # stands for any text
NUM = "\ue001"  # stands for one number


@dataclass
class Command:
    line: int  # README line of the `$ ` line
    text: str  # the command as bash reads it (continuation lines kept)
    expected: list[tuple[int, str]] = field(default_factory=list)  # (README line, text)
    loose: bool = False  # every number matches any number (the block is marked `numbers vary`)


@dataclass
class Block:
    line: int  # README line of the opening fence
    lang: str
    body: list[tuple[int, str]]
    not_run: str | None = None
    numbers_vary: str | None = None
    setup: list[str] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)


class ReadmeError(ValueError):
    """README breaks the rules above (a malformed mark, an unmarked shell block)."""


MARK = re.compile(r"^\s*<!--\s*(not run|setup|numbers vary)\s*:\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)(```+)\s*([\w+-]*)")


def parse(path: Path, strict: bool = True) -> list[Block]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.group(1), m.group(2), m.group(3).lower()
        start = i
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            text = lines[i]
            body.append((i + 1, text[len(indent):] if text.startswith(indent) else text.lstrip()))
            i += 1
        i += 1
        block = Block(start + 1, lang, body)
        j = start - 1  # the marks: comment lines right above the fence
        while j >= 0 and lines[j].strip().startswith("<!--"):
            mark = MARK.match(lines[j])
            if mark is None:
                raise ReadmeError(f"README.md:{j + 1}: an HTML comment before a code block is not a mark this test knows "
                                  "(<!-- not run: REASON -->, <!-- setup: NAME -->, <!-- numbers vary: REASON -->)")
            kind, value = mark.groups()
            if kind in ("not run", "numbers vary") and not value:
                raise ReadmeError(f"README.md:{j + 1}: `{kind}` needs a reason")
            if kind == "not run":
                block.not_run = value
            elif kind == "numbers vary":
                block.numbers_vary = value
            else:
                block.setup.insert(0, value)
            j -= 1
        block.commands = _commands(block)
        for c in block.commands:
            c.loose = block.numbers_vary is not None
        if strict and block.lang in SHELL_LANGS and block.not_run is None:
            raise ReadmeError(f"README.md:{block.line}: a ```{block.lang} block must be marked "
                              "<!-- not run: REASON --> (or be a session of `$ ` commands with their output)")
        blocks.append(block)
    return blocks


def _commands(block: Block) -> list[Command]:
    first = next((t for _, t in block.body if t.strip()), "")
    if not first.startswith("$ "):
        return []
    out: list[Command] = []
    cont = False
    for n, text in block.body:
        if cont:
            out[-1].text += "\n" + text
        elif text.startswith("$ "):
            out.append(Command(n, text[2:]))
        else:
            out[-1].expected.append((n, text))
            continue
        cont = text.endswith("\\")
    return out


def sessions(blocks: list[Block]) -> list[Block]:
    """The blocks that run."""
    return [b for b in blocks if b.commands and b.not_run is None]


def quick_start(blocks: list[Block]) -> Block:
    """The quick start's first command installs everything and then tracks the sample clip; the install is not
    run, the tracking is (the folder a reader goes on in holds its output), compared with the block after it."""
    k, qs = next((k, b) for k, b in enumerate(blocks) if b.lang in SHELL_LANGS)
    n, install = next((n, t) for n, t in qs.body if t.strip())
    last = install.rsplit("&&", 1)[-1].strip()
    if not last.startswith("fda "):
        raise ReadmeError(f"README.md:{n}: the quick start's first command should end with `&& fda ...`")
    return Block(qs.line, "console", [], commands=[Command(n, last, list(blocks[k + 1].body))])


# -- comparing ----------------------------------------------------------------------------------------------

PROGRESS = re.compile(r"^(?P<head>.*?)\s[━╸╺ ]*[━╸╺]+[━╸╺ ]*\s+(?P<count>\d+/\d+)\s•.*$")
VOLATILE = [
    re.compile(r"\d+:\d\d:\d\d(?:\.\d+)?"),  # elapsed, eta, clock times
    re.compile(r"\d{4}-\d\d-\d\d"),  # dates
    re.compile(r"(?<=pid )\d+"),
    re.compile(r"(?<=127\.0\.0\.1:)\d+"),
    re.compile(r"(?<=localhost:)\d+"),
    re.compile(r"(?<=\(id )\d+(?=\))"),
    re.compile(r'(?<="seconds":)\s*[0-9.]+'),
    re.compile(r'(?<="seconds": )[0-9.]+'),
    re.compile(r"\d{4,}(?= bytes\b)"),  # sizes of written media files (encoder builds differ)
]
TIME_COLUMNS = {"seconds", "minutes"}


def _progress(line: str) -> str:
    m = PROGRESS.match(line)
    return f"{m.group('head')} ━ {m.group('count')}" if m else line


def _time_columns(lines: list[str]) -> list[str]:
    """Cells under a `seconds`/`minutes` header of a rich table become one number (any value)."""
    out, cols = [], set()
    for line in lines:
        s = line.strip()
        if s.startswith("┃") and s.endswith("┃"):
            cells = [c.strip() for c in s.strip("┃").split("┃")]
            cols = {k for k, c in enumerate(cells) if c in TIME_COLUMNS} or cols
        elif s and s[0] in "┏┡└┗" or not s:
            pass
        elif s.startswith("│") and s.endswith("│") and cols:
            cells = s.strip("│").split("│")
            line = "│" + "│".join(NUM if k in cols and re.fullmatch(r"\s*[0-9.]+\s*", c) else c
                                  for k, c in enumerate(cells)) + "│"
        else:
            cols = set()
        out.append(line)
    return out


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def normalise(text: str, expected: bool, loose: bool = False) -> str:
    """One side of the comparison, without whitespace; volatile values replaced by NUM (any value)."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    lines = [_progress(x) for x in text.splitlines()]
    lines = _time_columns(lines)
    text = "\n".join(lines)
    for pat in VOLATILE + ([NUMBER] if loose else []):
        text = pat.sub(NUM, text)
    if expected:
        text = text.replace("...", WILD).replace("…", WILD)
    text = re.sub(f"[{RULE}]+", RULE[0], text)
    return re.sub(r"\s+", "", text)


def pattern(expected: str, loose: bool = False) -> re.Pattern:
    parts = []
    for ch in normalise(expected, True, loose):
        parts.append(".*?" if ch == WILD else f"(?:{NUM}|[^\\s{RULE[0]}│┃]+?)" if ch == NUM else re.escape(ch))
    return re.compile("".join(parts), re.S)


def matches(expected: str, actual: str, loose: bool = False) -> bool:
    return pattern(expected, loose).fullmatch(normalise(actual, False, loose)) is not None


def where(expected: list[tuple[int, str]], line: int, actual: str, loose: bool = False) -> str:
    """Within README's first differing line, how far it still matches and what was printed there instead."""
    k = next((i for i, (n, _) in enumerate(expected) if n == line), None)
    if k is None:
        return ""
    before = "\n".join(t for _, t in expected[:k])
    text = expected[k][1]
    got = normalise(actual, False, loose)
    best, end = "", 0
    for cut in [m.end() for m in re.finditer(r"[\s,;:]+|$", text)]:
        m = pattern(before + "\n" + text[:cut], loose).match(got)
        if not m:
            break
        best, end = text[:cut], m.end()
    return (f"README.md:{line} matches up to: {best[-70:]!r}\n"
            f"where the output (whitespace removed) goes on: {got[end:end + 90]!r}")


def first_bad_line(expected: list[tuple[int, str]], actual: str, loose: bool = False) -> int | None:
    """README line of the first expected line that no longer matches, or None when everything matches."""
    got = normalise(actual, False, loose)
    if pattern("\n".join(t for _, t in expected), loose).fullmatch(got):
        return None
    for k in range(1, len(expected) + 1):
        if not pattern("\n".join(t for _, t in expected[:k]), loose).match(got):
            return expected[k - 1][0]
    return expected[-1][0] if expected else -1  # all of README matched, but more was printed


# -- running ------------------------------------------------------------------------------------------------

class Shell:
    """One bash process; each command's output (stdout and stderr together) is captured to a file."""

    def __init__(self, cwd: Path, env: dict[str, str], logs: Path) -> None:
        self.logs = logs
        logs.mkdir(parents=True, exist_ok=True)
        self.token = secrets.token_hex(6)
        self.n = 0
        self.proc = subprocess.Popen(["bash", "--noprofile", "--norc"], cwd=cwd, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.proc.stdin.write("__rc=0\n")

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def run(self, command: str, timeout: float) -> tuple[str, int]:
        self.n += 1
        out = self.logs / f"{self.n:03d}.out"
        done = f"__readme_done_{self.token}_{self.n}"
        # `(exit $__rc)` gives the command the previous command's status as $?, as a terminal would
        self.proc.stdin.write(f"(exit $__rc)\n{{ {command}\n}} > '{out}' 2>&1 < /dev/null\n__rc=$?\n"
                              f"echo {done} $__rc\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.close()
                raise TimeoutError(f"still running after {timeout:.0f} s") from None
            if line is None:
                raise RuntimeError("the shell exited")
            if line.startswith(done):
                return out.read_text(encoding="utf-8", errors="replace"), int(line.split()[1])

    def close(self) -> None:
        """Stop the shell and everything it started (its own process group: background servers too)."""
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the group outlives bash while a background job runs
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


@dataclass
class Mismatch:
    command: Command
    line: int  # README line of the first expected line that differs
    output: str
    rc: int
    elapsed: float

    def __str__(self) -> str:
        exp = "\n".join(f"  {n:4d}  {t}" for n, t in self.command.expected) or "  (no output)"
        got = self.output.rstrip("\n")
        got = "\n".join("  " + (x if len(x) < 400 else x[:400] + " …") for x in got.splitlines()[-60:])
        got = got or "  (no output)"
        loc = f"README.md:{self.line}" if self.line > 0 else f"README.md:{self.command.line}"
        return (f"{loc}: the output differs from README (exit {self.rc}, {self.elapsed:.1f} s)\n"
                f"command (README.md:{self.command.line}):\n  $ {self.command.text}\n"
                f"README shows:\n{exp}\ngot:\n{got}\n"
                + where(self.command.expected, self.line, self.output, self.command.loose))


def plan(blocks: list[Block]) -> list[Block]:
    """What runs, in README's order: the quick start's tracking, then every session."""
    return [quick_start(blocks), *sessions(blocks)]


def run(blocks: list[Block], shell: Shell, setups: dict | None = None, timeout: float = 600.0,
        stop: bool = True, log=None) -> list[Mismatch]:
    """Run these blocks' commands in order; the mismatches (only the first with ``stop``)."""
    bad: list[Mismatch] = []
    for block in blocks:
        for name in block.setup:
            if not setups or name not in setups:
                raise ReadmeError(f"README.md:{block.line}: no setup named {name!r}")
            setups[name](shell)
        for cmd in block.commands:
            t0 = time.monotonic()
            try:
                output, rc = shell.run(cmd.text, timeout)
            except TimeoutError as exc:
                output, rc = str(exc), -1
            elapsed = time.monotonic() - t0
            if log:
                log(f"README.md:{cmd.line} {elapsed:6.1f} s  $ {cmd.text.splitlines()[0][:100]}")
            line = first_bad_line(cmd.expected, output, cmd.loose)
            if line is not None:
                bad.append(Mismatch(cmd, line, output, rc, elapsed))
                if stop or rc == -1:
                    return bad
    return bad


def fresh_folder(repo: Path, folder: Path) -> Path:
    """A folder that looks like a fresh clone to README's commands: the tracked top-level entries, linked."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("README.md", "pyproject.toml", "fdacli", "scripts", "tests", "bench", "docs"):
        if (repo / name).exists():
            (folder / name).symlink_to(repo / name)
    return folder


def environment(repo: Path, folder: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A user's shell: `fda` and `python` are this checkout's, a fresh judge cache, a 120-column terminal."""
    bin_dir = folder.parent / f".{folder.name}-bin"
    bin_dir.mkdir(exist_ok=True)
    shims = {"fda": f'exec "{sys.executable}" -m fdacli.cli "$@"', "python": f'exec "{sys.executable}" "$@"'}
    for name, line in shims.items():
        p = bin_dir / name
        p.write_text(f"#!/bin/sh\n{line}\n")
        p.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "PYTEST_"))}
    env.update(PATH=os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), env.get("PATH", "")]),
               PYTHONPATH=os.pathsep.join(x for x in [str(repo), env.get("PYTHONPATH", "")] if x),
               COLUMNS="120", LINES="50", PYTHONUNBUFFERED="1",
               FDA_CACHE_DIR=str(folder.parent / f".{folder.name}-cache"))
    env.pop("LOCAL_FILES_DOCUMENT_ROOT", None)
    env.update(extra or {})
    return env


if __name__ == "__main__":
    import argparse
    import tempfile

    ap = argparse.ArgumentParser(description="run README's examples and list every mismatch")
    ap.add_argument("readme", nargs="?", default=str(Path(__file__).resolve().parents[1] / "README.md"))
    ap.add_argument("--keep", help="run in this (new) folder and keep it")
    ap.add_argument("--first", action="store_true", help="stop at the first mismatch")
    ap.add_argument("--lenient", action="store_true", help="run an old README too (unmarked shell blocks)")
    a = ap.parse_args()
    repo = Path(a.readme).resolve().parent
    root = Path(a.keep or tempfile.mkdtemp(prefix="readme-"))
    folder = fresh_folder(repo, root / "clone")
    blocks = plan(parse(Path(a.readme), strict=not a.lenient))
    server, steps = None, {}
    if any(b.setup for b in blocks):  # the people's steps need a Label Studio server (tests/test_readme.py)
        import labelstudio_server
        from test_readme import setups

        print("starting Label Studio (about a minute and a half) ...", flush=True)
        server = labelstudio_server.start(root / "label-studio")
        steps = setups(server)
    sh = Shell(folder, environment(repo, folder), root / "logs")
    try:
        found = run(blocks, sh, steps, stop=a.first, timeout=900, log=lambda s: print(s, flush=True))
    finally:
        sh.close()
        if server:
            server.stop()
    for m in found:
        print("\n" + str(m))
    print(f"\n{len(found)} mismatch(es); folder {folder}")
    sys.exit(1 if found else 0)
