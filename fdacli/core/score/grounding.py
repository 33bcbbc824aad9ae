"""The grounding check: what a caption says the face did, against what the landmarks measured.

Each caption event (the grammar's parse, core/text/grammar.py) that landmarks can observe — mouth
opening and closing, speaking, smiles, blinks and eye aperture, brows, head turns, tilts, lifts, nods —
is
  * supported when a measured event (an `fda actions` record) is the same action,
  * contradicted when the opposite was measured and the same was not, or when nothing moved where the
    caption says something did,
  * not measurable otherwise: gaze, teeth, nose, lip pressing, a caption of a clip without a reliable
    face, a held state ("her mouth is slightly open": the signals are relative to the person's own rest), a
    blink or a slight movement the 16-fps thresholds may have missed.
Timing is not compared ("at the beginning he smiles" is supported by a smile at the end).
A caption is checked against the record's subject (the main person `fda actions` measured most reliably),
or against another main person it measured when the caption says which (``person``: that identity).
No reference caption is needed, so captions of clips nobody annotated can be checked too.
"""

from __future__ import annotations

import re
from typing import Any

from fdacli.core.text import grammar, timeline
from fdacli.core.text.grammar import Event

SUPPORTED, CONTRADICTED, UNMEASURABLE = "supported", "contradicted", "not measurable"
# (family, action) pairs the landmark signals can see move
OBSERVABLE = {
    ("mouth", "open"), ("mouth", "close"), ("mouth", "speak"), ("corners", "raise"), ("corners", "smile"),
    ("corners", "stretch"), ("corners", "lower"), ("face", "smile"), ("face", "laugh"), ("mouth", "smile"),
    ("eyes", "blink"), ("eyes", "close"), ("eyes", "widen"), ("eyes", "narrow"),
    ("brows", "raise"), ("brows", "lower"), ("brows", "frown"),
    ("head", "turn"), ("head", "tilt"), ("head", "raise"), ("head", "lower"), ("head", "nod"), ("head", "shake"),
}
# measured actions that also bear out a caption's other wording: a blink is a brief closing, a nod lowers and
# lifts the head, a shake turns it
ALSO = {("eyes", "blink"): {("eyes", "close")}, ("eyes", "close"): {("eyes", "blink")},
        ("head", "nod"): {("head", "lower"), ("head", "raise")}, ("head", "lower"): {("head", "nod")},
        ("head", "raise"): {("head", "nod")}, ("head", "shake"): {("head", "turn")}, ("mouth", "speak"): {("mouth", "open")}}
# a held state ("her mouth is slightly open", "eyes half-closed") is the face at some level, which events relative
# to the person's own rest cannot judge
_STATE = re.compile(r"\b(?:is|are|was|were|be|been|remains?|remained|stays?|stayed|keeps?|kept|still|continues to be)\b|"
                    r"\b(?:open|closed|ajar|apart|parted|shut|wide|half-\w+|furrowed|raised|lowered|tilted|turned|"
                    r"upturned|downturned|lifted|pressed)$")
_SMALL = {"slight", "slightly", "little", "bit", "subtle", "subtly", "lightly"}


def measured_events(rec: dict[str, Any]) -> list[Event]:
    """An actions record's events as grammar events, each kind once (first occurrence first): verdicts depend
    on what kinds of movement were measured, not on how often, so a clip with 200,000 events costs one pass
    over them, not one per caption event."""
    kinds: dict[tuple, Event] = {}
    for e in rec.get("events", []):
        key = (e["region"], e["action"], tuple(e["directions"]))
        if key not in kinds:
            kinds[key] = Event(f"measured {e['region']} {e['action']}", *key)
    return list(kinds.values())


def judge_event(ev: Event, rec: dict[str, Any], measured: list[Event]) -> tuple[str, str]:
    """One caption event's verdict and its evidence."""
    key = (ev.family, ev.action)
    if key not in OBSERVABLE or not ev.parsed:
        return UNMEASURABLE, "landmarks do not observe this" if ev.parsed else "the grammar could not read it"
    if not timeline.reliable(rec):
        return UNMEASURABLE, "no reliable main face in the clip"
    if _STATE.search(ev.text):
        return UNMEASURABLE, "a held state: the landmarks measure changes from the person's rest"
    plain = Event(ev.text, ev.region, ev.action, ev.directions)
    same = [m for m in measured if grammar.relation(plain, m)[0] == "same"
            or (m.family, m.action) in ALSO.get(key, ())]
    if ev.negated:  # "he does not blink"
        return (CONTRADICTED, f"it was measured: {same[0].structure()}") if same else (SUPPORTED, "not measured")
    if same:
        return SUPPORTED, f"measured: {same[0].structure()}"
    opposite = [m for m in measured if grammar.relation(ev, m)[0] == "opposite"]
    if opposite:
        return CONTRADICTED, f"the opposite was measured: {opposite[0].structure()}"
    if key == ("mouth", "speak"):
        moved = [x - rec["neutral"]["mouth_open"] for x in rec["signals"]["mouth_open"] if x is not None]
        if moved and max(moved) < 0.05:
            return CONTRADICTED, "the mouth never moved"
        return UNMEASURABLE, "the mouth moved, but never opened past the threshold"
    if key == ("eyes", "blink") or _SMALL & set(ev.degree):
        return UNMEASURABLE, "too small or brief to be sure it was missed (16 fps, thresholds)"
    return CONTRADICTED, f"nothing moved: no {ev.family} {ev.action} in the landmarks"


def person_view(rec: dict[str, Any], person: int | None) -> dict[str, Any]:
    """The actions record as one of its main people measured it: the subject's own record when ``person`` is
    None or the subject, another main person's signals, rest and events in the subject's place otherwise.  A
    person the record did not measure has no reliable face: its captions are not measurable."""
    if person is None or person == rec.get("identity"):
        return rec
    other = next((o for o in rec.get("others") or [] if o.get("identity") == person), None)
    if other is None:
        return {**rec, "main_face": False, "events": [], "identity": person}
    return {**rec, **other, "main_face": True}


def ground(caption: str, rec: dict[str, Any], person: int | None = None) -> dict[str, Any]:
    """Per-caption verdicts: counts and, per event, [text, structure, verdict, evidence]; against ``person``
    where the caption is about another main person than the record's subject."""
    rec = person_view(rec, person)
    measured = measured_events(rec)
    rows = []
    for ev in grammar.parse(caption):
        verdict, why = judge_event(ev, rec, measured)
        rows.append([ev.text, ev.structure(), verdict, why])
    counts = {v: sum(1 for r in rows if r[2] == v) for v in (SUPPORTED, CONTRADICTED, UNMEASURABLE)}
    measurable = counts[SUPPORTED] + counts[CONTRADICTED]
    return {"supported": counts[SUPPORTED], "contradicted": counts[CONTRADICTED], "not_measurable": counts[UNMEASURABLE],
            "grounded_precision": counts[SUPPORTED] / measurable if measurable else None, "events": rows}


def summarise(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """A model's grounding: the share of its measurable caption events the video supports (grounded
    precision), the share contradicted, and how much of what it says landmarks can check at all."""
    g = [s["grounding"] for s in samples if "grounding" in s]
    sup, con, unm = (sum(x[k] for x in g) for k in ("supported", "contradicted", "not_measurable"))
    measurable = sup + con
    return {
        "grounded_precision": sup / measurable if measurable else None,
        "contradiction_rate": con / measurable if measurable else None,
        "measurable_share": measurable / (measurable + unm) if measurable + unm else None,
        "grounded_samples": len(g),
    }
