"""The kept clips as a tracks file: what `fda preannotate` (and `fda review`'s push) read, so only the clips the
screen kept go on to a paid draft.

The records are the tracks records themselves, copied line for line; a record whose video path is relative to
the tracks file's folder gets that path made absolute when the keep file lives elsewhere, since readers resolve a
relative path against the folder of the file that names it.  The file is replaced whole (written aside,
renamed), never left half-written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from fdacli.core.run.inputs import resolve_video
from fdacli.core.run.records import atomic_write_bytes, dumps, read_jsonl


def write_keep(tracks: Path, keep_ids: set[str], out: Path) -> int:
    """Write the tracks records of ``keep_ids`` to ``out`` in the tracks file's order; return how many.  The
    tracks file was checked record by record when it was screened, so here it is only streamed through."""
    moved = tracks.resolve().parent != out.resolve().parent
    lines = [_line(rec, raw, tracks, moved) for rec, raw in _records(tracks) if str(rec["id"]) in keep_ids]
    atomic_write_bytes(out, b"".join(lines))
    return len(lines)


def _records(tracks: Path) -> Iterator[tuple[dict, bytes | None]]:
    """(record, its line as written) for JSON Lines; (record, None) for a JSON array file."""
    if not is_json_lines(tracks):
        for _, rec in read_jsonl(tracks, require=("id", "video")):
            yield rec, None
        return
    with tracks.open("rb") as fh:
        for raw in fh:
            if raw.strip():
                yield json.loads(raw.decode("utf-8-sig")), raw


def _line(rec: dict, raw: bytes | None, tracks: Path, moved: bool) -> bytes:
    if moved and not Path(rec["video"]).is_absolute():
        rec = {**rec, "video": str(Path(resolve_video(rec["video"], [tracks.parent])).resolve())}
        raw = None
    return raw.rstrip(b"\r\n") + b"\n" if raw is not None else (dumps(rec) + "\n").encode("utf-8")


def is_json_lines(path: Path) -> bool:
    """Whether a file is JSON Lines (copied line for line) rather than a JSON array (records re-written)."""
    with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
        for line in fh:
            if line.strip():
                return not line.lstrip().startswith("[")
    return True
