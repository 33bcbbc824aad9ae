"""Relations between two events (paper supplement Fig. 7): Same Meaning, Opposite Meaning, No Relation.

Why from structure: two events are the same when they share an (axis, sign) feature of the lexicon's
meaning table, opposite when they share an axis with the other sign; directional actions (gaze, head
turns and tilts) compare direction sets; an expression's valence opposes across face parts.  Every verdict
comes with its reason in a few words (``fda score --explain``).
"""

from __future__ import annotations

import re

from fdacli.core.text.events import Event
from fdacli.core.text.lexicon import LEXICON

MEANING = LEXICON.meaning
DIRECTIONAL = LEXICON.directional
_OPPOSITE_DIR = LEXICON.opposite_direction
_HEAD_POSE = LEXICON.head_pose

# an expression's valence opposes across face parts (a smile against knitted brows) but never makes two
# actions of different parts the same: it counts for Opposite Meaning only
_NEGATIVE = LEXICON.negative_valence


def features(ev: Event) -> tuple[tuple[str, int], ...]:
    """The (axis, sign) features of an event's action on its part (empty: compared by name only)."""
    return MEANING.get((ev.family, ev.action), ())


def valence(ev: Event) -> int:
    """+1 for a smile or laugh, -1 for knitted brows or a downturned mouth, 0 otherwise."""
    if ev.negated:
        return 0
    if any(axis == "smile" and sign > 0 for axis, sign in features(ev)):
        return 1
    return -1 if (ev.family, ev.action) in _NEGATIVE else 0


def relation(a: Event, b: Event) -> tuple[str, str]:
    """``same`` / ``opposite`` / ``none`` between two events, with the reason in a few words."""
    if not a.parsed or not b.parsed:
        return _fallback(a, b)
    fa, fb = features(a), features(b)
    if a.family == b.family == "head" and {a.action, b.action} <= _HEAD_POSE:
        verdict, why = _head_pose(a, b)
    elif (a.family, a.action) in DIRECTIONAL or (b.family, b.action) in DIRECTIONAL:
        verdict, why = _directional(a, b)
    elif fa and fb:
        shared = set(fa) & set(fb)
        if shared:
            verdict, why = "same", _axis_words(sorted(shared)[0])
        elif {x for x, _ in fa} & {x for x, _ in fb}:
            axis = sorted({x for x, _ in fa} & {x for x, _ in fb})[0]
            verdict, why = "opposite", f"{axis}: {a.action} vs {b.action}"
        elif valence(a) * valence(b) < 0:
            verdict, why = "opposite", f"expression: {a.family} {a.action} vs {b.family} {b.action}"
        else:
            verdict, why = "none", f"{a.family} {a.action} / {b.family} {b.action}"
    elif a.family == b.family and a.action == b.action:
        verdict, why = "same", f"{a.family} {a.action}"
    else:
        verdict, why = "none", f"{a.family} {a.action} / {b.family} {b.action}"
    if verdict != "none" and a.negated != b.negated:
        return ("opposite" if verdict == "same" else "same"), why + ", one side negated"
    return verdict, why


def _directional(a: Event, b: Event) -> tuple[str, str]:
    if (a.family, a.action) != (b.family, b.action):
        # "looks" vs "eyes move" were normalised already; a turn is not a tilt
        return "none", f"{a.family} {a.action} / {b.family} {b.action}"
    da, db = set(a.directions) - {"sides"}, set(b.directions) - {"sides"}
    if any(_OPPOSITE_DIR.get(d) in db for d in da):  # "upper left" vs "lower left": one axis reversed
        return "opposite", f"{a.family} {a.action} {'+'.join(sorted(da))} vs {'+'.join(sorted(db))}"
    if da & db or (not da and not db):
        return "same", f"{a.family} {a.action} {'+'.join(sorted(da & db)) or 'in some direction'}"
    if (not da or not db) and a.family != "gaze":
        return "same", f"{a.family} {a.action}, one side without a direction"
    return "none", f"{a.family} {a.action} {'+'.join(sorted(da))} / {'+'.join(sorted(db))}"




def _pose(ev: Event) -> tuple[str | None, str | None]:
    """A head movement as (vertical, horizontal) directions: lifting is up, bowing down, tipping back is up."""
    dirs = set(ev.directions)
    if ev.action in ("tilt", "raise", "lower"):  # tipping back lifts the face; moving or turning forward does not bow it
        dirs = {"up" if d == "back" else "down" if d == "forward" else d for d in dirs}
    vert = "up" if ev.action == "raise" or "up" in dirs else "down" if ev.action == "lower" or "down" in dirs else None
    horiz = "left" if "left" in dirs else "right" if "right" in dirs else None
    return vert, horiz


def _depth(ev: Event) -> str | None:
    """Forward or back: where a head that moves or tilts that way goes (pushed forward, drawn back)."""
    return "forward" if "forward" in ev.directions else "back" if "back" in ev.directions else None


def _head_pose(a: Event, b: Event) -> tuple[str, str]:
    """Head movements compared by where the head goes: pitch across words (lowers / bows / tilts down / dips
    toward the lower right), left and right across turns, tilts and shifts (the relation prompt's "similar
    facial actions")."""
    depth_a, depth_b = _depth(a), _depth(b)
    if depth_a and depth_b and {a.action, b.action} <= {"move", "tilt"}:  # "juts her head forward" / "tilts it forward"
        return ("same" if depth_a == depth_b else "opposite"), f"head {depth_a} vs {depth_b}"
    (va, ha), (vb, hb) = _pose(a), _pose(b)
    kind_a = "turn" if a.action == "turn" else "tilt"
    sideways = ha and hb
    if (va and vb and va != vb) or (sideways and ha != hb):
        return "opposite", f"head {va or ''}{ha or ''} vs {vb or ''}{hb or ''}".replace("  ", " ")
    if (va and va == vb) or (sideways and ha == hb):
        return "same", f"head {'pitch ' + va if va and va == vb else kind_a + ' ' + str(ha)}"
    if a.action == b.action and not (va or ha) or not (vb or hb) and a.action == b.action:
        return "same", f"head {a.action}"
    return "none", f"head {a.action} / {b.action}"


def _axis_words(feature: tuple[str, int]) -> str:
    axis, sign = feature
    return f"{axis}{'+' if sign > 0 else '-'}"


_STOP = frozenset("the a an of to and his her their its is are was were person slightly slight little bit at in on with "
                  "as then while it that this very more some".split())


def _content(text: str) -> frozenset[str]:
    return frozenset(w[:5] for w in re.findall(r"[a-z]+", text.lower()) if w not in _STOP)


def _fallback(a: Event, b: Event) -> tuple[str, str]:
    """What the grammar could not parse: one face-part family and most content words in common (Dice >= 0.5)."""
    if a.family != b.family:
        return "none", "fallback: different face parts"
    wa, wb = _content(a.text), _content(b.text)
    dice = 2 * len(wa & wb) / (len(wa) + len(wb)) if wa and wb else 0.0
    return ("same" if dice >= 0.5 else "none"), f"fallback: word overlap {dice:.2f}"

