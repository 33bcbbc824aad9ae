"""Captioning options and their defaults, in one place (`fda caption` shows them; nothing heavy imported)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CaptionOptions:
    prompt: str | None = None  # overrides the instruction phrasings
    instruction: str = "0"  # index into the training phrasings, or "random" (chosen per id from the seed)
    seed: int = 0
    max_new_tokens: int = 512
    min_new_tokens: int = 0  # benchmarks: equal-length generations
    do_sample: bool = False
    temperature: float = 0.7
    top_p: float = 0.9
    num_frames: int = 16
