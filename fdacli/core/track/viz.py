"""Contact sheets: the key frames of one video with every track's box, the main character in green.

People check a tracker faster by looking than by reading JSON: one PNG per video, four key frames
per row, each labelled with its position, source frame index and shot, boxes labelled with track id
and identity (``#3 P1`` is track 3 of person 1).  Below the frames, a timeline: one row per identity
with a bar wherever that person is visible (main in green), shot cuts as white vertical lines and the
key frames as ticks on the axis.
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
        labels = []
        for t in rec["tracks"]:
            if frame_idx not in t["frames"]:
                continue
            x1, y1, x2, y2 = (int(round(v * s)) for v in t["boxes"][t["frames"].index(frame_idx)])
            color = MAIN_RGB if t["is_main"] else OTHER_RGB
            cv2.rectangle(img, (x1, y1), (x2, y2), color, 3 if t["is_main"] else 2)
            ident = f" P{t['identity']}" if "identity" in t else ""
            labels.append((f"#{t['track_id']}{ident}" + (" main" if t["is_main"] else ""), (x1, y1, x2, y2), color))
        placed: list[tuple[int, int, int, int]] = [(0, th - 20, THUMB_W, th)]  # the frame caption's corner
        for label, box, color in labels:  # after every box, so no box is drawn over a label
            _text(img, label, _place(label, box, placed, th), color)
        shot = next((j for j, (a, b) in enumerate(rec.get("shots") or [], start=1) if a <= frame_idx <= b), None)
        _text(img, f"k{k} f{frame_idx}" + (f" shot {shot}" if shot else ""), (4, th - 6), (255, 255, 255))
        thumbs.append(img)
    th = max((t.shape[0] for t in thumbs), default=0)
    rows = []
    for r in range(0, len(thumbs), COLS):
        row = [_pad(t, th) for t in thumbs[r : r + COLS]]
        row += [np.zeros((th, THUMB_W, 3), np.uint8)] * (COLS - len(row))
        rows.append(np.hstack(row))
    title = np.full((28, COLS * THUMB_W, 3), 32, np.uint8)
    n_main = len(rec["main_track_ids"])
    people = rec.get("identities") or []
    head = f"{rec['id']}  shots={len(rec.get('shots') or [])}  people={len(people)}  tracks={len(rec['tracks'])}"
    _text(title, f"{head}  main={rec['main_track_ids'] if n_main else 'none'}", (6, 19), (255, 255, 255))
    return np.vstack([title, *rows, timeline(rec, COLS * THUMB_W)])


ROW_H = 16
LABEL_W = 44


def timeline(rec: dict, width: int) -> np.ndarray:
    """One row per identity over the analysed frames: bars where visible, cuts, key-frame ticks."""
    import cv2

    sampled = rec.get("sampled_frames") or []
    people = rec.get("identities") or []
    img = np.full(((len(people) + 1) * ROW_H + 6, width, 3), 24, np.uint8)
    if not sampled:
        return img
    pos = {f: i for i, f in enumerate(sampled)}
    span = width - LABEL_W - 4

    def x(frame: int) -> int:
        i = pos.get(frame)
        if i is None:  # a shot's first frame is always analysed; anything else maps to its neighbour
            i = int(np.searchsorted(sampled, frame))
        return LABEL_W + int(round(i * span / max(1, len(sampled))))

    step = max(1, int(np.ceil(span / max(1, len(sampled)))))
    for r, person in enumerate(people):
        y = 3 + r * ROW_H
        color = MAIN_RGB if person.get("is_main") else OTHER_RGB
        _text(img, f"P{person['identity']}", (4, y + ROW_H - 4), color)
        for t in rec["tracks"]:
            if t.get("identity") == person["identity"]:
                for f in t["frames"]:
                    cv2.rectangle(img, (x(f), y + 2), (x(f) + step - 1, y + ROW_H - 3), color, -1)
    axis = 3 + len(people) * ROW_H
    cv2.line(img, (LABEL_W, axis + 2), (LABEL_W + span, axis + 2), (120, 120, 120), 1)
    for f in rec.get("key_frames") or []:
        cv2.line(img, (x(f), axis), (x(f), axis + 6), (200, 200, 200), 1)
    for first, _ in (rec.get("shots") or [])[1:]:
        cv2.line(img, (x(first), 0), (x(first), axis + 6), (255, 255, 255), 1)
    if len(rec.get("shots") or []) > 1:
        _text(img, "| cut", (LABEL_W + span - 40, axis + ROW_H - 2), (255, 255, 255))
    return img


def write_contact_sheet(frames: np.ndarray, rec: dict, path: Path) -> None:
    from fdacli.core.media.images import write_image

    path.parent.mkdir(parents=True, exist_ok=True)
    write_image(path, contact_sheet(frames, rec))


def _place(label: str, box: tuple[int, int, int, int], placed: list[tuple[int, int, int, int]], h: int) -> tuple[int, int]:
    """Where a box's label goes: above the box, else below it, else inside its top, else stacked lower —
    the first spot that stays in the picture and overlaps no label placed before (faces that cross)."""
    import cv2

    (w, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 3)
    x = min(max(0, box[0] + 2), max(0, THUMB_W - w))
    tries = [box[1] - 4, box[3] + th + 4, box[1] + th + 4] + [box[1] + th + 4 + k * (th + 4) for k in range(1, 6)]
    for y in tries:
        rect = (x, y - th - 2, x + w, y + 2)
        if rect[1] >= 0 and rect[3] <= h and not any(_overlap(rect, r) for r in placed):
            placed.append(rect)
            return x, y
    placed.append((x, max(th, box[1] - 4) - th - 2, x + w, max(th, box[1] - 4) + 2))
    return x, max(th, box[1] - 4)


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _pad(img: np.ndarray, h: int) -> np.ndarray:
    if img.shape[0] == h:
        return img
    return np.vstack([img, np.zeros((h - img.shape[0], img.shape[1], 3), np.uint8)])


def _text(img: np.ndarray, text: str, org: tuple[int, int], color: tuple[int, int, int]) -> None:
    import cv2

    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.45, color, 1, cv2.LINE_AA)
