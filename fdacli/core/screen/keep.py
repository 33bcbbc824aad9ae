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


def write_keep(tracks: Path, lines: dict[int, str], out: Path) -> int:
    """Write the tracks records on ``lines`` (line number -> its video, as the screen read them) to ``out`` in the
    tracks file's order; return how many.  The lines are copied as bytes, parsed again only where a relative video
    path must be made absolute: the file was checked record by record when it was screened."""
    moved = tracks.resolve().parent != out.resolve().parent
    chunks = [_line(raw, tracks, moved and not Path(lines[n]).is_absolute()) for n, raw in _numbered(tracks) if n in lines]
    atomic_write_bytes(out, b"".join(chunks))
    return len(chunks)


def _numbered(tracks: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, the line) of a JSON Lines file; (item number, the record as a line) of a JSON array file —
    numbered as ``read_jsonl`` numbers them."""
    if not is_json_lines(tracks):
        for n, rec in read_jsonl(tracks, require=("id", "video")):
            yield n, (dumps(rec) + "\n").encode("utf-8")
        return
    with tracks.open("rb") as fh:
        yield from enumerate(fh, start=1)


def _line(raw: bytes, tracks: Path, relocate: bool) -> bytes:
    if not relocate:
        return raw.rstrip(b"\r\n") + b"\n"
    rec = json.loads(raw.decode("utf-8-sig"))
    rec["video"] = str(Path(resolve_video(rec["video"], [tracks.parent])).resolve())
    return (dumps(rec) + "\n").encode("utf-8")


def is_json_lines(path: Path) -> bool:
    """Whether a file is JSON Lines (copied line for line) rather than a JSON array (records re-written)."""
    with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
        for line in fh:
            if line.strip():
                return not line.lstrip().startswith("[")
    return True
