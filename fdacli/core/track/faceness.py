"""Is a track a face?  Persistent false detections are dropped before identities and main selection.

A detector's false positives in real footage (a lamp, a gauge, a textured patch) are often detected on
many consecutive frames, pass the tracker's ``n_init`` and would become tracks — and a large one could
become "main" and feed crops of a lamp to pre-annotation.  What detections carry is enough to catch most:

* the detector's score: a real face is usually scored well above the detection threshold on most of its
  frames, a false one hovers near it — a track whose median score is under ``min_score`` is dropped;
* the landmark geometry: a face's two eyes sit side by side above the mouth, the nose between them,
  all near the box — a track whose landmarks are implausible on most frames (share under
  ``min_plausible``) is dropped.

Measured on the test clips (tests/test_track_shots.py): every real face track passes both (carphone,
the composed clips: median scores ≥ 0.87, plausible on 100% of frames), and a drawn face-like pattern
that YuNet reports at a lowered threshold is dropped.  A printed photograph of a real face is a face to
any detector; it is kept out of "main" by its small area, as a background person is.
"""

from __future__ import annotations

import numpy as np

from fdacli.core.track.config import FacenessConfig


def plausible_landmarks(box: np.ndarray, lm: np.ndarray, max_roll: float = 70.0) -> bool:
    """Eyes side by side above the mouth, the nose between, everything near the box (5-point order:
    image-left eye, image-right eye, nose, image-left and image-right mouth corners)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    w, h = max(x2 - x1, 1e-6), max(y2 - y1, 1e-6)
    pad_x, pad_y = 0.25 * w, 0.25 * h
    if not ((lm[:, 0] >= x1 - pad_x).all() and (lm[:, 0] <= x2 + pad_x).all()
            and (lm[:, 1] >= y1 - pad_y).all() and (lm[:, 1] <= y2 + pad_y).all()):
        return False
    eyes, mouth = (lm[0] + lm[1]) / 2, (lm[3] + lm[4]) / 2
    down = mouth - eyes
    length = float(np.hypot(*down))
    if length < 0.1 * h or length > 1.0 * h:
        return False
    if np.degrees(np.arctan2(abs(down[0]), down[1])) > max_roll:  # down[1] <= 0: mouth above the eyes
        return False
    across = lm[1] - lm[0]
    if float(np.hypot(*across)) > 1e-6 and abs(float(across @ down)) / (float(np.hypot(*across)) * length) > 0.7:
        return False  # eye line nearly parallel to the face's vertical axis
    t = float((lm[2] - eyes) @ down) / (length * length)  # the nose's place from the eyes (0) to the mouth (1)
    return -0.2 <= t <= 1.2


def is_face_track(scores: list[float], landmarks: list[np.ndarray], boxes: list[np.ndarray], cfg: FacenessConfig) -> bool:
    if not cfg.enabled or not scores:
        return True
    if float(np.median(scores)) < cfg.min_score:
        return False
    ok = [plausible_landmarks(b, lm, cfg.max_roll) for b, lm in zip(boxes, landmarks)]
    return sum(ok) >= cfg.min_plausible * len(ok)
