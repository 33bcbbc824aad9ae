"""Measured facial actions in plain words: a timeline with times (for prompts) and a caption in the
FEC-Bench style (the baseline captioner).

Events are the dicts of an `fda actions` record (region, action, directions, start, end), named with the
grammar's vocabulary, so every phrase here is one the grammar parses back to the same event.
Directions are as seen in the video.
"""

from __future__ import annotations

from typing import Any

_PHRASES = {
    ("mouth", "open"): "the mouth opens", ("mouth", "close"): "the mouth closes",
    ("face", "smile"): "the person smiles", ("eyes", "blink"): "the person blinks",
    ("eyes", "close"): "the eyes close", ("eyes", "widen"): "the eyes widen", ("eyes", "narrow"): "the eyes narrow",
    ("brows", "raise"): "the eyebrows raise", ("brows", "lower"): "the eyebrows lower",
    ("head", "turn"): "the head turns to the {d}", ("head", "tilt"): "the head tilts to the {d}",
    ("head", "raise"): "the head lifts", ("head", "lower"): "the head lowers", ("head", "nod"): "the person nods",
    ("head", "shake"): "the person shakes the head",
}
MEASURED = frozenset(_PHRASES)  # the (region, action) pairs fda actions writes: anything else is another vocabulary
HINTS_VERSION = "timeline-hints-v1"
MIN_QUALITY = 0.4  # an actions record whose landmarks are this poor on average says nothing about the face


def reliable(rec: dict[str, Any]) -> bool:
    """Whether an actions record measured a face well enough to speak for it (grounding, hints, captions):
    a clip without a main face, or with landmarks this poor, did not show "no movement" — it showed nothing."""
    return bool(rec.get("main_face")) and (rec.get("mean_quality") or 0.0) >= MIN_QUALITY
CAPTION_VERSION = "timeline-caption-v1"


def phrase(event: dict[str, Any]) -> str:
    """One event in words ("the head tilts to the left")."""
    template = _PHRASES.get((event["region"], event["action"]), f"the {event['region']} {event['action']}s")
    return template.format(d=" and ".join(event.get("directions") or []) or "side")


def hints(events: list[dict[str, Any]]) -> str:
    """The timeline as prompt lines: "- 1.87–2.13 s: the mouth opens" (a mouth that closes again says so); times
    count from the clip's start."""
    lines = []
    closings = sorted(c["start"] for c in events if (c["region"], c["action"]) == ("mouth", "close"))
    for e in events:
        if (e["region"], e["action"]) == ("mouth", "close"):
            continue  # said with its opening
        when = f"{e['start']:.2f} s" if e["end"] - e["start"] < 0.05 else f"{e['start']:.2f}–{e['end']:.2f} s"  # clip time
        closes = " and closes again" if (e["region"], e["action"]) == ("mouth", "open") and _near(closings, e["end"]) else ""
        lines.append(f"- {when}: {phrase(e)}{closes}")
    return "\n".join(lines) if lines else "- no facial movement was measured"


def _near(sorted_times: list[float], t: float, tol: float = 1e-6) -> bool:
    """Whether a time within ``tol`` of ``t`` is in the sorted list (a binary search: hints stay linear)."""
    import bisect

    i = bisect.bisect_left(sorted_times, t - tol)
    return i < len(sorted_times) and sorted_times[i] <= t + tol


def caption(events: list[dict[str, Any]], duration: float) -> str:
    """A plain caption from the measured events, in order, in the FEC-Bench manner: what the face does at the
    beginning, as the video progresses and towards the end."""
    opening = "This video shows the facial dynamics of the main person."
    if not events:
        return opening + " There is no obvious change in the person's facial expression."
    duration = max(duration, max(e["end"] for e in events), 1e-6)
    parts: dict[int, list[str]] = {0: [], 1: [], 2: []}
    for e in events:
        third = min(2, int(3 * e["start"] / duration))
        words = phrase(e)
        if not parts[third] or parts[third][-1] != words:
            parts[third].append(words)
    lead = {0: "At the beginning of the video", 1: "As the video progresses", 2: "Towards the end of the video"}
    sentences = [opening]
    for k in (0, 1, 2):
        if parts[k]:
            said = ", ".join(parts[k][:-1]) + (" and " if len(parts[k]) > 1 else "") + parts[k][-1]
            sentences.append(f"{lead[k]}, {said}.")
    return " ".join(sentences)
