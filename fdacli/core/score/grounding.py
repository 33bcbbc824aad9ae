"""The grounding check: what a caption says the face did, against what the landmarks measured.

Each caption event (the grammar's parse, core/text/grammar.py) that landmarks can observe — mouth
opening and closing, speaking, smiles, blinks and eye aperture, brows, head turns, tilts, lifts, nods —
is
  * supported when a measured event (an `fda actions` record) is the same action,
  * contradicted when the opposite was measured and the same was not, or when nothing moved where the
    caption says something did,
  * not measurable otherwise: gaze, teeth, nose, lip pressing, a caption of a clip without a reliable
    face, or a state that is the face at rest ("her eyes are open").
No reference caption is needed, so captions of clips nobody annotated can be checked too.
"""

from __future__ import annotations

from typing import Any

from fdacli.core.text import grammar
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
MIN_QUALITY = 0.4  # a clip whose landmarks are this poor on average supports and contradicts nothing


def measured_events(rec: dict[str, Any]) -> list[Event]:
    """An actions record's events as grammar events."""
    return [Event(f"measured {e['region']} {e['action']}", e["region"], e["action"], tuple(e["directions"]))
            for e in rec.get("events", [])]


def judge_event(ev: Event, rec: dict[str, Any], measured: list[Event]) -> tuple[str, str]:
    """One caption event's verdict and its evidence."""
    key = (ev.family, ev.action)
    if key not in OBSERVABLE or ev.negated or not ev.parsed:
        return UNMEASURABLE, "landmarks do not observe this" if ev.parsed else "the grammar could not read it"
    if not rec.get("main_face") or (rec.get("mean_quality") or 0.0) < MIN_QUALITY:
        return UNMEASURABLE, "no reliable main face in the clip"
    if key == ("mouth", "close"):  # a closed mouth is also the face at rest
        rest = [x for x in rec["signals"]["mouth_open"] if x is not None and x - rec["neutral"]["mouth_open"] < 0.06]
        if rest or any(m.action == "close" and m.family == "mouth" for m in measured):
            return SUPPORTED, f"mouth closed in {len(rest)} of {len(rec['frames'])} frames"
        return CONTRADICTED, "the mouth never closed"
    if key == ("mouth", "speak"):
        opens = sum(1 for m in measured if (m.family, m.action) == ("mouth", "open"))
        return (SUPPORTED, f"the mouth opened {opens} time(s)") if opens else (CONTRADICTED, "the mouth never opened")
    same = [m for m in measured if grammar.relation(ev, m)[0] == "same"]
    if key == ("eyes", "close"):
        same += [m for m in measured if (m.family, m.action) == ("eyes", "blink")]
    if same:
        return SUPPORTED, f"measured: {same[0].structure()}"
    opposite = [m for m in measured if grammar.relation(ev, m)[0] == "opposite"]
    if opposite:
        return CONTRADICTED, f"the opposite was measured: {opposite[0].structure()}"
    return CONTRADICTED, f"nothing moved: no {ev.family} {ev.action} in the landmarks"


def ground(caption: str, rec: dict[str, Any]) -> dict[str, Any]:
    """Per-caption verdicts: counts and, per event, [text, structure, verdict, evidence]."""
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
