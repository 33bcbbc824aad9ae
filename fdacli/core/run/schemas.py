"""Record contracts between commands, declared once with pydantic and checked where a command reads a file.

A record of the wrong kind, of a version this tool does not read, with a missing key, a wrong type, a NaN or
an id already seen is refused with ``file:line`` and what was expected — never a traceback, never a silent
default.  Records keep every field they have (``extra="allow"``): a contract names what readers rely on.

Declared here, each kind with its version:
  * `fda actions` records (``actions-v1``, ``actions-v2``), read by grounding (score), hints (preannotate), the timeline
    captioner (caption), review and screen;
  * `fda track` records (no version yet: a ``tracks-vN`` is a later fda's), read by actions, preannotate, caption,
    review, build-instructions, finetune and screen (which adds its numpy pass over the main face's per-frame boxes
    and landmarks, core/screen/inputs.py, fast enough for 10,000 clips);
  * manifest records (``manifest-v1``: `fda sample`'s output or written by hand), read by track and caption;
  * captions (``captions-v1``: predictions — `fda caption`'s output or any model's — and references such as the
    FEC-Bench release), read by score;
  * annotations (``annotations-v1``: `fda review pull`'s output, FEC-Bench-style captions, the three parts by hand),
    read by build-instructions;
  * drafts (`fda preannotate`'s output), read by review push;
  * annotators' versions (``versions-v1``: `fda review pull` on the annotators' project), read by review consolidate;
  * screen records (``screen-v1``: `fda screen`'s output), read by review push and by screen resuming onto its output;
  * training records (``training-v1``: `fda build-instructions`' output, or VideoLLaMA2 conversations by hand), read
    by finetune;
  * dataset index rows (JSONL: path, label[, dataset, duration, id]), read by sample;
  * scores.json (``scores-v1``), checked as `fda score` writes it and wherever it is read;
  * the tasks of a Label Studio JSON export (their shape), read by review pull --export.
A record states its version in ``version``; one that states none is read as the version this fda writes (files
made by hand), and a version of this tool's naming (``manifest-v2``, ``actions-v1`` in a manifest) that this fda
does not read is refused.  Other values of ``version`` (a model's, a dataset's) in files people make are data.

One id twice: in a file fda wrote (tracks, actions, drafts, versions, screen and training records) and in a
manifest (which names each clip once) it is refused with both lines; files of text people make (annotations,
predictions, references) keep the first and report the rest with their lines (docs/reliability.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StrictBool, StrictInt, StrictStr, ValidationError, model_validator

from fdacli.core.run.records import Record, RecordError, is_json_list, read_jsonl
from fdacli.core.text import timeline

# A number is a JSON number: "0.9" and true are not 0.9 and 1 (a record is checked, not converted, so a lax check
# would pass a text that later code then trips over).  With allow_inf_nan=False on every model, NaN and ±Infinity
# are refused too.
Finite = Annotated[float, Strict()]
Frame = Annotated[int, Strict(), Field(ge=0)]  # a frame number of the video
Share = Annotated[float, Strict(), Field(ge=0, le=1)]


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
    track_id: StrictInt
    identity: StrictInt
    is_main: StrictBool
    frames: list[StrictInt]


class Identity(_Model):
    """A person of a tracked clip: the tracks that are theirs, and whether they are a main character."""

    identity: StrictInt
    is_main: StrictBool
    area: Finite | None = Field(default=None, ge=0)
    similarity: Finite | None = None
    track_ids: list[StrictInt] | None = None


class TracksRecord(_Model):
    """An `fda track` record that tracked its clip: what later stages read of it — the key frames and the main
    face's box at each (every reader), and, where present, the clip's size, length, tracks and the video's
    fingerprint (stages that measure).  Per-frame boxes are checked by the readers that use them."""

    id: str
    video: str
    status: Literal["ok"] = "ok"
    key_frames: list[Frame]
    key_frame_boxes: list[Box | None] = Field(default_factory=list)
    fps: Finite | None = Field(default=None, gt=0)
    num_frames: StrictInt | None = Field(default=None, ge=0)
    width: StrictInt | None = Field(default=None, gt=0)
    height: StrictInt | None = Field(default=None, gt=0)
    start: Finite | None = Field(default=None, ge=0)
    end: Finite | None = Field(default=None, ge=0)
    main_track_ids: list[StrictInt] | None = None
    tracks: list[TrackSummary] | None = None
    identities: list[Identity] | None = None
    sampled_frames: list[StrictInt] | None = None
    shots: list[tuple[StrictInt, StrictInt]] | None = None
    picture_change: Finite | None = Field(default=None, ge=0)
    video_fingerprint: str | None = None


class FailedRecord(_Model):
    id: str
    video: str | None = None
    status: Literal["error"]
    error: str | None = None


# -- the other kinds ---------------------------------------------------------------------------------------------
MANIFEST_READS = ("manifest-v1",)
CAPTIONS_READS = ("captions-v1",)
ANNOTATIONS_READS = ("annotations-v1",)
SCORES_READS = ("scores-v1",)
VERSIONS_READS = ("versions-v1",)
SCREEN_READS = ("screen-v1",)
TRAINING_READS = ("training-v1",)
MANIFEST, CAPTIONS, ANNOTATIONS, SCORES = MANIFEST_READS[-1], CAPTIONS_READS[-1], ANNOTATIONS_READS[-1], SCORES_READS[-1]
VERSIONS, SCREEN, TRAINING = VERSIONS_READS[-1], SCREEN_READS[-1], TRAINING_READS[-1]


class ManifestRecord(_Model):
    """A clip to work on: `fda sample`'s output, or a row written by hand (only ``id`` and ``video`` are needed)."""

    id: str
    video: StrictStr
    start: Finite | None = Field(default=None, ge=0)
    end: Finite | None = Field(default=None, ge=0)
    dataset: StrictStr | None = None
    label: StrictStr | StrictInt | None = None  # a class index is a label too
    duration: Finite | None = Field(default=None, ge=0)


class IndexRow(_Model):
    """A row of a dataset's index (JSONL) that `fda sample` draws from: a clip's path and label, optionally its
    dataset, duration and id."""

    path: StrictStr | None = None
    video: StrictStr | None = None
    label: StrictStr | StrictInt
    dataset: StrictStr | None = None
    duration: Finite | None = Field(default=None, ge=0)
    id: StrictStr | StrictInt | None = None


class CaptionRecord(_Model):
    """A caption keyed by id: predictions (`fda caption`'s, or any model's) and references (the FEC-Bench release).
    The text is under ``caption`` (or ``pred`` or ``text``, as other tools name it); null or "" is no caption."""

    id: str
    caption: StrictStr | None = None
    pred: StrictStr | None = None
    text: StrictStr | None = None
    caption2: StrictStr | None = None  # a second prediction of the same clip (the consistency score)
    person: StrictInt | None = None  # whom the caption is about: an identity of the tracks record (grounding)


class Annotation(_Model):
    """A clip's final caption, for training: `fda review pull`'s output on the review project (the three parts, or
    dropped with its reasons), FEC-Bench-style ``{id, video, caption}``, or written by hand.  A record without a
    caption or a video is left out by build-instructions with its reason, not refused."""

    id: str
    video: StrictStr | None = None
    status: Literal["ok", "dropped", "error"] | None = None
    error: StrictStr | None = None
    caption: StrictStr | None = None
    attributes: StrictStr | None = None
    facial_changes: StrictStr | None = None
    summary: StrictStr | None = None
    drop: list[StrictStr] | None = None
    duration: Finite | None = Field(default=None, ge=0)


class Draft(_Model):
    """A vision model's draft caption of a clip (`fda preannotate`), for annotators to correct."""

    id: str
    video: StrictStr | None = None
    status: Literal["ok"] = "ok"
    text: StrictStr | None
    model: StrictStr | None = None
    prompt_version: StrictStr | None = None


class AnnotatorVersion(_Model):
    """One annotator's correction of a draft, as `fda review pull` reads it from the annotators' project."""

    annotator: StrictStr
    attributes: StrictStr
    facial_changes: StrictStr
    summary: StrictStr
    drop: list[StrictStr]
    annotation: StrictInt | StrictStr | None = None
    created_at: StrictStr | None = None
    updated_at: StrictStr | None = None
    lead_time: Finite | None = None
    changed: dict[str, StrictBool] | None = None
    draft_unchanged: StrictBool = False
    drop_as_suggested: StrictBool = False
    brackets_ok: StrictBool = True


class VersionPair(_Model):
    """The agreement of two versions (indices into ``versions``), part by part, and where they differ."""

    a: StrictInt
    b: StrictInt
    attributes: Share | None = None
    facial_changes: Share | None = None
    summary: Share | None = None
    differences: StrictStr | None = None


class VersionsRecord(_Model):
    """A clip's versions from `fda review pull` on the annotators' project: what review consolidate puts before the
    reviewer — every version, their agreement part by part (a share, or null where not measured), the medoid version
    of each part (an index into ``versions``), the majority's drop reasons and where the clip's video is served."""

    id: str
    record: Literal["fda-review-versions"]
    version: Literal[VERSIONS_READS] = VERSIONS  # type: ignore[valid-type]
    status: Literal["ok", "incomplete", "empty"]
    error: StrictStr | None = None
    video: StrictStr | None = None
    media: StrictStr | None = None
    project: StrictInt | None = None
    task: StrictInt | StrictStr | None = None
    versions_wanted: StrictInt | None = Field(default=None, ge=1)
    draft: dict[str, StrictStr] | None = None
    draft_model: StrictStr | None = None
    versions: list[AnnotatorVersion]
    cancelled: list[dict[str, Any]] = Field(default_factory=list)
    agreement: dict[str, Share | None]
    agreement_errors: dict[str, StrictStr] | None = None
    judge: StrictStr | None = None
    pairs: list[VersionPair] = Field(default_factory=list)
    medoid: dict[str, StrictInt | None]
    drop_votes: dict[str, StrictInt] = Field(default_factory=dict)
    drop_majority: list[StrictStr] = Field(default_factory=list)

    @model_validator(mode="after")
    def _indices(self) -> VersionsRecord:
        n = len(self.versions)
        for part, i in self.medoid.items():
            if i is not None and not 0 <= i < n:
                raise ValueError(f"the medoid of {part} ({i}) is not one of the {n} versions")
        for k, pair in enumerate(self.pairs, start=1):
            if not (0 <= pair.a < n and 0 <= pair.b < n) or pair.a == pair.b:
                raise ValueError(f"pair {k} ({pair.a}, {pair.b}) is not two of the {n} versions")
        return self


SCREEN_VERDICTS = ("pass", "drop", "not measured", "left to annotators")  # core/screen/criteria.py names them


def _finite_json(value: Any, depth: int = 0) -> Any:
    """A measured value or threshold: a number, text, a flag, null, or lists and objects of them, every number
    finite (the values vary by criterion; what they may hold does not)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must hold finite numbers, not {value}")
    if isinstance(value, (list, dict)) and depth < 4:
        for v in value.values() if isinstance(value, dict) else value:
            _finite_json(v, depth + 1)
    elif not isinstance(value, (str, int, float, bool, type(None))):
        raise ValueError("must be numbers, text, or lists and objects of them")
    return value


Measured = Annotated[Any, AfterValidator(_finite_json)]


class Criterion(_Model):
    """One criterion's verdict on a clip, with its measured value, threshold and reason."""

    value: Measured = None
    threshold: Measured = None
    verdict: Literal[SCREEN_VERDICTS]  # type: ignore[valid-type]
    reason: StrictStr
    drop_reason: StrictStr | None = None


class ScreenRecord(_Model):
    """An `fda screen` record: whether the clip is kept, the reasons it is dropped (what review push preselects),
    and every criterion with its value; a failed one (``status: error``) is neither kept nor dropped."""

    id: str
    video: StrictStr | None = None
    version: Literal[SCREEN_READS]  # type: ignore[valid-type]
    status: Literal["ok", "error"]
    error: StrictStr | None = None
    keep: StrictBool
    drop_reasons: list[StrictStr]
    criteria: dict[str, Criterion] | None = None
    settings: dict[str, Finite | StrictBool] | None = None

    @model_validator(mode="after")
    def _verdict(self) -> ScreenRecord:
        if self.status == "ok" and self.criteria is None:
            raise ValueError("a screened clip (status ok) must have its criteria")
        if self.keep and (self.status != "ok" or self.drop_reasons):
            raise ValueError("'keep' is true for a clip that is dropped or failed")
        if self.status == "ok" and not self.keep and not self.drop_reasons:
            raise ValueError("a dropped clip must name its drop_reasons")
        return self


class Turn(_Model):
    """A turn of a conversation: VideoLLaMA2's ``{"from", "value"}`` (or a chat message's ``{"role", "content"}``)."""

    from_: Literal["human", "gpt", "user", "assistant", "system"] | None = Field(default=None, alias="from")
    value: StrictStr | None = None
    role: Literal["user", "assistant", "system"] | None = None
    content: StrictStr | None = None

    @model_validator(mode="after")
    def _one_turn(self) -> Turn:
        if (self.from_ or self.role) is None:
            raise ValueError("a turn needs 'from' (human or gpt)")
        if self.value is None and self.content is None:
            raise ValueError("a turn needs its text under 'value'")
        return self


class TrainingRecord(_Model):
    """A training sample: `fda build-instructions`' output (VideoLLaMA2's conversation format), or written by hand as
    ``{id, video, conversations}``; key frames and the main face's box at each where `fda track` found them."""

    id: str
    video: StrictStr
    conversations: list[Turn] = Field(min_length=1)
    instruction_index: StrictInt | None = None
    key_frames: list[Frame] | None = None
    key_frame_boxes: list[Box | None] | None = None
    main_track_ids: list[StrictInt] | None = None
    fps: Finite | None = Field(default=None, gt=0)
    video_fingerprint: StrictStr | None = None

    @model_validator(mode="after")
    def _boxes(self) -> TrainingRecord:
        if self.key_frame_boxes and len(self.key_frame_boxes) != len(self.key_frames or []):
            raise ValueError("'key_frame_boxes' must have one entry per key frame")
        return self


class ExportTask(_Model):
    """A task of a Label Studio JSON export (`fda review pull --export`): its data and its annotations.  What an
    annotation holds is read defensively (exports vary by version and by tool); that the task and its data are
    objects, and its annotations a list, is the export's shape."""

    id: StrictInt | StrictStr | None = None
    data: dict[str, Any]
    annotations: list[Any] | None = None
    predictions: list[Any] | None = None


class ModelScores(_Model):
    path: StrictStr
    summary: dict[str, Finite | StrictStr | None]
    counts: dict[str, StrictInt | dict[str, StrictInt]]
    tokenizer: StrictStr | None = None
    samples: list[dict[str, Any]]


class Scores(_Model):
    """scores.json of `fda score`: provenance, and per model its summary (finite numbers or null), counts and
    samples."""

    version: Literal["scores-v1"]
    tool: StrictStr
    refs: StrictStr | None
    metrics: list[StrictStr]
    lcs_norm: Literal["pred", "ref"]
    judge: dict[str, Any]
    grounding: dict[str, Any] | None = None
    models: dict[str, ModelScores]


# -- what a record is -----------------------------------------------------------------------------------------------
KINDS = {
    "actions": "an `fda actions` record", "tracks": "an `fda track` record", "screen": "an `fda screen` record",
    "training": "a training record", "captions": "a caption (predictions or references)",
    "manifest": "a manifest record from `fda sample`", "drafts": "a pre-annotation from `fda preannotate`",
    "annotations": "an annotation from `fda review pull`",
    "versions": "annotators' versions from `fda review pull`, not yet consolidated",
    "scores": "a scores.json from `fda score`",
}
_RECORD_KEY = {"fda-review-annotation": "annotations", "fda-review-versions": "versions"}  # review's own kind stamp
_VERSIONED = re.compile(r"(actions|tracks|screen|manifest|captions|annotations|scores|versions|training)-v\d+")
# fields that name the command that wrote a record: "not an actions record: it looks like ..."
_LOOKS_LIKE = (
    ("caption", "captions"), ("key_frames", "tracks"), ("tracks", "tracks"), ("events", "actions"), ("signals", "actions"),
    ("criteria", "screen"), ("drop_reasons", "screen"), ("conversations", "training"), ("prompt_version", "drafts"), ("models", "scores"),
    ("dataset", "manifest"),
)


def _family(rec: Record) -> str | None:
    v = rec.get("version")
    m = _VERSIONED.fullmatch(v) if isinstance(v, str) else None
    return m.group(1) if m else None


def kind_of(rec: Record) -> str | None:
    """The kind a record says it is (review's ``record``, a ``version`` of this tool's naming) or, failing that, the
    kind its fields show; None for a record that shows none (a hand-made ``{id, video}``)."""
    if (k := _RECORD_KEY.get(rec.get("record"))) is not None:  # type: ignore[arg-type]
        return k
    return _family(rec) or next((kind for key, kind in _LOOKS_LIKE if key in rec), None)


def looks_like(rec: Record) -> str:
    return KINDS.get(kind_of(rec) or "", "a record of another kind")


def _door(rec: Record, where: str, family: str, reads: tuple[str, ...], what: str, hint: str, redo: str,
          is_kind: bool, strict: bool = False) -> None:
    """The checks before the contract: the record is of this kind (by its version or its fields), and of a version
    this fda reads.  ``strict``: every version string is this kind's (records that always carry one); otherwise
    only versions of this tool's naming are, and others (a model's, a dataset's) are the record's own data."""
    v = rec.get("version")
    if is_kind and (v is None or v in reads):  # the common case, first
        return
    fam = _family(rec)
    if (fam is not None and fam != family) or not is_kind:
        looks = KINDS[fam] if fam is not None and fam != family else looks_like(rec)  # a version names its kind
        raise RecordError(f"{where} not {what} (it looks like {looks}); {hint}")
    if v is not None and v not in reads and (fam == family or (strict and isinstance(v, str))):
        raise RecordError(f"{where} {what} of version {v!r}; this fda reads {' and '.join(reads)}: {redo}")


def _explain(exc: ValidationError) -> str:
    """The first problem in words: which field, what was expected.  A value that fits none of the types a field
    takes (``a string or an integer``) is one problem: pydantic reports one error per type, each under its tag."""
    errors = exc.errors()
    err = errors[0]
    loc, msgs = err["loc"], [err["msg"]]
    alike = [e for e in errors if len(e["loc"]) == len(loc) and e["loc"][:-1] == loc[:-1] and e["input"] is err["input"]]
    if len(loc) > 1 and len({e["type"] for e in alike}) > 1:  # one value, several types: a union
        loc, msgs = loc[:-1], list(dict.fromkeys(e["msg"] for e in alike))
    where = ".".join(str(x) for x in loc)
    msg = " or ".join(m.replace("Input should be ", "") for m in msgs)
    msg = ("must be " + msg if msgs[0].startswith("Input should be") else msg).replace("Value error, ", "")
    if not where:
        return msg
    got = err.get("input")
    shown = repr(got) if not isinstance(got, (dict, list)) else type(got).__name__
    return f"field {where!r} {msg} (got {shown[:60]})" if err["type"] != "missing" else f"field {where!r} is missing"


def _validate(model: type[BaseModel], rec: Record, where: str, what: str) -> None:
    try:
        model.model_validate(rec)
    except ValidationError as exc:
        raise RecordError(f"{where} not a valid {what}: {_explain(exc)}") from None


# -- reading --------------------------------------------------------------------------------------------------------
@dataclass
class Twice:
    """A later record of an id already read, in a file people make: left out, and reported with both places."""

    id: str
    where: str  # "file:line" of this record
    first: str  # "file:line" of the one kept

    def __str__(self) -> str:
        return f"{self.where}: id {self.id!r} again (first on {self.first}); the first is kept"


def _records(path: Path, require: tuple[str, ...] = ("id",), twice: list[Twice] | None = None,
             ) -> Iterator[tuple[int, Record, str, bool]]:
    """``(number, record, "file:line:", first)`` of every record (a JSON list's are ``file: item N:``, as read_jsonl
    numbers them).  One id twice: refused with both places, or, given ``twice`` (files people make), the later
    record comes with ``first`` False — for the caller to check like any other and leave out — and is added to
    ``twice`` with both places."""
    listed: bool | None = None
    seen: dict[str, int] = {}
    name = str(path)
    for n, rec in read_jsonl(path, require=require):
        if listed is None:
            listed = is_json_list(path)
        where = f"{name}: item {n}:" if listed else f"{name}:{n}:"
        rid = rec["id"]
        if rid in seen:
            if twice is None:
                raise RecordError(f"{where} id {rid!r} again (first on {'item' if listed else 'line'} {seen[rid]}); "
                                  "one record per clip")
            twice.append(Twice(rid, where[:-1], f"{path}: item {seen[rid]}" if listed else f"{path}:{seen[rid]}"))
            yield n, rec, where, False
            continue
        seen[rid] = n
        yield n, rec, where, True


def _unique(path: Path) -> Iterator[tuple[int, Record, str]]:
    """Records of a file `fda` wrote, where one id twice can only be a damaged or concatenated file: refused with
    both lines."""
    return ((n, rec, where) for n, rec, where, _ in _records(path))


def _checked_unique(path: str | Path, check) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of a file fda wrote, each record checked by ``check``; one id twice is refused."""
    for lineno, rec, where in _unique(Path(path)):
        check(rec, where)
        yield lineno, rec


def read_actions(path: str | Path) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of an `fda actions` file, every record checked; one id twice is refused with both lines."""
    return _checked_unique(path, check_actions)


def read_tracks(path: str | Path) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of an `fda track` file, every record checked; one id twice is refused with both lines."""
    return _checked_unique(path, check_tracks)


def read_manifest(path: str | Path) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of a manifest, every record checked; a manifest names each clip once, so one id twice is
    refused with both lines."""
    for lineno, rec, where, _ in _records(Path(path), require=("id", "video")):
        check_manifest(rec, where)
        yield lineno, rec


def read_captions(path: str | Path, twice: list[Twice]) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of predictions or references, every record checked; of one id twice the first is read and
    the others are added to ``twice``, with both places."""
    for lineno, rec, where, first in _records(Path(path), twice=twice):
        check_caption(rec, where)
        if first:
            yield lineno, rec


def read_annotations(path: str | Path, twice: list[Twice]) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of annotations, every record checked; of one id twice the first is read and the others
    are added to ``twice``, with both places."""
    for lineno, rec, where, first in _records(Path(path), twice=twice):
        check_annotation(rec, where)
        if first:
            yield lineno, rec


def read_drafts(path: str | Path) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of `fda preannotate`'s output, every record checked; one id twice is refused with both
    lines."""
    return _checked_unique(path, check_draft)


def read_versions(path: str | Path) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of annotators' versions (`fda review pull` on the annotators' project), every record
    checked; one id twice is refused with both lines."""
    return _checked_unique(path, check_versions)


def read_screen(path: str | Path) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of `fda screen`'s output, every record checked; one id twice is refused with both lines."""
    return _checked_unique(path, check_screen)


def read_training(path: str | Path) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of training data, every record checked; one id twice is refused with both lines (a sample
    given twice would be trained on twice)."""
    return _checked_unique(path, check_training)


def where_of(path: str | Path) -> Callable[[int], str]:
    """How records of ``path`` are named in errors: ``file:line:``, or ``file: item N:`` in a JSON list (for readers
    with checks of their own beside the contract)."""
    name, listed = str(path), []

    def where(n: int) -> str:
        if not listed:  # asked once, when a record is named (the reader has found the file by then)
            listed.append(is_json_list(path))
        return f"{name}: item {n}:" if listed[0] else f"{name}:{n}:"
    return where


def read_scores(path: str | Path) -> dict[str, Any]:
    """A scores.json, checked: its kind, its version, finite summaries.  Errors name the file and the field."""
    import json

    def no_constant(name: str) -> None:  # NaN and Infinity: Python's json reads them, JSON has no such numbers
        raise RecordError(f"{path}: {name} is not a number (JSON has no NaN or Infinity); not a valid scores.json")

    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"), parse_constant=no_constant)
    except FileNotFoundError:
        raise RecordError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise RecordError(f"{path}: not UTF-8 text (byte offset {exc.start}); not a scores.json") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        if isinstance(exc, json.JSONDecodeError) and exc.msg == "Extra data":  # more than one document: records?
            with path.open(encoding="utf-8-sig", errors="replace") as fh:
                try:
                    rec = json.loads(fh.readline())
                except ValueError:
                    rec = None
            if isinstance(rec, dict):
                raise RecordError(f"{path}:1: not a scores.json (a file of records; it looks like {looks_like(rec)}); "
                                  "give the -o file of fda score") from None
        line = f":{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise RecordError(f"{path}{line}: not valid JSON; not a scores.json") from None
    except OSError as exc:
        raise RecordError(f"{path}: {exc.strerror or exc}") from None
    check_scores(doc, str(path))
    return doc


# -- the checks -----------------------------------------------------------------------------------------------------
def check_scores(doc: Any, path: str) -> None:
    """A scores.json document: its kind, its version, finite summaries and whole counts."""
    if not isinstance(doc, dict):
        raise RecordError(f"{path}: not a scores.json (a JSON {type(doc).__name__}, not an object with 'models'); give "
                          "the -o file of fda score")
    if "id" in doc:  # one record of a JSONL file
        raise RecordError(f"{path}:1: not a scores.json (it looks like {looks_like(doc)}); give the -o file of fda score")
    _door(doc, f"{path}:", "scores", SCORES_READS, "a scores.json", "give the -o file of fda score",
          "score again with this fda", is_kind="models" in doc, strict=True)
    if "version" not in doc:
        raise RecordError(f"{path}: a scores.json without a version (written before scores-v1): score again with this fda")
    _validate(Scores, doc, f"{path}:", "scores.json")


def check_tracks(rec: Record, where: str) -> None:
    """`fda track` writes no version yet: a record of another kind's version is refused for its kind, and one of a
    tracks version (a later fda's) for its version."""
    if (fam := _family(rec)) is not None:
        if fam != "tracks":
            raise RecordError(f"{where} not an `fda track` record (it looks like {KINDS[fam]}); give the output of fda track")
        raise RecordError(f"{where} an `fda track` record of version {rec['version']!r}; this fda reads tracks records "
                          "without a version: track the clips again with this fda")
    if rec.get("status", "ok") == "error":
        _validate(FailedRecord, rec, where, "failed `fda track` record")
        return
    if "key_frames" not in rec and kind_of(rec) != "tracks":
        raise RecordError(f"{where} not an `fda track` record (it looks like {looks_like(rec)}); give the output of fda track")
    _validate(TracksRecord, rec, where, "`fda track` record")
    if len(rec.get("key_frame_boxes") or []) not in (0, len(rec["key_frames"])):
        raise RecordError(f"{where} 'key_frame_boxes' must have one entry per key frame")


def check_actions(rec: Record, where: str) -> None:
    if rec.get("status", "ok") == "error":
        _validate(FailedRecord, rec, where, "failed `fda actions` record")
        return
    _door(rec, where, "actions", READS, "an `fda actions` record", "give the output of fda actions",
          "measure the clips again with this fda", is_kind="events" in rec or "signals" in rec, strict=True)
    _validate(ActionsRecord, rec, where, "`fda actions` record")
    for k, e in enumerate(rec["events"], start=1):
        if (e["region"], e["action"]) not in timeline.MEASURED:
            raise RecordError(f"{where} event {k}: {e['region']} {e['action']!r} is not an event fda actions measures "
                              f"(a record of another version or tool?)")
        if e["end"] < e["start"]:
            raise RecordError(f"{where} event {k} ends before it starts ({e['start']} → {e['end']})")


# fields of the records of other commands, and review's kind stamp: such a record does not name a clip to work on
_NOT_MANIFEST = frozenset(key for key, kind in _LOOKS_LIKE if kind not in ("captions", "manifest")) | {"record"}


def check_manifest(rec: Record, where: str) -> None:
    """A clip to work on.  Records of another command's output are refused (a tracks or actions file given as the
    clips to work on); captions are taken (``{id, video, caption}`` names a clip as a manifest does)."""
    _door(rec, where, "manifest", MANIFEST_READS, "a manifest record", "give videos, folders or a manifest "
          "({id, video[, start, end]}, as fda sample writes)", "sample again with this fda",
          is_kind=not _NOT_MANIFEST.intersection(rec))
    _validate(ManifestRecord, rec, where, "manifest record")
    start, end = rec.get("start"), rec.get("end")
    if start is not None and end is not None and end <= start:
        raise RecordError(f"{where} 'end' ({end}) must be after 'start' ({start})")


def check_caption(rec: Record, where: str) -> None:
    """Predictions and references.  A failed `fda caption` record counts as an empty prediction; a record with no
    caption field at all is refused (another kind of file, or a caption under a name this fda does not read)."""
    if rec.get("status") == "error":
        _validate(FailedRecord, rec, where, "failed `fda caption` record")
        return
    has_text = "caption" in rec or "pred" in rec or "text" in rec
    if not has_text and kind_of(rec) is None:
        raise RecordError(f"{where} field 'caption' is missing (a caption record is {{\"id\": ..., \"caption\": ...}})")
    _door(rec, where, "captions", CAPTIONS_READS, "a caption record", "give captions: {id, caption} per line, or a "
          "JSON list of them (the FEC-Bench release)", "caption again with this fda", is_kind=has_text)
    _validate(CaptionRecord, rec, where, "caption record")


def check_index_row(rec: Record, where: str) -> None:
    """A JSONL index row (CSV rows are text by nature: `fda sample` reads their numbers itself)."""
    if not (rec.get("path") or rec.get("video")):
        raise RecordError(f"{where} missing 'path' (or 'video')")
    if rec.get("label") in (None, ""):
        raise RecordError(f"{where} missing 'label'")
    _validate(IndexRow, rec, where, "index row (path, label[, dataset, duration, id])")


_PARTS = ("caption", "attributes", "facial_changes", "summary")


def check_annotation(rec: Record, where: str) -> None:
    """What build-instructions reads.  Another command's records are refused; a record of no known kind without a
    caption is read (build-instructions leaves it out, saying so)."""
    _door(rec, where, "annotations", ANNOTATIONS_READS, "an annotation", "give annotations: what fda review pull "
          "writes from the final review (after fda review consolidate), or {id, video, caption} per line", "pull the annotations again with this fda",
          is_kind=any(k in rec for k in _PARTS) or rec.get("status") in ("dropped", "error")
          or kind_of(rec) in (None, "captions", "annotations"))
    _validate(Annotation, rec, where, "annotation")


def check_draft(rec: Record, where: str) -> None:
    if rec.get("status", "ok") == "error":
        _validate(FailedRecord, rec, where, "failed `fda preannotate` record")
        return
    if "text" not in rec and kind_of(rec) not in (None, "drafts"):
        raise RecordError(f"{where} not a pre-annotation (it looks like {looks_like(rec)}); give the output of fda preannotate")
    _validate(Draft, rec, where, "pre-annotation")


def check_versions(rec: Record, where: str) -> None:
    """What review consolidate puts before the reviewer: a clip's versions with their agreement and medoids."""
    _door(rec, where, "versions", VERSIONS_READS, "a record of `fda review pull` on an annotation project",
          "give the versions.jsonl that fda review pull writes from the annotators' project",
          "pull the annotators' project again with this fda", is_kind=rec.get("record") == "fda-review-versions",
          strict=True)
    _validate(VersionsRecord, rec, where, "versions record")


def check_screen(rec: Record, where: str) -> None:
    """A clip's verdict from `fda screen` (review push preselects its drop reasons)."""
    _door(rec, where, "screen", SCREEN_READS, "an `fda screen` record", "give the output of fda screen",
          "screen the clips again with this fda (a quick pass)",
          is_kind=_family(rec) == "screen" or "criteria" in rec or "drop_reasons" in rec, strict=True)
    _validate(ScreenRecord, rec, where, "`fda screen` record")


def check_training(rec: Record, where: str) -> None:
    """A training sample; what is left to check of its conversation (one <video> tag, the human turn first) is the
    prompt format's, checked by its reader."""
    if "conversations" not in rec and kind_of(rec) not in (None, "training"):
        raise RecordError(f"{where} not a training record (it looks like {looks_like(rec)}); give the output of "
                          "fda build-instructions ({id, video, conversations} per line)")
    _door(rec, where, "training", TRAINING_READS, "a training record", "give the output of fda build-instructions",
          "build the instructions again with this fda", is_kind=True)
    _validate(TrainingRecord, rec, where, "training record")


def check_export_task(task: Any, where: str) -> None:
    """One item of a Label Studio JSON export."""
    if not isinstance(task, dict):
        raise RecordError(f"{where} expected a task (a JSON object), got {type(task).__name__}")
    _validate(ExportTask, task, where, "task of a Label Studio JSON export")


def actions_by_id(path: str | Path, ok_only: bool = True) -> dict[str, Record]:
    """Checked actions records by id (only the measured ones unless ``ok_only`` is False)."""
    return {rec["id"]: rec for _, rec in read_actions(path) if not ok_only or rec.get("status", "ok") == "ok"}
