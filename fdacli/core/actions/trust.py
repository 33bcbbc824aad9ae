"""Whether a frame's 68-point fit can be trusted, and why not.

dlib's shape predictor was trained on faces within about 45 degrees of frontal and at least ~80 px tall.
Past that it still returns 68 points, and solvePnP turns them into confident nonsense (a near-profile
close-up measured ±60 degrees of yaw flipping from frame to frame, and events nobody made).  So a frame is
left out of signals and events, with a reason, when

  * the face is too small for the model (checked before fitting),
  * the tracker's own five points (YuNet's, independent of the fit) put the nose far off the face's
    midline: the head is turned past the model's range (checked before fitting),
  * the fitted shape disagrees with the tracker's five points, or
  * the fit's own head pose is past the model's range.

Thresholds were read on the test media: carphone's talking man (nose offset within 0.14 eye distances,
fit error 0.12-0.29, |yaw| under 45 degrees) against a head turned 70 degrees (offset 0.56-0.64, error
0.67-0.75); they are recorded with every actions record.
"""

from __future__ import annotations

import numpy as np

MIN_FACE_PX = 40.0  # face box height in the analysed frame
MAX_NOSE_OFFSET = 0.4  # the tracker's nose tip off the eyes' and mouth's midline, in eye distances (0.5: in line with an eye)
MAX_FIT_ERROR = 0.45  # mean distance of the fit's five points from the tracker's, in eye distances
MAX_YAW, MAX_PITCH = 55.0, 45.0  # degrees, the fit's own head pose

LIMITS = {"min_face_px": MIN_FACE_PX, "max_nose_offset": MAX_NOSE_OFFSET, "max_fit_error": MAX_FIT_ERROR,
          "max_yaw": MAX_YAW, "max_pitch": MAX_PITCH}


def nose_offset(five: list | None) -> float | None:
    """How far the tracker's nose tip lies off the face's vertical midline (eyes and mouth corners), in eye
    distances: about 0 facing the camera, 0.5 when the nose is in line with one eye."""
    if not five or len(five) != 5:
        return None
    p = np.asarray(five, np.float64)
    iod = float(np.linalg.norm(p[1] - p[0]))
    if iod < 1e-6:
        return None
    mid = (p[0] + p[1] + p[3] + p[4]) / 4
    return float((p[2, 0] - mid[0]) / iod)


def before_fit(box: list[float], five: list | None) -> str | None:
    """A reason not to fit at all, from what the tracker saw (its box and five points), or None."""
    height = box[3] - box[1]
    if height < MIN_FACE_PX:
        return f"face too small for 68 landmarks ({height:.0f} px < {MIN_FACE_PX:.0f})"
    off = nose_offset(five)
    if off is not None and abs(off) > MAX_NOSE_OFFSET:
        return f"face turned past the landmark model's range (the nose {abs(off):.2f} eye distances off the midline)"
    return None


def after_fit(error: float | None, signals: dict[str, float]) -> str | None:
    """A reason to distrust a fit: its disagreement with the tracker's points, or a head pose past the model's
    range; None when it can be used."""
    if error is not None and error > MAX_FIT_ERROR:
        return f"68-point fit disagrees with the tracker's five points ({error:.2f} eye distances)"
    yaw, pitch = signals.get("yaw", 0.0), signals.get("pitch", 0.0)
    if not (np.isfinite(yaw) and np.isfinite(pitch)):
        return "no head pose could be solved from the fit"
    if abs(yaw) > MAX_YAW or abs(pitch) > MAX_PITCH:
        return f"head pose past the landmark model's range (yaw {yaw:.0f}°, pitch {pitch:.0f}°)"
    return None


def runs(times: list[float], reasons: list[str | None]) -> list[dict]:
    """Frames left out, as runs of consecutive frames with one reason: {start, end, frames, reason}."""
    out: list[dict] = []
    for k, (t, why) in enumerate(zip(times, reasons)):
        if why is None:
            continue
        if k and reasons[k - 1] is not None and _kind(reasons[k - 1]) == _kind(why):  # the run goes on
            out[-1]["end"], out[-1]["frames"] = t, out[-1]["frames"] + 1
            out[-1]["worst"] = why if _size(why) > _size(out[-1]["worst"]) else out[-1]["worst"]
        else:
            out.append({"start": t, "end": t, "frames": 1, "reason": _kind(why), "worst": why})
    return out


def _kind(reason: str) -> str:
    """A reason without its figures: the words runs of frames are merged by."""
    return reason.split(" (")[0]


def _size(reason: str) -> float:
    """The first figure in a reason (how far past its limit a frame was), for the run's worst frame."""
    import re

    m = re.search(r"(-?\d+(?:\.\d+)?)", reason.split(" (", 1)[-1])
    return abs(float(m.group(1))) if m else 0.0
