"""Frame grids for multimodal LLMs (supplement Fig. 5): every four consecutive key frames in a 2x2
grid — left to right, top to bottom — with black cells when the count is not a multiple of four."""

from __future__ import annotations

import base64

import numpy as np


def fit(frame: np.ndarray, cell: int) -> np.ndarray:
    """Scale a frame so its long side is ``cell`` pixels (never upscaling past 2x)."""
    import cv2

    h, w = frame.shape[:2]
    s = min(cell / max(h, w), 2.0)
    if abs(s - 1.0) < 1e-6:
        return frame
    return cv2.resize(frame, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)


def make_grids(frames: list[np.ndarray], cell: int = 384) -> list[np.ndarray]:
    """RGB 2x2 grids of consecutive frames; all cells take the first frame's (scaled) size."""
    if not frames:
        return []
    import cv2

    first = fit(frames[0], cell)
    ch, cw = first.shape[:2]
    cells = [first] + [cv2.resize(f, (cw, ch), interpolation=cv2.INTER_AREA) if f.shape[:2] != (ch, cw) else f for f in frames[1:]]
    cells = [c if c.ndim == 3 else np.repeat(c[..., None], 3, axis=2) for c in cells]
    black = np.zeros((ch, cw, 3), np.uint8)
    grids = []
    for i in range(0, len(cells), 4):
        four = cells[i : i + 4] + [black] * (4 - len(cells[i : i + 4]))
        grids.append(np.vstack([np.hstack(four[:2]), np.hstack(four[2:])]))
    return grids


def clip_grids(spec, cell: int = 384, face_crops: bool = False, crop_margin: float = 0.5, crop_size: int = 224) -> list[np.ndarray]:
    """The grids one tracked clip is shown as (pre-annotation, endpoint captioning): its key frames,
    then — with ``face_crops`` — the main face at each key frame in the same layout.  A key frame without
    a main face gets a black cell, so crops stay in step with the frame grids."""
    from fdacli.core.media.crops import square_crop
    from fdacli.core.media.video import VideoError, read_frames

    if not spec.key_frames:
        raise VideoError("the tracks record has no key frames")
    frames = list(read_frames(spec.video, list(spec.key_frames)))
    grids = make_grids(frames, cell)
    if face_crops:
        boxes = list(spec.key_frame_boxes) + [None] * (len(frames) - len(spec.key_frame_boxes))
        crops = [square_crop(f, b, crop_margin, crop_size) if b else np.zeros((crop_size, crop_size, 3), np.uint8)
                 for f, b in zip(frames, boxes)]
        grids += make_grids(crops, crop_size)
    return grids


def jpeg_data_url(rgb: np.ndarray, quality: int = 90) -> str:
    import cv2

    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def decode_data_url(url: str) -> np.ndarray:
    """RGB pixels of a ``data:image/...;base64,`` URL (for tests and --save-grids checks)."""
    import cv2

    data = base64.b64decode(url.split(",", 1)[1])
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError("not an image")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
