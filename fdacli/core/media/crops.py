"""Main-character face crops at the key frames, for the auxiliary face encoder.

A crop is square, centred on the face box, with side max(w, h) * (1 + margin) — FaceXFormer-style
inputs use a 50% margin at 224 px — and black padding where it runs off the frame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fdacli.core.media.images import write_image


def square_crop(frame: np.ndarray, box: list[float], margin: float, size: int) -> np.ndarray:
    import cv2

    x1, y1, x2, y2 = box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    side = max(x2 - x1, y2 - y1) * (1 + margin)
    half = side / 2
    # An affine warp crops and pads in one step; out-of-frame pixels become black.
    scale = size / max(side, 1e-6)
    m = np.array([[scale, 0, -(cx - half) * scale], [0, scale, -(cy - half) * scale]], np.float32)
    return cv2.warpAffine(frame, m, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_CONSTANT)


def write_key_frame_crops(frames: np.ndarray, rec: dict, out_dir: Path, margin: float, size: int) -> list[str | None]:
    """Write one JPEG per key frame that has a main face; return paths aligned with key_frames."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[str | None] = []
    for k, (frame_idx, box, frame) in enumerate(zip(rec["key_frames"], rec["key_frame_boxes"], frames)):
        if box is None:
            paths.append(None)
            continue
        crop = square_crop(frame, box, margin, size)
        path = out_dir / f"{k:02d}_f{frame_idx:06d}.jpg"
        write_image(path, crop, 95)
        paths.append(str(path))
    return paths
