"""The two inputs of a screen, checked at the door: tracks records (`fda track`) and actions records
(`fda actions`).

A file of another command, a record with a missing or mistyped field, a NaN, or one id twice is refused
with ``file:line`` and what was expected (a RecordError), before anything is written — never a traceback
and never a silent default.  The tracks file is read as a stream; of the actions file only what the screen
needs is kept per clip (its events, not its per-frame signals).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fdacli.core.run import schemas
from fdacli.core.run.records import Record, RecordError, read_jsonl

# fields that name the command that wrote a record, for "this is not a tracks file: it is ..."
_KINDS = (
    ("events", "an `fda actions` record"), ("criteria", "an `fda screen` record"),
    ("conversations", "a `build-instructions` training record"), ("caption", "a caption (predictions or references)"),
    ("dataset", "a manifest record from `fda sample`"),
)


def _kind(rec: Record) -> str:
    for key, words in _KINDS:
        if key in rec:
            return words
    return "a record of another kind"


def _number(value: Any, positive: bool = False) -> bool:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return ok and (value > 0 or not positive)


def _numbers(seq: Any, size: int | None = None) -> bool:
    return isinstance(seq, list) and (size is None or len(seq) == size) and all(_number(v) for v in seq)


def check_tracks(rec: Record, where: str) -> None:
    """Raise RecordError unless ``rec`` is a tracks record the screen can read (a failed one is: it is reported).
    The main character's boxes and landmarks are left as numpy arrays (the record is read, never written back)."""
    if rec.get("status", "ok") == "error":
        return
    if "tracks" not in rec or "identities" not in rec:
        raise RecordError(f"{where} not an `fda track` record (it looks like {_kind(rec)}); TRACKS is the output of fda track")
    for key, positive in (("fps", True), ("width", True), ("height", True)):
        if not _number(rec.get(key), positive):
            raise RecordError(f"{where} field {key!r} must be a positive number, got {rec.get(key)!r}")
    if not (isinstance(rec.get("sampled_frames"), list) and all(isinstance(f, int) for f in rec["sampled_frames"])):
        raise RecordError(f"{where} field 'sampled_frames' must be a list of frame numbers")
    shots = rec.get("shots")
    if not (isinstance(shots, list) and all(_numbers(s, 2) for s in shots)):
        raise RecordError(f"{where} field 'shots' must be a list of [first, last] frame pairs")
    if "picture_change" in rec and rec["picture_change"] is not None and not _number(rec["picture_change"]):
        raise RecordError(f"{where} field 'picture_change' must be a number, got {rec['picture_change']!r}")
    if not isinstance(rec["identities"], list) or not all(isinstance(i, dict) and isinstance(i.get("identity"), int)
                                                          for i in rec["identities"]):
        raise RecordError(f"{where} field 'identities' must be a list of objects with an integer 'identity'")
    if not isinstance(rec["tracks"], list):
        raise RecordError(f"{where} field 'tracks' must be a list")
    for k, t in enumerate(rec["tracks"], start=1):
        _check_track(t, f"{where} track {k}:")


def _check_track(t: Any, where: str) -> None:
    """Every track's identity and frames (people are counted over all of them); the boxes and landmarks of the
    main character's tracks, the only ones measured (a crowd's other faces would triple the cost of a check)."""
    if not isinstance(t, dict) or not isinstance(t.get("identity"), int) or not isinstance(t.get("is_main"), bool):
        raise RecordError(f"{where} expected an object with an integer 'identity' and a true/false 'is_main'")
    frames, boxes = t.get("frames"), t.get("boxes")
    if not (isinstance(frames, list) and isinstance(boxes, list) and len(frames) == len(boxes)):
        raise RecordError(f"{where} 'frames' and 'boxes' must be lists of the same length")
    if not all(type(f) is int for f in frames):
        raise RecordError(f"{where} 'frames' must be frame numbers")
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
    seen: dict[str, int] = {}
    for lineno, rec in read_jsonl(path, require=("id", "video")):
        where = f"{path}:{lineno}:"
        check_tracks(rec, where)
        if rec["id"] in seen:
            raise RecordError(f"{where} id {rec['id']!r} again (first on line {seen[rec['id']]}); one record per clip")
        seen[rec["id"]] = lineno
        yield lineno, rec


def compact_actions(rec: Record) -> Record:
    """What the screen needs of a checked actions record: its events and how well the face was measured, not its
    per-frame signals."""
    if rec.get("status", "ok") == "error":
        return {"id": rec["id"], "status": "error", "error": str(rec.get("error") or "no reason given"), "video": rec.get("video")}
    keep = ("id", "video", "status", "version", "main_face", "identity", "mean_quality", "duration", "events", "thresholds")
    return {k: rec.get(k) for k in keep}


def read_actions(path: Path) -> dict[str, Record]:
    """id -> compact actions record, each checked by the actions contract (core/run/schemas.py)."""
    return {rec["id"]: compact_actions(rec) for _, rec in schemas.read_actions(path)}
