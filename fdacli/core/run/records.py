"""JSONL records: reading with file:line errors, and the one resumable writer every command uses.

The contract (docs/architecture.md): every output is JSONL keyed by a string ``id``; a rerun onto an existing
output skips the ids already written; a killed run loses at most the record in flight.  The writer
gets that by writing each record as one ``write()`` of a complete line to an append-mode file and
flushing it, and by repairing a torn last line (a kill in the middle of a write) when it reopens.
"""

from __future__ import annotations

import glob
import json
import os
import socket
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

Record = dict[str, Any]


class RecordError(ValueError):
    """A malformed input record; the message starts with ``path:line:`` like a compiler error."""


def read_jsonl(path: str | Path, require: Iterable[str] = ("id",)) -> Iterator[tuple[int, Record]]:
    """Yield ``(line_number, record)`` for each non-blank line; raise RecordError at the first bad one.

    A JSON array file (``[{...}, ...]``, the FEC-Bench release format) is accepted too; its records
    are numbered by position since JSON arrays have no useful line numbers.
    """
    path = Path(path)
    if not path.is_file():
        raise RecordError(f"{path}: no such file")
    if pending_marker(path).exists():
        raise RecordError(f"{path}: half-written — the run that wrote it with its pair "
                          f"({', '.join(_pair(path))}) was stopped before it finished; run it again")
    with path.open("rb") as fh:
        if b"\x00" in fh.read(4096):
            raise RecordError(f"{path}: not a JSON/JSONL file (binary data — a video or an archive?)")
    if _first_char(path) == "[":
        yield from _read_json_array(path, tuple(require))
        return
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = _decode(raw, path, lineno)
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except RecursionError:
                raise RecordError(f"{path}:{lineno}: JSON nested too deeply") from None
            except json.JSONDecodeError as exc:
                if lineno == 1 and (whole := _one_object(path)) is not None:
                    raise RecordError(f"{path}: one JSON object, not records (one per line, or a JSON list)"
                                      f"{_what_object(whole)}") from None
                raise RecordError(f"{path}:{lineno}: not valid JSON at column {exc.colno}: {_json_msg(exc)}") from None
            _check(rec, path, lineno, tuple(require))
            yield lineno, rec


def is_json_list(path: str | Path) -> bool:
    """Whether ``read_jsonl`` reads the file as one JSON list (its records numbered as items, not lines)."""
    return _first_char(Path(path)) == "["


def _one_object(path: Path) -> Any:
    """The file as one JSON object (a pretty-printed document given where records are read), or None."""
    try:
        whole = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, RecursionError, OSError):
        return None
    return whole if isinstance(whole, dict) else None


def _what_object(doc: dict[str, Any]) -> str:
    if "models" in doc and "tool" in doc:
        return ": it is a scores.json from `fda score`"
    return ""


def _pair(path: Path) -> list[str]:
    try:
        return json.loads(pending_marker(path).read_text(encoding="utf-8"))["pair"]
    except (OSError, ValueError, KeyError, TypeError):
        return [str(path)]


def _decode(raw: bytes, path: Path, lineno: int) -> str:
    """One line as text: a byte-order mark (spreadsheet exports) is skipped; binary data and invalid
    UTF-8 are refused with the file and line."""
    if b"\x00" in raw:
        raise RecordError(f"{path}:{lineno}: not a JSON/JSONL file (binary data — a video or an archive?)")
    try:
        return raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(f"{path}:{lineno}: not UTF-8 text at column {exc.start + 1} (byte 0x{raw[exc.start]:02x}); "
                          "save the file as UTF-8") from None


def _json_msg(exc: json.JSONDecodeError) -> str:
    """json's message without its dangling ' at' (``Invalid control character at``), with a hint where a
    record was broken over several lines."""
    msg = exc.msg[:-3] if exc.msg.endswith(" at") else exc.msg
    if msg.startswith(("Unterminated string", "Invalid control character")):
        msg += " (a JSONL record must be on one line)"
    return msg


def _first_char(path: Path) -> str:
    with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
        while ch := fh.read(1):
            if not ch.isspace():
                return ch
    return ""


def _read_json_array(path: Path, require: tuple[str, ...]) -> Iterator[tuple[int, Record]]:
    try:
        items = json.loads(path.read_text(encoding="utf-8-sig"))
    except RecursionError:
        raise RecordError(f"{path}: JSON nested too deeply") from None
    except UnicodeDecodeError as exc:
        raise RecordError(f"{path}: not UTF-8 text (byte offset {exc.start}); save the file as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise RecordError(f"{path}:{exc.lineno}: not valid JSON at column {exc.colno}: {_json_msg(exc)}") from None
    if not isinstance(items, list):
        raise RecordError(f"{path}: expected a JSON list of records")
    for i, rec in enumerate(items, start=1):
        _check(rec, path, i, require, where="item")
        yield i, rec


def _check(rec: Any, path: Path, n: int, require: tuple[str, ...], where: str = "") -> None:
    loc = f"{path}:{n}:" if not where else f"{path}: {where} {n}:"
    if not isinstance(rec, dict):
        raise RecordError(f"{loc} expected a JSON object, got {type(rec).__name__}")
    if "id" not in rec and "models" in rec and "tool" in rec:
        raise RecordError(f"{loc} not a record: it is a scores.json from `fda score`")
    for key in require:
        if key not in rec or rec[key] in (None, ""):
            raise RecordError(f"{loc} missing required field {key!r}")
    if "id" in rec and (not isinstance(rec["id"], (str, int)) or isinstance(rec["id"], bool)):
        raise RecordError(f"{loc} field 'id' must be a string")
    if "id" in rec:
        rec["id"] = str(rec["id"])


def dumps(record: Record) -> str:
    """One record as one line; NaN is not JSON, so it is refused here rather than written."""
    return json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class ResumableWriter:
    """Append-only JSONL writer that knows which ids an earlier run already wrote.

    Opening it repairs a torn final line, so ``done`` is exactly the set of complete records.
    ``retry_errors`` drops earlier error records (rewritten atomically) so they run again.
    """

    def __init__(self, path: str | Path, overwrite: bool = False, retry_errors: bool = False,
                 remove_if_empty: bool = True, claim: Any = None, sync_every: float = 0.0) -> None:
        self.path = Path(path)
        self._claim = claim  # the run's hold on the output (core/run/outputs.py), released by close()
        # Every record is flushed to the OS at once (a killed process loses nothing written); it is forced to the
        # disk at most every ``sync_every`` seconds and at close.  0 syncs every record: right for records that
        # take seconds to make, while a pass over records (fda screen: 10,000 in seconds) would spend most of its
        # time in fsync, and a machine crash costs it only a rerun of seconds.
        self.sync_every, self._synced = sync_every, 0.0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if overwrite and self.path.exists():
            self.path.unlink()
        self.done: set[str] = set()
        self.torn_lines = 0
        # a run that writes nothing leaves no empty file behind (shard part files stay: other ranks read them)
        self._created = remove_if_empty and not self.path.exists()
        if self.path.exists():
            self._load(retry_errors)
        self._fh = self.path.open("a", encoding="utf-8")

    def _load(self, retry_errors: bool) -> None:
        raw = self.path.read_bytes()
        lines = raw.split(b"\n")
        complete, kept, changed = lines[:-1], [], False
        if lines[-1].strip():  # no trailing newline: the last write was cut short by a kill
            self.torn_lines += 1
            changed = True
        for lineno, line in enumerate(complete, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                rid = str(rec["id"])
            except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError):
                # Only the last line can be torn by a kill; anything else is not ours to delete.
                raise RecordError(
                    f"{self.path}:{lineno}: not a record of this tool's output; refusing to resume onto it "
                    "(check -o, or use --overwrite)"
                ) from None
            if retry_errors and rec.get("status") == "error":
                changed = True
                continue
            if rid in self.done:  # never keep two records for one id
                changed = True
                continue
            self.done.add(rid)
            kept.append(line)
        if changed:
            atomic_write_bytes(self.path, b"".join(k + b"\n" for k in kept))

    @staticmethod
    def peek_ids(path: Path) -> set[str]:
        """Ids of the complete records in a file, read-only (another process may be writing it)."""
        ids = set()
        try:
            with Path(path).open("rb") as fh:
                for line in fh:
                    if not line.endswith(b"\n"):
                        break
                    try:
                        ids.add(str(json.loads(line)["id"]))
                    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError):
                        continue
        except FileNotFoundError:  # removed by its own run meanwhile: nothing done there
            pass
        return ids

    def write(self, record: Record) -> bool:
        """Write one record unless its id is already done; return whether it was written."""
        rid = str(record["id"])
        if rid in self.done:
            return False
        self._fh.write(dumps(record) + "\n")
        self._fh.flush()
        if self.sync_every <= 0 or time.monotonic() - self._synced >= self.sync_every:
            os.fsync(self._fh.fileno())
            self._synced = time.monotonic()
        self.done.add(rid)
        return True

    def close(self) -> None:
        if not self._fh.closed:
            if self.sync_every > 0:
                os.fsync(self._fh.fileno())
            self._fh.close()
            if self._created and self.path.exists() and self.path.stat().st_size == 0:
                self.path.unlink()
        if self._claim is not None:
            self._claim.release()

    def __enter__(self) -> ResumableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PairedWriter:
    """Two outputs from one worker (``fda track --actions``: tracks and actions records from one decoding).

    A record ``{"id", "status", "parts": [first, second]}`` goes part by part, a record without parts (a worker
    that failed before it made any) to both.  Each output keeps its own resume: a part whose id is done there
    is not written again, so a run killed between the two writes redoes the clip and writes only what is
    missing.  Both parts are serialised before either is written: a part that cannot be is not left half done."""

    def __init__(self, first: ResumableWriter, second: ResumableWriter) -> None:
        self.writers = (first, second)

    def write(self, record: Record) -> bool:
        parts = record.get("parts") or [record, record]
        for part in parts:
            dumps(part)
        return any([w.write(part) for w, part in zip(self.writers, parts)])

    def close(self) -> None:
        for w in self.writers:
            w.close()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` so that readers see the old or the new content, never a mix.  A failed write (a
    full disk) leaves no temporary file behind, so a rerun on a still-full disk adds none either."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_tmp(path, data)
    os.replace(tmp, path)
    pending_marker(path).unlink(missing_ok=True)  # rewritten whole: no longer half of a pair


def _tmp_prefix(path: Path) -> str:
    """Temporary names carry host and pid: a killed writer's files can be told from a live one's, also on
    a filesystem shared between nodes."""
    return f".{path.name}.tmp-{socket.gethostname()}-"


def temp_path(path: Path) -> Path:
    """This process's temporary name beside ``path``, once the temporary files of killed writers are gone: for
    outputs a library writes by file name (a video encoder), renamed into place when whole."""
    _sweep(path)
    return path.with_name(f"{_tmp_prefix(path)}{os.getpid()}")


def _write_tmp(path: Path, data: bytes) -> Path:
    tmp = temp_path(path)
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _sweep(path: Path) -> None:
    """Remove the temporary files of earlier writers of ``path`` on this host that were killed (their pid
    is gone)."""
    prefix = _tmp_prefix(path)
    for tmp in path.parent.glob(f"{glob.escape(prefix)}*"):
        pid = tmp.name[len(prefix):]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass  # alive under another user: not ours to touch


def pending_marker(path: Path) -> Path:
    """Beside each file of a pair being replaced: present only while the pair is half-written."""
    return path.with_name(f".{path.name}.pair-pending")


def atomic_write_pair(files: dict[Path, bytes]) -> None:
    """Replace several files that belong together (a train and a test split) so that a kill never leaves
    a new one beside an old one unnoticed: all are written to temporary names first; a marker beside each
    names the set while the renames happen, and goes once all are done.  ``read_jsonl`` refuses a file
    whose marker is still there, naming the run to redo."""
    paths = [Path(p) for p in files]
    for p in paths:
        p.parent.mkdir(parents=True, exist_ok=True)
    tmps: list[Path] = []
    try:
        for p in paths:
            tmps.append(_write_tmp(p, files[p]))
    except BaseException:
        for t in tmps:
            t.unlink(missing_ok=True)
        raise
    note = json.dumps({"pair": [str(p) for p in paths]}).encode("utf-8")
    for p in paths:
        os.replace(_write_tmp(pending_marker(p), note), pending_marker(p))
    for p, t in zip(paths, tmps):
        os.replace(t, p)
    for p in paths:
        pending_marker(p).unlink(missing_ok=True)


def error_record(rid: str, reason: BaseException | str, **fields: Any) -> Record:
    """The shape of a failed record: ``status: error`` and a one-line reason."""
    msg = reason if isinstance(reason, str) else (f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__)
    msg = " ".join(str(msg).split())[:500]
    return {"id": rid, **fields, "status": "error", "error": msg}
