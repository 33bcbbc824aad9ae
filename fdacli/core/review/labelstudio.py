"""Label Studio over plain REST (Community 1.23, Apache-2.0): the calls the review loop needs and nothing else.

Label Studio runs in its own virtual environment (its pins clash with ours), so `fda` talks to it over HTTP
with the standard library rather than its SDK.  Every failure becomes one ``ReviewError`` line that names the
server and what to do; the API key is sent in a header and never appears in a message.
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any


class ReviewError(RuntimeError):
    """A review step that cannot go on; the message is one line for the user."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is refused, not followed: urllib would send the API key to wherever it points, and turn a POST
    into a GET without its body."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        raise ReviewError(f"{req.full_url.split('?')[0]} redirects to {newurl.split('?')[0]}: give the server's own "
                          "address as --url (the key is not sent on to another address)")


_OPENER = urllib.request.build_opener(_NoRedirect)


@dataclass
class Project:
    id: int
    title: str
    label_config: str
    maximum_annotations: int
    description: str = ""


class LabelStudio:
    """One Label Studio server, reached with one user's API key (``Authorization: Token KEY``)."""

    def __init__(self, url: str, token: str, timeout: float = 60.0, key_env: str = "LABEL_STUDIO_API_KEY") -> None:
        self.key_env = key_env
        if not token:
            raise ReviewError(f"no Label Studio API key: set the environment variable {key_env} "
                              "(Account & Settings → Access Token in Label Studio)")
        try:
            parsed = urllib.parse.urlsplit(url)
            parsed.port  # noqa: B018 - a port that is not a number raises here, not in the first request
        except ValueError:
            parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ReviewError(f"--url {url!r} is not an http(s) address of a Label Studio server")
        self.url = url.rstrip("/")
        self._token = token
        self.timeout = timeout

    # -- the one request
    def request(self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None) -> Any:
        """JSON in, JSON out; any failure is a ``ReviewError`` naming the call, never the key."""
        url = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = json.dumps(body).encode("utf-8") if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"Token {self._token}", "Accept": "application/json",
            **({"Content-Type": "application/json"} if data is not None else {})})
        try:
            with _OPENER.open(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            with exc:
                raise ReviewError(self._http_error(method, path, exc)) from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ReviewError(f"Label Studio at {self.url} cannot be reached ({reason}); is it running? "
                              "(README: fda review)") from None
        except (http.client.HTTPException, ValueError) as exc:  # not HTTP at that port, a cut reply, a bad address
            raise ReviewError(f"{self.url} does not answer like a web server ({type(exc).__name__}); check --url") from None
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise ReviewError(f"{method} {path}: Label Studio at {self.url} answered with something that is not JSON "
                              "(is --url the Label Studio server itself?)") from None

    def _http_error(self, method: str, path: str, exc: urllib.error.HTTPError) -> str:
        if exc.code == 401:
            return (f"Label Studio at {self.url} refused the API key in {self.key_env} (HTTP 401): check it (Account & "
                    "Settings → Access Token; the server needs LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true)")
        if exc.code == 403:
            return (f"{method} {path}: Label Studio at {self.url} refused this for the user of the key in {self.key_env} "
                    "(HTTP 403): a wrong key, or a user without access to this project")
        try:
            detail = exc.read().decode("utf-8", "replace")
            body = json.loads(detail)
            detail = body.get("validation_errors") or body.get("detail") or detail
        except (ValueError, AttributeError, OSError):
            detail = exc.reason
        text = " ".join(str(detail).replace(self._token, "***").split())[:300]
        return f"{method} {path}: Label Studio answered HTTP {exc.code}: {text}"

    # -- calls
    def whoami(self) -> dict[str, Any]:
        """The key's user; the first call of every command, so a wrong server or key stops before any work."""
        me = self.request("GET", "/api/current-user/whoami")
        if not isinstance(me, dict) or "id" not in me:
            raise ReviewError(f"{self.url} does not answer like a Label Studio server (no user at /api/current-user/whoami)")
        return me

    def users(self) -> dict[int, str]:
        """User id → e-mail, to name who wrote each annotation."""
        out = {}
        for u in _results(self.request("GET", "/api/users")):
            out[int(u["id"])] = u.get("email") or u.get("username") or f"user {u['id']}"
        return out

    def find_project(self, title: str) -> Project | None:
        matches = [p for p in self._all("/api/projects", {"title": title}) if p.get("title") == title]
        if len(matches) > 1:
            ids = ", ".join(str(p.get("id")) for p in matches)
            raise ReviewError(f"{len(matches)} Label Studio projects are titled {title!r} (ids {ids}); rename all but one "
                              "in the web UI (Settings → General), then run again")
        return _project(matches[0]) if matches else None

    def create_project(self, title: str, label_config: str, description: str) -> Project:
        p = self.request("POST", "/api/projects", {"title": title, "label_config": label_config, "description": description})
        return _project(p)

    def update_project(self, pid: int, **fields: Any) -> Project:
        return _project(self.request("PATCH", f"/api/projects/{pid}", fields))

    def local_storages(self, pid: int) -> list[dict[str, Any]]:
        return _results(self.request("GET", "/api/storages/localfiles", query={"project": pid}))

    def connect_local_storage(self, pid: int, path: str, title: str) -> None:
        """Serve the clips of ``path`` (a subfolder of the server's LOCAL_FILES_DOCUMENT_ROOT) to the project."""
        if any(s.get("path") == path for s in self.local_storages(pid)):
            return
        self.request("POST", "/api/storages/localfiles", {"project": pid, "path": path, "use_blob_urls": False,
                                                         "title": title, "regex_filter": ""})

    def task_keys(self, pid: int, key: str = "fda_id") -> dict[str, int]:
        """``data[key]`` → task id of every task of a project (paged), to push only what is new."""
        return {k: tid for k, (tid, _) in self.task_index(pid, key).items()}

    def task_index(self, pid: int, key: str = "fda_id") -> dict[str, tuple[int, str | None]]:
        """``data[key]`` → (task id, the ``fda_digest`` of its content when pushed) of every task of a project."""
        out: dict[str, tuple[int, str | None]] = {}
        page, seen = 1, 0
        while True:  # a server may cap the page size below what is asked: count what came, not pages
            try:
                got = self.request("GET", "/api/tasks", query={"project": pid, "page": page, "page_size": 1000,
                                                               "fields": "task_only"})
            except ReviewError as exc:
                if "HTTP 404" in str(exc) and page > 1:  # past the last page
                    break
                raise
            tasks = got.get("tasks", []) if isinstance(got, dict) else got or []
            seen += len(tasks)
            for t in tasks:
                k = (t.get("data") or {}).get(key)
                if k is not None:
                    out.setdefault(str(k), (int(t["id"]), t["data"].get("fda_digest")))
            total = got.get("total") if isinstance(got, dict) else None
            if not tasks or (total is not None and seen >= total):
                break
            page += 1
        return out

    def import_tasks(self, pid: int, tasks: list[dict[str, Any]]) -> None:
        self.request("POST", f"/api/projects/{pid}/import", tasks)

    def export(self, pid: int) -> list[dict[str, Any]]:
        """Every task with every annotation (cancelled ones included, marked)."""
        got = self.request("GET", f"/api/projects/{pid}/export", query={"exportType": "JSON", "download_all_tasks": "true"})
        if not isinstance(got, list):
            raise ReviewError(f"the export of project {pid} is not a list of tasks")
        return got

    def annotate(self, task_id: int, result: list[dict[str, Any]], lead_time: float | None = None,
                 was_cancelled: bool = False) -> dict[str, Any]:
        """Submit an annotation as this key's user — what the editor's Submit does (the tests' annotators, and
        scripts that bring in annotations made elsewhere)."""
        body: dict[str, Any] = {"result": result, "was_cancelled": was_cancelled}
        if lead_time is not None:
            body["lead_time"] = lead_time
        return self.request("POST", f"/api/tasks/{task_id}/annotations", body)

    def _all(self, path: str, query: dict[str, Any]) -> list[dict[str, Any]]:
        out, page = [], 1
        while True:
            got = self.request("GET", path, query={**query, "page": page, "page_size": 100})
            out.extend(_results(got))
            if not isinstance(got, dict) or not got.get("next"):
                return out
            page += 1


def _results(got: Any) -> list[dict[str, Any]]:
    if isinstance(got, dict):
        return list(got.get("results") or [])
    return list(got or [])


def _project(p: Any) -> Project:
    if not isinstance(p, dict) or "id" not in p:
        raise ReviewError("Label Studio returned no project")
    return Project(int(p["id"]), p.get("title") or "", p.get("label_config") or "", int(p.get("maximum_annotations") or 1),
                   p.get("description") or "")
