"""Record contracts between commands, declared once with pydantic and checked where a command reads a file.

A record of the wrong kind, of a version this tool does not read, with a missing key, a wrong type, a NaN or
an id already seen is refused with ``file:line`` and what was expected — never a traceback, never a silent
default.  Records keep every field they have (``extra="allow"``): a contract names what readers rely on.

Declared here: `fda actions` records (``actions-v1``, ``actions-v2``), read by grounding (score), hints (preannotate), the
timeline captioner (caption), review and screen.  `fda screen` checks tracks records with its own numpy pass
(core/screen/inputs.py), fast enough for 10,000 clips.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, model_validator

from fdacli.core.run.records import Record, RecordError, read_jsonl
from fdacli.core.text import timeline

Finite = float  # with allow_inf_nan=False on every model: NaN and ±Infinity are refused


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False, strict=False)


class ActionEvent(_Model):
    region: str
    action: str
    directions: list[Literal["left", "right", "up", "down"]] = Field(default_factory=list)
    start: Finite = Field(ge=0)
    end: Finite = Field(ge=0)
    magnitude: Finite


READS = ("actions-v1", "actions-v2")  # v2: every main person measured, the subject named, frames left out, rest per shot


class ActionsRecord(_Model):
    """An `fda actions` record that measured its clip (``status: ok``)."""

    id: str
    video: str
    status: Literal["ok"] = "ok"
    version: Literal["actions-v1", "actions-v2"]
    main_face: StrictBool  # "false" is not false
    mean_quality: Finite | None = Field(ge=0, le=1)  # none only without a main face
    duration: Finite = Field(ge=0)
    events: list[ActionEvent]
    neutral: dict[str, Finite | None] | None  # the person's rest; none only without a main face
    signals: dict[str, list[Finite | None]]
    thresholds: dict[str, list[Finite]]

    @model_validator(mode="after")
    def _measured_face(self) -> ActionsRecord:
        if self.main_face and (self.mean_quality is None or self.neutral is None):
            raise ValueError("a record with a main face must have its mean_quality and neutral levels")
        return self


Box = tuple[Finite, Finite, Finite, Finite]


class TrackSummary(_Model):
    track_id: int
    identity: int
    is_main: StrictBool
    frames: list[int]


class TracksRecord(_Model):
    """An `fda track` record that tracked its clip: what later stages read of it — the key frames and the main
    face's box at each (every reader), and, where present, the clip's size, length, tracks and the video's
    fingerprint (stages that measure).  Per-frame boxes are checked by the readers that use them."""

    id: str
    video: str
    status: Literal["ok"] = "ok"
    key_frames: list[int]
    key_frame_boxes: list[Box | None] = Field(default_factory=list)
    fps: Finite | None = Field(default=None, gt=0)
    num_frames: int | None = Field(default=None, ge=0)
    width: int | None = Field(default=None, gt=0)
    height: int | None = Field(default=None, gt=0)
    start: Finite | None = Field(default=None, ge=0)
    end: Finite | None = Field(default=None, ge=0)
    main_track_ids: list[int] | None = None
    tracks: list[TrackSummary] | None = None
    shots: list[tuple[int, int]] | None = None
    video_fingerprint: str | None = None


class FailedRecord(_Model):
    id: str
    video: str | None = None
    status: Literal["error"]
    error: str | None = None


# fields that name the command that wrote a record: "not an actions record: it looks like ..."
_LOOKS_LIKE = (
    ("events", "an `fda actions` record"), ("tracks", "an `fda track` record"), ("criteria", "an `fda screen` record"), ("conversations", "a training record"),
    ("caption", "a caption (predictions or references)"), ("dataset", "a manifest record from `fda sample`"),
    ("prompt_version", "a pre-annotation from `fda preannotate`"),
)


def looks_like(rec: Record) -> str:
    return next((words for key, words in _LOOKS_LIKE if key in rec), "a record of another kind")


def _explain(exc: ValidationError) -> str:
    """The first problem in words: which field, what was expected."""
    err = exc.errors()[0]
    where = ".".join(str(x) for x in err["loc"])
    if not where:
        return err["msg"].replace("Value error, ", "")
    got = err.get("input")
    shown = repr(got) if not isinstance(got, (dict, list)) else type(got).__name__
    msg = err["msg"].replace("Input should be", "must be").replace("Value error, ", "")
    return f"field {where!r} {msg} (got {shown[:60]})" if err["type"] != "missing" else f"field {where!r} is missing"


def _unique(path: Path) -> Iterator[tuple[int, Record, str]]:
    """Records of a file `fda` wrote, where one id twice can only be a damaged or concatenated file: refused with
    both lines.  (Files people make — annotations, predictions — keep the first and report the rest.)"""
    seen: dict[str, int] = {}
    for lineno, rec in read_jsonl(path, require=("id",)):
        where = f"{path}:{lineno}:"
        if rec["id"] in seen:
            raise RecordError(f"{where} id {rec['id']!r} again (first on line {seen[rec['id']]}); one record per clip")
        seen[rec["id"]] = lineno
        yield lineno, rec, where


def read_actions(path: str | Path) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of an `fda actions` file, every record checked; one id twice is refused with both lines."""
    for lineno, rec, where in _unique(Path(path)):
        check_actions(rec, where)
        yield lineno, rec


def read_tracks(path: str | Path) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of an `fda track` file, every record checked; one id twice is refused with both lines."""
    for lineno, rec, where in _unique(Path(path)):
        check_tracks(rec, where)
        yield lineno, rec


def check_tracks(rec: Record, where: str) -> None:
    if rec.get("status", "ok") == "error":
        _validate(FailedRecord, rec, where, "failed `fda track` record")
        return
    if "key_frames" not in rec:
        raise RecordError(f"{where} not an `fda track` record (it looks like {looks_like(rec)}); give the output of fda track")
    _validate(TracksRecord, rec, where, "`fda track` record")
    if len(rec.get("key_frame_boxes") or []) not in (0, len(rec["key_frames"])):
        raise RecordError(f"{where} 'key_frame_boxes' must have one entry per key frame")


def check_actions(rec: Record, where: str) -> None:
    if rec.get("status", "ok") == "error":
        _validate(FailedRecord, rec, where, "failed `fda actions` record")
        return
    if "events" not in rec and "signals" not in rec:
        raise RecordError(f"{where} not an `fda actions` record (it looks like {looks_like(rec)}); give the output of fda actions")
    if rec.get("version") not in (None, *READS) and isinstance(rec.get("version"), str):
        raise RecordError(f"{where} an `fda actions` record of version {rec['version']!r}; this fda reads "
                          f"{' and '.join(READS)}: measure the clips again with this fda")
    _validate(ActionsRecord, rec, where, "`fda actions` record")
    for k, e in enumerate(rec["events"], start=1):
        if (e["region"], e["action"]) not in timeline.MEASURED:
            raise RecordError(f"{where} event {k}: {e['region']} {e['action']!r} is not an event fda actions measures "
                              f"(a record of another version or tool?)")
        if e["end"] < e["start"]:
            raise RecordError(f"{where} event {k} ends before it starts ({e['start']} → {e['end']})")


def _validate(model: type[BaseModel], rec: Record, where: str, what: str) -> None:
    try:
        model.model_validate(rec)
    except ValidationError as exc:
        raise RecordError(f"{where} not a valid {what}: {_explain(exc)}") from None


def actions_by_id(path: str | Path, ok_only: bool = True) -> dict[str, Record]:
    """Checked actions records by id (only the measured ones unless ``ok_only`` is False)."""
    return {rec["id"]: rec for _, rec in read_actions(path) if not ok_only or rec.get("status", "ok") == "ok"}
