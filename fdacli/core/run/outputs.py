"""Where a command writes: checked before any work, held for the length of the run, and recognised on
resume.  One mechanism for every command that writes an output.

- ``check``: an output that is one of the inputs (the same file, through links too), a directory, a path
  whose parent is a file, a read-only or full filesystem — each refused with one line before the work
  starts, not after all of it is done.
- ``claim``: an exclusive lock on a small file beside the output (``.NAME.fda``) for the run's length;
  a second run onto the same output stops at once and names the first.  The file stays after the run
  and names the command that wrote the output, so a rerun resumes only onto its own command's output
  (today's manifest passed as ``-o`` is refused, not "resumed" and left as it was).
"""

from __future__ import annotations

import errno
import json
import os
import time
from collections.abc import Iterable
from pathlib import Path

MIN_FREE_BYTES = 1 << 20  # less than this free on the output's filesystem is "full" before the run starts


class OutputError(ValueError):
    """An output that cannot or must not be written; the message says which and what to do."""


def check(out: str | Path, inputs: Iterable[str | Path] = (), folder: bool = False) -> None:
    """Refuse, before any work, an output that would destroy an input or could not be written."""
    out = Path(out)
    for inp in inputs:
        if _same(out, Path(inp)):
            raise OutputError(f"{out} is also an input ({inp}): writing it would destroy that input; choose another -o")
    if out.is_dir() and not folder:
        raise OutputError(f"{out} is a directory; -o names the file to write (e.g. {out / 'out.jsonl'})")
    if out.exists() and folder and not out.is_dir():
        raise OutputError(f"{out} is a file; this option names a folder")
    parent = out if folder else out.parent
    existing = parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"cannot create {parent}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write in {existing}: permission denied (or a read-only filesystem); choose another -o")
    try:
        st = os.statvfs(existing)
    except OSError:
        return
    if st.f_flag & getattr(os, "ST_RDONLY", 1):
        raise OutputError(f"cannot write in {existing}: the filesystem is read-only; choose another -o")
    if st.f_bavail * st.f_frsize < MIN_FREE_BYTES:
        raise OutputError(f"no space left on the filesystem of {existing} ({st.f_bavail * st.f_frsize // 1024} KiB free); "
                          "free some space or choose another -o")


def _same(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def marker(out: Path) -> Path:
    """The file beside an output that holds the run's lock and names the command that wrote it (beside the
    file itself when ``out`` is a link, so two links to one output share one lock)."""
    out = Path(out)
    real = out.resolve() if out.is_symlink() else out
    return real.with_name(f".{real.name}.fda")


class Claim:
    """An output held by one run: ``claim(out, command)``; ``release()`` (or ``with``) when done."""

    def __init__(self, out: Path, command: str, fh, inode=None) -> None:
        self.out, self.command, self._fh, self._inode = out, command, fh, inode

    def release(self) -> None:
        if self._fh is not None and not self._fh.closed:
            self._fh.close()  # closing drops the lock; the file stays and names the command
        if self._inode is not None and not self._inode.closed:
            self._inode.close()

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def claim(out: str | Path, command: str, resume: bool = True, settings: dict | None = None) -> Claim:
    """Lock ``out`` for this run of ``command``.

    With ``resume`` (an existing output is added to), the output must be one this command wrote: an
    existing non-empty output without its marker, or with another command's, is refused; and when the
    marker records the ``settings`` that shaped its records (key frames, prompt, model), a run with other
    settings is refused with the differences — resuming would mix two kinds of record in one file.
    """
    import fcntl

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    path = marker(out)
    fh = open(path, "a+", encoding="utf-8")
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            fh.close()
            raise
        fh.seek(0)
        holder = _read(fh.read())
        fh.close()
        who = f"fda {holder.get('command', '?')} (pid {holder.get('pid', '?')}, started {holder.get('started', '?')})"
        raise OutputError(f"{out} is being written by another run: {who}; wait for it, or choose another -o") from None
    fh.seek(0)
    previous = _read(fh.read())
    if resume and _has_content(out):
        owner = previous.get("command")
        if owner is None and not _looks_like_records(out):
            fh.close()
            raise OutputError(f"{out} exists and is not an output of fda {command} (no {path.name} beside it, and its "
                              "lines are not records with an id and a status); refusing to add to it: use --overwrite to "
                              "start it over, or choose another -o")
        if owner is not None and owner != command:
            fh.close()
            raise OutputError(f"{out} was written by fda {owner}, not fda {command}; refusing to add to it: "
                              "use --overwrite to start it over, or choose another -o")
        if settings is not None and isinstance(previous.get("settings"), dict):
            changed = differences(previous["settings"], settings)
            if changed:
                fh.close()
                raise OutputError(f"{out} was written with other settings ({'; '.join(changed)}); resuming would mix "
                                  "records of both in one file: rerun with the same settings, or --overwrite to start over")
    inode = _lock_file_itself(out, fh)
    fh.seek(0)
    fh.truncate()
    note = {"command": command, "pid": os.getpid(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    kept = previous.get("settings") if resume and _has_content(out) and settings is None else None
    if settings is not None or kept is not None:
        note["settings"] = _plain(settings if settings is not None else kept)
    fh.write(json.dumps(note) + "\n")
    fh.flush()
    return Claim(out, command, fh, inode)


def changed_settings(out: str | Path, settings: dict) -> list[str]:
    """How ``settings`` differ from those the output's marker recorded (empty: the same, or none recorded) — for a
    command that wants to refuse a resume before an expensive pass, ahead of ``claim``."""
    out = Path(out)
    if not _has_content(out):
        return []
    try:
        previous = _read(marker(out).read_text(encoding="utf-8"))
    except OSError:
        return []
    return differences(previous["settings"], settings) if isinstance(previous.get("settings"), dict) else []


def _plain(settings: dict) -> dict:
    """Settings as JSON keeps them (tuples as lists), so a rerun's compare like with like."""
    return json.loads(json.dumps(settings, default=str))


def differences(before: dict, now: dict, prefix: str = "") -> list[str]:
    """``name: old → new`` for every setting that changed, nested settings by dotted name."""
    before, now = _plain(before), _plain(now)
    out = []
    for key in sorted(set(before) | set(now)):
        a, b = before.get(key), now.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}: {a!r} → {b!r}")
    return out


def _lock_file_itself(out: Path, marker_fh):
    """An existing output is also locked as a file (its device and inode), so two runs that reach one file
    through two hard links — each with its own marker — do not both write it."""
    import fcntl

    try:
        fd = open(out, "rb")
    except OSError:
        return None  # not there yet (or not readable: the checks before said so)
    try:
        fcntl.flock(fd.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        fd.close()
        marker_fh.close()
        if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            raise
        raise OutputError(f"{out} is being written by another run through another link to the same file; wait for it, "
                          "or choose another -o") from None
    return fd


def _read(text: str) -> dict:
    try:
        value = json.loads(text or "{}")
        return value if isinstance(value, dict) else {}
    except ValueError:
        return {}


def _looks_like_records(out: Path, lines: int = 1000) -> bool:
    """An output written before markers existed (or moved without its marker) is still adopted when its
    lines are what every resumable writer writes: objects with an id and a status (a manifest has none)."""
    try:
        with out.open("rb") as fh:
            for k, raw in enumerate(fh):
                if k >= lines:
                    break
                if not raw.strip() or not raw.endswith(b"\n"):
                    continue  # blank, or a line torn by a kill: the writer repairs it
                rec = json.loads(raw)
                if not isinstance(rec, dict) or "id" not in rec or rec.get("status") not in ("ok", "error"):
                    return False
        return True
    except (OSError, ValueError):
        return False


def _has_content(out: Path) -> bool:
    try:
        return out.is_file() and out.stat().st_size > 0
    except OSError:
        return False


def hold(command: str, files: Iterable[str | Path | None] = (), folders: Iterable[str | Path | None] = (),
         inputs: Iterable[str | Path] = ()) -> list[Claim]:
    """For commands that replace their outputs whole (score, sample, build-instructions): check every
    output first, then claim them all; release each claim (or let the process end) when done."""
    files, folders, inputs = [Path(f) for f in files if f], [Path(d) for d in folders if d], [Path(i) for i in inputs]
    for f in files:
        check(f, inputs)
    for d in folders:
        check(d, inputs, folder=True)
    claims: list[Claim] = []
    try:
        for path in [*files, *folders]:
            claims.append(claim(path, command, resume=False))
    except BaseException:
        for c in claims:
            c.release()
        raise
    return claims
