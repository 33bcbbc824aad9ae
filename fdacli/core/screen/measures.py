"""The measures behind each criterion, read from a tracks record (`fda track`) or an actions record
(`fda actions`).  Pure functions of the records: no video is decoded, so a screen is a pass over files.

Units are the records' own: face areas as shares of the frame, times in seconds of the clip, content change
on the shot detector's 0-255 scale, landmark spread in face widths, facial changes per second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

Record = dict[str, Any]


def clip_seconds(rec: Record) -> float:
    """The analysed span of a tracks record, in seconds: from the first analysed frame to the one after the last."""
    frames = rec.get("sampled_frames") or []
    if len(frames) < 1:
        return 0.0
    return (frames[-1] - frames[0] + 1) / float(rec["fps"])


def main_identity(rec: Record, subject: int | None = None) -> int | None:
    """The person the screen judges: the subject `fda actions` named (``subject``: the main person measured most
    reliably, whom grounding, hints and captions speak for) when it is one of this record's main people; from a
    tracks record alone, the main person with the largest face over the clip."""
    mains = [i for i in rec.get("identities", []) if i.get("is_main")]
    if not mains:
        return None
    if subject is not None and any(i["identity"] == subject for i in mains):
        return subject
    return max(mains, key=lambda i: (i.get("area") or 0.0, -i["identity"]))["identity"]


def main_tracks(rec: Record, subject: int | None = None) -> list[Record]:
    who = main_identity(rec, subject)
    return [t for t in rec.get("tracks", []) if t.get("is_main") and t.get("identity") == who]


def face_share(rec: Record, subject: int | None = None) -> float:
    """The main face's box area as a share of the frame, the median over the frames it is on (0 without one): the
    paper's "face region occupied more than 5 percent of the frame", measured as `fda sample` measures it."""
    area = float(rec["width"]) * float(rec["height"])
    frames, shares = [], []
    for t in main_tracks(rec, subject):
        b = np.asarray(t["boxes"], np.float64).reshape(-1, 4)
        frames.extend(t["frames"])
        shares.append((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) / area)
    if not frames:
        return 0.0
    per_frame: dict[int, float] = {}
    for f, s in zip(frames, np.concatenate(shares).tolist()):  # two main tracks on one frame: the larger face
        if s > per_frame.get(f, -1.0):
            per_frame[f] = s
    return float(np.median(list(per_frame.values())))


def people(rec: Record) -> tuple[int, int]:
    """(people on screen at the same time, people in the whole clip): identities, not tracks — one person who
    leaves and comes back, or appears in two shots, is counted once."""
    on_frame: dict[int, set[int]] = {}
    for t in rec.get("tracks", []):
        for f in t["frames"]:
            on_frame.setdefault(f, set()).add(t["identity"])
    at_once = max((len(s) for s in on_frame.values()), default=0)
    return at_once, len(rec.get("identities", []))


def cuts(rec: Record) -> tuple[float, float | None]:
    """(cuts per second, the shortest shot between two cuts in seconds or None when fewer than two cuts).  The
    first and last shots are cut short by the clip's own window, so their length says nothing of the editing."""
    shots, fps = rec.get("shots") or [], float(rec["fps"])
    seconds = clip_seconds(rec)
    rate = (len(shots) - 1) / seconds if len(shots) > 1 and seconds > 0 else 0.0
    inner = [(last - first + 1) / fps for first, last in shots[1:-1]]
    return rate, (min(inner) if inner else None)


def face_motion(rec: Record, subject: int | None = None) -> float | None:
    """How much the main face moves in the picture: the spread (standard deviation over the clip) of its five
    landmarks, root mean square over the points, in face widths; tracks are weighted by their length.  None
    without a main face.  A photograph held still measures about 0.003 (detector jitter), a talking head 0.15."""
    total, weight = 0.0, 0
    for t in main_tracks(rec, subject):
        marks = t.get("landmarks")
        pts = np.asarray(marks if marks is not None and len(marks) else [], np.float64)
        boxes = np.asarray(t["boxes"], np.float64).reshape(-1, 4)
        if pts.ndim != 3 or len(pts) != len(boxes):  # no landmarks recorded: the box corners move with the face
            pts = boxes.reshape(len(boxes), 2, 2)
        if len(pts) < 2:
            continue
        width = float(np.median(boxes[:, 2] - boxes[:, 0])) or 1.0
        spread = float(np.sqrt((pts.std(axis=0) ** 2).sum(axis=-1).mean())) / width
        total, weight = total + spread * len(pts), weight + len(pts)
    return total / weight if weight else None


# Which of the actions record's thresholds an event's magnitude is measured against, and how: "ratio" events
# (the eyes) carry the openness as a share of neutral, so their strength is their distance from 1.
_SIGNAL_OF = {
    ("mouth", "open"): "mouth_open", ("face", "smile"): "smile", ("brows", "raise"): "brows_raise",
    ("brows", "lower"): "brows_lower", ("head", "turn"): "yaw", ("head", "tilt"): "roll",
    ("head", "raise"): "pitch", ("head", "lower"): "pitch",
    ("eyes", "blink"): "eyes_closed", ("eyes", "close"): "eyes_closed", ("eyes", "widen"): "eyes_wide",
    ("eyes", "narrow"): "eyes_narrow",
}
_RATIO = {"eyes_closed", "eyes_wide", "eyes_narrow"}
# nods and shakes are found by their swing, at 8 degrees, not by the pitch and yaw "on" levels the record carries
# (fda actions' events module); measured against those they would read as weaker than they are
_SWING = {("head", "nod"): 8.0, ("head", "shake"): 8.0}


@dataclass(frozen=True)
class Changes:
    """The facial changes of an actions record: how many per second, and how strong the strongest was."""

    count: int
    per_second: float
    strongest: float | None  # in multiples of its own detection threshold; None when nothing changed
    kinds: dict[str, int]


def strength(event: Record, thresholds: dict[str, list[float]]) -> float | None:
    """An event's magnitude in multiples of the threshold that detected it (1.0: just detected), so that a head
    turn in degrees and a smile in eye distances compare; None for a kind without a recorded threshold."""
    kind = (event["region"], event["action"])
    if kind in _SWING:
        return abs(float(event["magnitude"])) / _SWING[kind]
    key = _SIGNAL_OF.get(kind)
    if key is None or key not in thresholds:
        return None
    on, mag = float(thresholds[key][0]), float(event["magnitude"])
    if key in _RATIO:
        return abs(mag - 1.0) / abs(on - 1.0) if on != 1.0 else None
    return abs(mag) / abs(on) if on else None


def changes(actions: Record) -> Changes:
    """Facial changes of the measured main face.  A mouth closing ends its opening and is not counted apart
    (as the measured timeline words it), so a clip of speech counts its openings."""
    events = [e for e in actions.get("events") or [] if (e["region"], e["action"]) != ("mouth", "close")]
    duration = float(actions.get("duration") or 0.0)
    kinds: dict[str, int] = {}
    for e in events:
        kinds[f"{e['region']} {e['action']}"] = kinds.get(f"{e['region']} {e['action']}", 0) + 1
    strengths = [s for e in events if (s := strength(e, actions.get("thresholds") or {})) is not None]
    return Changes(len(events), len(events) / duration if duration > 0 else 0.0,
                   max(strengths) if strengths else None, kinds)
