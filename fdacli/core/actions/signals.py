"""Per-frame signals of the main face from its 68 landmarks, and the person's own neutral level.

Every distance is divided by the eye distance (so a face's size and distance from the camera do not
matter), and vertical measures are taken in the face's own frame, rotated upright by the eye line (so a
tilted head does not look like a raised brow).  Head yaw, pitch and roll come from OpenCV's solvePnP
against a generic 3D face.  Directions follow the picture as a viewer sees it: yaw > 0 is the face
turning toward the image's right, roll > 0 the head tilting its top toward the image's right, pitch > 0
the face lifting.

A signal means something only against the same person at rest, so each is also given relative to a
neutral level measured in the clip (neutral_levels) — per shot where a shot shows enough of the face
(shot_rest): a new camera angle changes the apparent rest pose of the head (a camera rolled by 15 degrees
makes an upright head read 15 degrees of roll for the whole shot).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fdacli.core.actions import landmarks as lm

SIGNALS = ("mouth_open", "mouth_width", "corner_lift", "eye_right", "eye_left", "brow_right", "brow_left", "yaw", "pitch", "roll")
ANGLES = ("yaw", "pitch", "roll")

# a generic head in millimetres (nose tip at the origin, y up, z toward the camera): nose tip, chin, eye outer
# corners (subject's right, left), mouth corners (subject's right, left)
_MODEL_3D = np.array([(0.0, 0.0, 0.0), (0.0, -330.0, -65.0), (-225.0, 170.0, -135.0), (225.0, 170.0, -135.0),
                      (-150.0, -150.0, -125.0), (150.0, -150.0, -125.0)], np.float64)
_MODEL_IDX = (lm.NOSE_TIP, lm.CHIN, 36, 45, lm.MOUTH_RIGHT, lm.MOUTH_LEFT)


def _upright(points: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Points rotated so the eye line is horizontal (about the eyes' midpoint), the eye distance, and the
    eye line's angle in degrees (image y down)."""
    er, el = points[lm.EYE_RIGHT].mean(0), points[lm.EYE_LEFT].mean(0)
    d = el - er
    iod = float(np.hypot(*d)) or 1.0
    angle = float(np.degrees(np.arctan2(d[1], d[0])))
    c, s = np.cos(np.radians(-angle)), np.sin(np.radians(-angle))
    centre = (er + el) / 2
    rot = (points - centre) @ np.array([[c, s], [-s, c]], np.float32)
    return rot, iod, angle


def _eye_openness(p: np.ndarray, eye: slice) -> float:
    e = p[eye]  # 6 points: outer corner, two upper, inner corner, two lower
    return float((np.linalg.norm(e[1] - e[5]) + np.linalg.norm(e[2] - e[4])) / (2 * np.linalg.norm(e[0] - e[3]) + 1e-6))


def head_pose(points: np.ndarray, width: int, height: int) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees, viewer's directions (module docstring), by solvePnP on six landmarks."""
    import cv2

    image = points[list(_MODEL_IDX)].astype(np.float64)
    f = float(max(width, height))
    camera = np.array([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1]], np.float64)
    ok, rvec, _ = cv2.solvePnP(_MODEL_3D, image, camera, np.zeros(4), flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok:
        return float("nan"), float("nan"), float("nan")
    r, _ = cv2.Rodrigues(rvec)
    # model axes in camera space; camera: x right, y down, z forward.  The model's nose axis (+z) points at
    # the camera when the face looks straight at it.
    nose = r @ np.array([0.0, 0.0, 1.0])
    up = r @ np.array([0.0, 1.0, 0.0])
    yaw = float(np.degrees(np.arctan2(nose[0], -nose[2])))  # nose toward image right: face turns to the right
    pitch = float(np.degrees(np.arctan2(-nose[1], -nose[2])))  # nose up (image y decreasing): face lifts
    roll = float(np.degrees(np.arctan2(up[0], -up[1])))  # top of the head toward image right
    return _fold(yaw), _fold(pitch), _fold(roll)


def _fold(angle: float) -> float:
    """An angle into [-90, 90]: a fit that flipped the model upside down reads as the same head pose."""
    return (angle + 90.0) % 180.0 - 90.0


def frame_signals(points: np.ndarray, width: int, height: int) -> dict[str, float]:
    """The raw signals of one frame (see SIGNALS)."""
    p, iod, _ = _upright(points)
    inner = (np.linalg.norm(p[61] - p[67]) + np.linalg.norm(p[62] - p[66]) + np.linalg.norm(p[63] - p[65])) / 3
    centre_y = (p[51, 1] + p[57, 1]) / 2
    corners_y = (p[lm.MOUTH_RIGHT, 1] + p[lm.MOUTH_LEFT, 1]) / 2
    eye_top_r, eye_top_l = p[[37, 38], 1].mean(), p[[43, 44], 1].mean()
    yaw, pitch, roll = head_pose(points, width, height)
    return {
        "mouth_open": float(inner / iod),
        "mouth_width": float(np.linalg.norm(p[lm.MOUTH_LEFT] - p[lm.MOUTH_RIGHT]) / iod),
        "corner_lift": float((centre_y - corners_y) / iod),  # image y grows downward: corners above the centre > 0
        "eye_right": _eye_openness(p, lm.EYE_RIGHT),
        "eye_left": _eye_openness(p, lm.EYE_LEFT),
        "brow_right": float((eye_top_r - p[lm.BROW_RIGHT, 1].mean()) / iod),
        "brow_left": float((eye_top_l - p[lm.BROW_LEFT, 1].mean()) / iod),
        "yaw": yaw, "pitch": pitch, "roll": roll,
    }


@dataclass
class Series:
    """A clip's signals over time: one value per analysed frame, and each signal's neutral level."""

    times: list[float]
    frames: list[int]
    values: dict[str, list[float]]
    quality: list[float]
    neutral: dict[str, float] = field(default_factory=dict)
    breaks: list[int] = field(default_factory=list)  # positions where the face was away or a shot began
    rest: list[dict] = field(default_factory=list)  # per shot: {"frames": [first, last], "neutral": {...}} (shot_rest)

    def level(self, name: str) -> np.ndarray:
        """The person's neutral level of a signal at every frame: its shot's where the shot has its own, the
        clip's elsewhere."""
        out = np.full(len(self.frames), self.neutral.get(name, 0.0), np.float64)
        f = np.asarray(self.frames)
        for shot in self.rest:
            first, last = shot["frames"]
            out[(f >= first) & (f <= last)] = shot["neutral"].get(name, self.neutral.get(name, 0.0))
        return out

    def relative(self, name: str) -> np.ndarray:
        """The signal minus the person's neutral level (angles in degrees, the rest in eye distances)."""
        return np.asarray(self.values[name], np.float64) - self.level(name)


def neutral_levels(values: dict[str, list[float]], quality: list[float]) -> dict[str, float]:
    """The person at rest in this clip: the median of good frames, the 20th percentile for the mouth, and for
    head angles the 10th, 50th or 90th percentile nearest to facing the camera upright (a head tilted for most
    of a clip has not made tilting its rest)."""
    good = np.asarray(quality) >= 0.5
    out = {}
    for name, v in values.items():
        arr = np.asarray(v, np.float64)
        use = arr[good & np.isfinite(arr)] if (good & np.isfinite(arr)).sum() >= 3 else arr[np.isfinite(arr)]
        if not len(use):
            out[name] = 0.0
            continue
        if name in ANGLES:  # the rest pose: the most upright and frontal of the person's usual poses
            out[name] = float(min(np.percentile(use, [10, 50, 90]), key=abs))
        else:
            out[name] = float(np.percentile(use, 20) if name == "mouth_open" else np.median(use))
    return out


MIN_SHOT_FRAMES = 8  # good frames (half a second at 16 fps) a shot needs for a rest pose of its own


def shot_rest(frames: list[int], values: dict[str, list[float]], quality: list[float], shots: list[list[int]],
              clip: dict[str, float]) -> list[dict]:
    """The person's rest per shot ({"shot", "frames", "own", "neutral"}): its own levels where the shot shows
    the face well on at least MIN_SHOT_FRAMES frames, else the clip's (too few frames make a rest of noise)."""
    out = []
    f = np.asarray(frames)
    good = np.asarray(quality, np.float64) >= 0.5
    for k, (first, last) in enumerate(shots or [], start=1):
        inside = (f >= first) & (f <= last) if len(f) else np.zeros(0, bool)
        if not inside.any():
            continue
        own = int((inside & good).sum()) >= MIN_SHOT_FRAMES
        levels = neutral_levels({n: list(np.asarray(v, np.float64)[inside]) for n, v in values.items()},
                                list(np.asarray(quality)[inside])) if own else dict(clip)
        out.append({"shot": k, "frames": [int(first), int(last)], "own": own,
                    "neutral": {n: round(float(x), 4) for n, x in levels.items()}})
    return out


def quality(box: list[float], score: float | None, error: float | None) -> float:
    """0–1: how far a frame's landmarks can be trusted — face height in the analysed frame (full trust from
    80 px), the detector's score, and the shape's agreement with the tracker's five points."""
    size = min(1.0, max(0.0, (box[3] - box[1]) / 80.0))
    det = 1.0 if score is None else min(1.0, max(0.0, (score - 0.5) / 0.4))
    fit = 1.0 if error is None else min(1.0, max(0.0, 1.0 - (error - 0.1) / 0.3))
    return round(float(size * det * fit), 3)
