"""Each criterion of the paper's screen as a verdict with its measured value, its threshold and a reason in words.

A criterion is ``{"value", "threshold", "verdict", "reason"}``; the verdict is one of ``VERDICTS``.  A clip is
kept when no criterion drops it; "not measured" never drops and never passes in silence — it says why (no
actions file, no record for the clip, a face too poorly measured to speak for).  Drop reasons use the words
annotators use in `fda review`: "too many facial changes", "too few facial changes", "frequent perspective
switches", and "face too small", "too many people", "static scene" for the filters the paper applied before
annotation.
"""

from __future__ import annotations

from typing import Any

from fdacli.core.run.schemas import SCREEN_VERDICTS
from fdacli.core.screen import measures as m
from fdacli.core.screen.thresholds import Thresholds
from fdacli.core.text.timeline import MIN_QUALITY, reliable

VERDICTS = SCREEN_VERDICTS  # declared with the screen record's contract (core/run/schemas.py)
PASS, DROP, NOT_MEASURED, ANNOTATORS = VERDICTS

FACE_TOO_SMALL = "face too small"
TOO_MANY_PEOPLE = "too many people"
SWITCHES = "frequent perspective switches"
STATIC = "static scene"
TOO_MANY_CHANGES = "too many facial changes"
TOO_FEW_CHANGES = "too few facial changes"
REASONS = (FACE_TOO_SMALL, TOO_MANY_PEOPLE, SWITCHES, STATIC, TOO_MANY_CHANGES, TOO_FEW_CHANGES)

# criterion name -> the column it has in the summary and the plots, in the order they are shown
CRITERIA = {
    "face_size": "face size", "people": "people", "perspective_switches": "perspective switches",
    "static": "static", "facial_change": "facial change", "violent_content": "violent content",
}

Criterion = dict[str, Any]


def _criterion(value: Any, threshold: Any, verdict: str, reason: str, drop: str | None = None) -> Criterion:
    out = {"value": value, "threshold": threshold, "verdict": verdict, "reason": reason}
    if drop is not None:
        out["drop_reason"] = drop
    return out


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def face_size(rec: m.Record, t: Thresholds, subject: int | None = None) -> Criterion:
    share = m.face_share(rec, subject)
    if m.main_identity(rec, subject) is None:
        return _criterion(0.0, t.min_face_area, DROP, "no main face was tracked", FACE_TOO_SMALL)
    words = f"the main face covers {_pct(share)} of the frame (more than {_pct(t.min_face_area)} needed)"
    return _criterion(round(share, 4), t.min_face_area, PASS if share > t.min_face_area else DROP, words,
                      None if share > t.min_face_area else FACE_TOO_SMALL)


def people(rec: m.Record, t: Thresholds) -> Criterion:
    at_once, total = m.people(rec)
    words = (f"{at_once} at once (at most {t.max_people_at_once}), {total} in the clip (at most {t.max_people}); "
             "people are identities, not tracks")
    crowded = at_once > t.max_people_at_once or total > t.max_people
    return _criterion({"at_once": at_once, "total": total}, {"at_once": t.max_people_at_once, "total": t.max_people},
                      DROP if crowded else PASS, words, TOO_MANY_PEOPLE if crowded else None)


def perspective_switches(rec: m.Record, t: Thresholds) -> Criterion:
    rate, shortest = m.cuts(rec)
    n = len(rec.get("shots") or []) - 1
    fast = shortest is not None and shortest < t.min_shot
    words = (f"{max(n, 0)} cut(s), {rate:.2f} per second (at most {t.max_cuts_per_second:g}); "
             + (f"shortest shot between cuts {shortest:.2f} s (at least {t.min_shot:g} s)" if shortest is not None
                else "no shot between two cuts"))
    drop = rate > t.max_cuts_per_second or fast
    return _criterion({"cuts_per_second": round(rate, 3), "shortest_shot": None if shortest is None else round(shortest, 3)},
                      {"cuts_per_second": t.max_cuts_per_second, "shortest_shot": t.min_shot},
                      DROP if drop else PASS, words, SWITCHES if drop else None)


def static(rec: m.Record, t: Thresholds, subject: int | None = None) -> Criterion:
    picture, face = rec.get("picture_change"), m.face_motion(rec, subject)
    threshold = {"picture_change": t.still_picture, "face_motion": t.still_face}
    if picture is None:
        return _criterion({"picture_change": None, "face_motion": None if face is None else round(face, 4)}, threshold,
                          NOT_MEASURED, "the tracks record has no picture_change (tracked by an older fda track): "
                          "track the clip again to measure it")
    still_picture, still_face = picture < t.still_picture, face is None or face < t.still_face
    face_words = "no main face" if face is None else f"the main face moves {face:.4f} face widths ({'still' if still_face else 'moving'} under {t.still_face:g})"
    words = f"picture change {picture:.3f} ({'still' if still_picture else 'moving'} under {t.still_picture:g}); {face_words}"
    drop = still_picture and still_face
    return _criterion({"picture_change": picture, "face_motion": None if face is None else round(face, 4)}, threshold,
                      DROP if drop else PASS, ("nothing moves: " if drop else "") + words, STATIC if drop else None)


def facial_change(actions: m.Record | None, why_not: str | None, t: Thresholds) -> Criterion:
    """From the clip's actions record; ``why_not`` says why there is none (no --actions, no record for the clip)."""
    threshold = {"min_per_second": t.min_changes, "max_per_second": t.max_changes, "min_strength": t.min_strength}
    if actions is None:
        return _criterion(None, threshold, NOT_MEASURED, why_not or "no actions record")
    if not reliable(actions):
        why = ("no main face was measured" if not actions.get("main_face")
               else f"the landmarks were too poor to speak for the face (mean quality {actions.get('mean_quality')} < {MIN_QUALITY})")
        return _criterion(None, threshold, NOT_MEASURED, why)
    c = m.changes(actions)
    value = {"count": c.count, "per_second": round(c.per_second, 3),
             "strongest": None if c.strongest is None else round(c.strongest, 2), "kinds": c.kinds}
    words = (f"{c.count} facial change(s), {c.per_second:.2f} per second (from {t.min_changes:g} to {t.max_changes:g})"
             + ("" if c.strongest is None else f", the strongest {c.strongest:.1f}x its detection threshold (at least {t.min_strength:g}x)"))
    if c.per_second > t.max_changes:
        return _criterion(value, threshold, DROP, words, TOO_MANY_CHANGES)
    if c.per_second < t.min_changes or (c.strongest is not None and c.strongest < t.min_strength):
        return _criterion(value, threshold, DROP, words, TOO_FEW_CHANGES)
    return _criterion(value, threshold, PASS, words)


def violent_content() -> Criterion:
    return _criterion(None, None, ANNOTATORS, "violence is not measurable from faces and their movements: "
                      "annotators judge it (fda review)")
