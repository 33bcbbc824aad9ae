"""Contact sheets: the key frames of one video with every track's box, the main character in green.

People check a tracker faster by looking than by reading JSON: one PNG per video, four key frames
per row, each labelled with its position and source frame index, boxes labelled with track ids.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

MAIN_RGB = (40, 200, 60)
OTHER_RGB = (250, 150, 30)
THUMB_W = 320
COLS = 4


def contact_sheet(frames: np.ndarray, rec: dict) -> np.ndarray:
    """An RGB image: a title bar and a grid of annotated key frames."""
    import cv2

    thumbs = []
    for k, (frame_idx, frame) in enumerate(zip(rec["key_frames"], frames)):
        h, w = frame.shape[:2]
        s = THUMB_W / w
        th = max(1, int(round(h * s)))
        img = cv2.resize(frame, (THUMB_W, th), interpolation=cv2.INTER_AREA)
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
        img = np.ascontiguousarray(img)
        for t in rec["tracks"]:
            if frame_idx not in t["frames"]:
                continue
            x1, y1, x2, y2 = (int(round(v * s)) for v in t["boxes"][t["frames"].index(frame_idx)])
            color = MAIN_RGB if t["is_main"] else OTHER_RGB
            cv2.rectangle(img, (x1, y1), (x2, y2), color, 3 if t["is_main"] else 2)
            label = f"#{t['track_id']}" + (" main" if t["is_main"] else "")
            _text(img, label, (x1 + 2, max(12, y1 - 4)), color)
        _text(img, f"k{k} f{frame_idx}", (4, th - 6), (255, 255, 255))
        thumbs.append(img)
    th = max(t.shape[0] for t in thumbs)
    rows = []
    for r in range(0, len(thumbs), COLS):
        row = [_pad(t, th) for t in thumbs[r : r + COLS]]
        row += [np.zeros((th, THUMB_W, 3), np.uint8)] * (COLS - len(row))
        rows.append(np.hstack(row))
    title = np.full((28, COLS * THUMB_W, 3), 32, np.uint8)
    n_main = len(rec["main_track_ids"])
    _text(title, f"{rec['id']}  tracks={len(rec['tracks'])}  main={rec['main_track_ids'] if n_main else 'none'}", (6, 19), (255, 255, 255))
    return np.vstack([title, *rows])


def write_contact_sheet(frames: np.ndarray, rec: dict, path: Path) -> None:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(contact_sheet(frames, rec), cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {path}")


def _pad(img: np.ndarray, h: int) -> np.ndarray:
    if img.shape[0] == h:
        return img
    return np.vstack([img, np.zeros((h - img.shape[0], img.shape[1], 3), np.uint8)])


def _text(img: np.ndarray, text: str, org: tuple[int, int], color: tuple[int, int, int]) -> None:
    import cv2

    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.45, color, 1, cv2.LINE_AA)
