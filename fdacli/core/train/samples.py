"""The training records of a run, read before anything heavy is loaded: every record checked by the training
contract (core/run/contracts.py), its conversation by the prompt format, and its clip joined with the key frames of
its tracks record (the tracks contract) where it carries none of its own.  A bad file stops with ``file:line``
before a model is loaded; what stays in memory per sample is its clip and its conversation, not its tracks record.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fdacli.core.media.clips import ClipSpec, spec_from_record
from fdacli.core.model import prompting
from fdacli.core.run import readers
from fdacli.core.run.records import RecordError

_CLIP = ("key_frames", "key_frame_boxes", "video_fingerprint")  # what a sample takes from its tracks record


@dataclass
class Sample:
    id: str
    spec: ClipSpec
    conversations: list[dict[str, Any]]


def load_samples(train: Path, tracks: Path | None, video_roots: list[Path]) -> list[Sample]:
    """Training records (fda build-instructions output), checked up front with ``file:line`` errors."""
    clips = {rec["id"]: {k: rec.get(k) for k in _CLIP} for _, rec in readers.read_tracks(tracks)
             if rec.get("status", "ok") == "ok"} if tracks else None
    roots = video_roots + [train.parent] + ([tracks.parent] if tracks else [])
    where, out = readers.where_of(train), []
    for lineno, rec in readers.read_training(train):
        try:
            prompting.to_messages(rec["conversations"])
        except ValueError as exc:
            raise RecordError(f"{where(lineno)} {exc}") from None
        out.append(Sample(rec["id"], spec_from_record(rec, clips, roots), rec["conversations"]))
    if not out:
        raise RecordError(f"{train}: no training samples")
    return out
