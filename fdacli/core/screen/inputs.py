"""The two inputs of a screen, checked at the door: tracks records (`fda track`) and actions records
(`fda actions`), each by its contract (core/run/contracts.py).

A file of another command, a record with a missing or mistyped field, a NaN, or one id twice is refused
with ``file:line`` and what was expected (a RecordError), before anything is written — never a traceback
and never a silent default.  The tracks file is read as a stream; beside its contract, the boxes and landmarks
of the main character (what the screen measures; the contract leaves per-frame data to the readers that use it)
are checked by numpy in one go per track.  Of the actions file only what the screen needs is kept per clip (its
events, not its per-frame signals).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fdacli.core.run import readers
from fdacli.core.run.records import Record, RecordError


def _screenable(rec: Record, where: str) -> None:
    """Raise RecordError unless a tracks record that passed the tracks contract (core/run/contracts.py) has what the
    screen measures, which the contract leaves optional.  The main character's boxes and landmarks are left as numpy
    arrays (the record is read, never written back)."""
    for key in _MEASURED:
        if rec.get(key) is None:
            raise RecordError(f"{where} field {key!r} is missing: the screen measures it (track the clip again with this fda)")
    for k, t in enumerate(rec["tracks"], start=1):
        _check_track(t, f"{where} track {k}:")


_MEASURED = ("fps", "width", "height", "sampled_frames", "shots", "identities", "tracks")


def _check_track(t: Record, where: str) -> None:
    """The boxes and landmarks of the main character's tracks, the only ones measured (a crowd's other faces would
    triple the cost of a check); every track's identity and frames are the contract's."""
    boxes = t.get("boxes")
    if not (isinstance(boxes, list) and len(boxes) == len(t["frames"])):
        raise RecordError(f"{where} 'frames' and 'boxes' must be lists of the same length")
    if not t["is_main"]:
        return
    # checked once, converted once: the measures read these arrays instead of converting the lists again
    if (arr := _finite_array(boxes, 2, 4)) is None:
        raise RecordError(f"{where} every box must be four finite numbers")
    t["boxes"] = arr
    if t.get("landmarks"):
        if (arr := _finite_array(t["landmarks"], 3, 2)) is None or len(arr) != len(boxes):
            raise RecordError(f"{where} 'landmarks' must be lists of [x, y] points, the same number on every frame")
        t["landmarks"] = arr


def _finite_array(seq: list, ndim: int, last: int) -> Any:
    """``seq`` as a float array when it is a regular array of finite numbers whose last axis has ``last`` entries,
    else None — checked by numpy in one go (per-number checks in Python took two thirds of a screen's time)."""
    import numpy as np

    if not seq:
        return np.zeros((0,) + (0,) * (ndim - 2) + (last,), np.float64)
    try:
        a = np.asarray(seq)
    except ValueError:  # ragged
        return None
    if a.ndim != ndim or a.shape[-1] != last or a.dtype.kind not in "iuf" or not np.isfinite(a).all():
        return None
    return a.astype(np.float64, copy=False)


def read_tracks(path: Path) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of a tracks file, checked, in file order; one id twice is refused with both lines."""
    where = readers.where_of(path)
    for lineno, rec in readers.read_tracks(path):
        if rec.get("status", "ok") != "error":
            _screenable(rec, where(lineno))
        yield lineno, rec


def compact_actions(rec: Record) -> Record:
    """What the screen needs of a checked actions record: its events and how well the face was measured, not its
    per-frame signals."""
    if rec.get("status", "ok") == "error":
        return {"id": rec["id"], "status": "error", "error": str(rec.get("error") or "no reason given"), "video": rec.get("video")}
    keep = ("id", "video", "status", "version", "main_face", "identity", "mean_quality", "duration", "events", "thresholds")
    return {k: rec.get(k) for k in keep}


def read_actions(path: Path) -> dict[str, Record]:
    """id -> compact actions record, each checked by the actions contract (core/run/contracts.py)."""
    return {rec["id"]: compact_actions(rec) for _, rec in readers.read_actions(path)}
