"""The pixels a FaceTrack-MM sample needs: its frames at the key frames of the track, padded to square
and sized for the vision tower, and the main character's face crop at each of them.

Training and captioning both read clips through here, so the model sees the same inputs in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fdacli.core.media.crops import square_crop
from fdacli.core.media.fingerprint import changed_since
from fdacli.core.media.schedule import uniform_positions
from fdacli.core.media.video import VideoError, read_frames
from fdacli.core.run.inputs import resolve_video


@dataclass(frozen=True)
class ClipSpec:
    """Where a clip is and what `fda track` found in it."""

    id: str
    video: str
    key_frames: tuple[int, ...]
    key_frame_boxes: tuple[Any, ...]
    fingerprint: str | None = None  # of the video `fda track` analysed (media/fingerprint.py: changed_since)

    def check_video(self) -> None:
        """Stop with the reason when the file is not the video that was tracked (replaced, re-encoded)."""
        if why := changed_since({"video_fingerprint": self.fingerprint}, self.video):
            raise VideoError(why)


def spec_from_record(rec: dict[str, Any], tracks: dict[str, dict[str, Any]] | None, roots: list[Path]) -> ClipSpec:
    """A training / tracks record (with key frames, or joined by id with a tracks record)."""
    src = rec if rec.get("key_frames") else (tracks or {}).get(rec["id"], {})
    return ClipSpec(rec["id"], resolve_video(rec["video"], roots), tuple(src.get("key_frames") or ()),
                    tuple(src.get("key_frame_boxes") or ()), src.get("video_fingerprint"))


def pad_square(frame: np.ndarray, fill: tuple[int, int, int]) -> np.ndarray:
    """Expand to a square around the centre with the tower's mean colour (VideoLLaMA2's 'pad' aspect)."""
    h, w = frame.shape[:2]
    if h == w:
        return frame
    side = max(h, w)
    out = np.empty((side, side, 3), np.uint8)
    out[:] = fill
    y, x = (side - h) // 2, (side - w) // 2
    out[y : y + h, x : x + w] = frame
    return out


def clip_pixels(spec: ClipSpec, num_frames: int, image_size: int, face_size: int | None, margin: float,
                fill: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray | None]:
    """uint8 frames (T, S, S, 3) and face crops (T, s, s, 3) — black where a key frame has no main face."""
    import cv2

    if not spec.key_frames:
        raise VideoError("no key frames for this clip: run `fda track` and pass --tracks (or build-instructions --tracks)")
    if not Path(spec.video).is_file():
        raise VideoError(f"file not found: {spec.video}")
    spec.check_video()
    pick = uniform_positions(len(spec.key_frames), num_frames)
    boxes = list(spec.key_frame_boxes) + [None] * (len(spec.key_frames) - len(spec.key_frame_boxes))
    raw = read_frames(spec.video, [spec.key_frames[i] for i in pick])
    if raw.ndim == 3:
        raw = np.repeat(raw[..., None], 3, axis=3)
    frames = np.stack([cv2.resize(pad_square(f, fill), (image_size, image_size), interpolation=cv2.INTER_AREA if max(f.shape[:2]) > image_size else cv2.INTER_CUBIC)
                       for f in raw])
    if face_size is None:
        return frames, None
    faces = np.stack([square_crop(f, boxes[i], margin, face_size) if boxes[i] else np.zeros((face_size, face_size, 3), np.uint8)
                      for f, i in zip(raw, pick)])
    return frames, faces
