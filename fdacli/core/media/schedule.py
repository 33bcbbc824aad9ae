"""Which frames of a video to analyse, and at what size: the schedule every stage decodes by.

Why apart from the decoders (video.py): these are arithmetic on a video's probed length, rate and size, shared
by tracking, measuring, sampling and key frames, and they must give the same indices whichever decoder then
reads them; a resume or a second pass (``fda actions`` after ``fda track``) relies on that.
"""

from __future__ import annotations

import math

import numpy as np

from fdacli.core.media.video import VideoInfo


def resample_indices(
    info: VideoInfo, target_fps: float, start: float | None = None, end: float | None = None
) -> list[int]:
    """Source frame indices that resample [start, end) to ``target_fps`` (never upsampling)."""
    t0 = max(0.0, start or 0.0)
    t1 = min(info.duration, end if end is not None else info.duration)
    if t1 <= t0:
        return []
    if target_fps <= 0 or target_fps >= info.fps:
        first, last = _round(t0 * info.fps), int(math.ceil(t1 * info.fps - 1e-6))
        return list(range(first, min(last, info.num_frames)))
    count = max(1, int(math.ceil((t1 - t0) * target_fps - 1e-6)))
    idx = [min(info.num_frames - 1, _round((t0 + k / target_fps) * info.fps)) for k in range(count)]
    return sorted(set(idx))


def effective_fps(info: VideoInfo, target_fps: float) -> float:
    """The rate actually analysed: the target, or the source's own when it is slower."""
    return info.fps if target_fps <= 0 or target_fps >= info.fps else target_fps


def _round(x: float) -> int:
    """Half up, not to even: Python's round() makes 24/30 fps sampling steps uneven."""
    return int(math.floor(x + 0.5 + 1e-9))


def analysis_size(info: VideoInfo, max_side: int) -> tuple[int, int]:
    """(width, height) to decode at: the source size, or scaled so the long side is ``max_side``."""
    if max_side <= 0 or max(info.width, info.height) <= max_side:
        return info.width, info.height
    s = max_side / max(info.width, info.height)
    return max(2, int(round(info.width * s / 2)) * 2), max(2, int(round(info.height * s / 2)) * 2)


def uniform_positions(length: int, n: int) -> list[int]:
    """``n`` evenly spaced positions in ``range(length)``, ends included (repeats when length < n)."""
    if length <= 0 or n <= 0:
        return []
    if n == 1:
        return [length // 2]
    return [int(round(x)) for x in np.linspace(0, length - 1, n)]
