"""Training samples (read and checked up front by samples.py, with file:line errors) decoded and tokenised on demand.

A sample that fails to load comes back as ``BadSample``; the trainer stops on it or, with ``skip_bad``,
counts it — it is never silently replaced by another sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from fdacli.core.media.clips import clip_pixels
from fdacli.core.media.video import VideoError
from fdacli.core.model import prompting
from fdacli.core.model.config import FaceTrackMMConfig
from fdacli.core.model.facetrack_mm import Batch
from fdacli.core.train.samples import Sample


@dataclass
class BadSample:
    id: str
    reason: str


class BadSampleError(RuntimeError):
    """A sample failed to load and ``skip_bad`` is off: the run stops and names it."""


class SampleLoader(torch.utils.data.Dataset):
    """Decodes and tokenises one sample; a failure comes back as ``BadSample`` (the trainer decides)."""

    def __init__(self, samples: list[Sample], tokenizer, cfg: FaceTrackMMConfig, max_text_tokens: int) -> None:
        self.samples, self.tok, self.cfg, self.max_text = samples, tokenizer, cfg, max_text_tokens

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> dict[str, Any] | BadSample:
        s = self.samples[i]
        try:
            ids, labels = prompting.encode(self.tok, s.conversations, train=True)
            if len(ids) > self.max_text:
                raise ValueError(f"{len(ids)} text tokens, over --max-text-tokens {self.max_text}")
            frames, faces = clip_pixels(s.spec, self.cfg.num_frames, self.cfg.image_size, self.cfg.face_input_size(),
                                        self.cfg.crop_margin, self.cfg.fill())
        except (VideoError, ValueError, OSError) as exc:
            return BadSample(s.id, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return {"id": s.id, "frames": torch.from_numpy(frames), "faces": None if faces is None else torch.from_numpy(faces),
                "input_ids": torch.tensor(ids), "labels": torch.tensor(labels)}


def collate(items: list[dict[str, Any] | BadSample]) -> tuple[Batch | None, list[BadSample]]:
    good = [x for x in items if not isinstance(x, BadSample)]
    bad = [x for x in items if isinstance(x, BadSample)]
    if not good:
        return None, bad
    faces = None if good[0]["faces"] is None else torch.stack([g["faces"] for g in good])
    return Batch(torch.stack([g["frames"] for g in good]), faces, [g["input_ids"] for g in good], [g["labels"] for g in good]), bad
