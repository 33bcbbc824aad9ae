"""Record contracts between commands, declared once with pydantic: what each kind of record holds, and which of
its versions this fda reads.  Only what readers may rely on: the door checks are core/run/contracts.py's and
reading a file by them core/run/readers.py's; both import this module, never the reverse.  Records keep every
field they have (``extra="allow"``): a contract names what readers rely on.

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
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StrictBool, StrictInt, StrictStr, model_validator

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
