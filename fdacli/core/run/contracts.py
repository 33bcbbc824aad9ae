"""The door of every reader: is this record of the kind the command reads, of a version this fda reads, and does
it keep its contract (core/run/schemas.py)?  Apart from the models so that what a record *is* — told from its
version or its fields, for errors such as "not an actions record (it looks like a caption)" — is decided in one
place, for reading files (core/run/readers.py) and for checking a document before it is written (scores.json).

A record of the wrong kind, of a version this tool does not read, with a missing key, a wrong type or a NaN is
refused with ``file:line`` and what was expected — never a traceback, never a silent default.  A record states
its version in ``version``; one that states none is read as the version this fda writes (files made by hand),
and a version of this tool's naming (``manifest-v2``, ``actions-v1`` in a manifest) that this fda does not read
is refused.  Other values of ``version`` (a model's, a dataset's) in files people make are data.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from fdacli.core.run.records import Record, RecordError
from fdacli.core.run.schemas import (
    ANNOTATIONS_READS, CAPTIONS_READS, MANIFEST_READS, READS, SCORES_READS, SCREEN_READS, TRAINING_READS, VERSIONS_READS,
    ActionsRecord, Annotation, CaptionRecord, Draft, ExportTask, FailedRecord, IndexRow, ManifestRecord, Scores,
    ScreenRecord, TracksRecord, TrainingRecord, VersionsRecord,
)
from fdacli.core.text import timeline


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
