"""Every threshold of the screen, its default, its allowed range and its words, in one place.

The command line shows these defaults as its own and the records carry the values used, so a verdict can
always be read next to the number that made it.  The defaults were set by measurement on the composed test
clips, the real carphone clip and the shipped sample (README, `fda screen`): each lies between the clips that
must pass and the clip that must be dropped, and the face-size default is the paper's 5 %.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

VERSION = "screen-v1"


@dataclass(frozen=True)
class Thresholds:
    """What makes a clip drop, criterion by criterion (see ``RANGES`` for what each may be)."""

    min_face_area: float = 0.05  # the main face's median box area / frame area must exceed this (paper §3.1)
    max_people_at_once: int = 3  # more identities on one analysed frame is a crowd
    max_people: int = 5  # more identities over the whole clip
    max_cuts_per_second: float = 0.5  # more cuts per second of clip are frequent perspective switches
    min_shot: float = 1.0  # seconds: a shot between two cuts shorter than this is a switch too fast to follow
    still_picture: float = 0.1  # mean content change per analysed frame (0-255) under which the picture is still
    still_face: float = 0.01  # the main face's landmark spread (face widths) under which the face is still
    min_changes: float = 0.25  # facial changes per second under which a clip has too few
    max_changes: float = 3.0  # facial changes per second over which a clip has too many to annotate (TEM's 10 events
    #                           in the paper's 3.5-s average clip)
    min_strength: float = 1.2  # the strongest change, in multiples of its detection threshold, must reach this

    def settings(self) -> dict[str, float | int]:
        """The values as recorded with every screen record (a rerun compares them)."""
        return asdict(self)


# name -> (lowest allowed, highest allowed, whether the lowest itself is allowed): checked before any work
RANGES: dict[str, tuple[float, float, bool]] = {
    "min_face_area": (0.0, 1.0, True),
    "max_people_at_once": (1, 1000, True),
    "max_people": (1, 1000, True),
    "max_cuts_per_second": (0.0, 100.0, True),
    "min_shot": (0.0, 3600.0, True),
    "still_picture": (0.0, 255.0, True),
    "still_face": (0.0, 10.0, True),
    "min_changes": (0.0, 100.0, True),
    "max_changes": (0.0, 100.0, False),
    "min_strength": (0.0, 100.0, True),
}


def problems(t: Thresholds) -> list[str]:
    """Why these thresholds cannot be used, one phrase each (empty when they can): a value out of its range, not
    a finite number, or a lower bound above its upper bound.  (More people at once than in all is allowed: the
    tighter of the two decides.)"""
    out = []
    for f in fields(t):
        value, (low, high, closed) = getattr(t, f.name), RANGES[f.name]
        flag = "--" + f.name.replace("_", "-")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            out.append(f"{flag} must be a number, got {value!r}")
        elif value < low or value > high or (value == low and not closed):
            out.append(f"{flag} must be {'at least' if closed else 'more than'} {low:g} and at most {high:g}, got {value:g}")
    if not out and t.min_changes >= t.max_changes:
        out.append(f"--min-changes ({t.min_changes:g}) must be less than --max-changes ({t.max_changes:g})")
    return out
