"""The final reviewer's decisions, read from the consolidation project: one annotation per clip, in the
structured form `fda build-instructions` reads, with its provenance and flags.

Provenance says who the annotators were and how far they agreed, who reviewed, and whether the reviewer
edited the pre-filled medoid.  Flags name what a person should look at again: a part where annotators
marked inferences ("[...]") but the final text has none — the markers were lost, and the inference would be
trained on as fact — and unbalanced brackets.
"""

from __future__ import annotations

from typing import Any

from fdacli.core.review import labeling
from fdacli.core.run.schemas import ANNOTATIONS
from fdacli.core.review.versions import seconds, annotator_name, brackets_balanced, has_inference, same_text

RECORD_KIND = "fda-review-annotation"


def annotation(task: dict[str, Any], users: dict[int, str]) -> dict[str, Any] | None:
    """The reviewer's annotation of one consolidation task (the latest one not cancelled), or None while the
    clip awaits review."""
    done = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
    if not done or (task.get("data") or {}).get("fda_id") is None:
        return None
    ann = max(done, key=lambda a: (str(a.get("updated_at") or a.get("created_at") or ""), a.get("id") or 0))
    data = task.get("data") or {}
    parts, drop = labeling.read_result(ann.get("result"))
    flags = []
    for p in labeling.PARTS:
        marked = int((data.get("inferences") or {}).get(p) or 0)
        if marked and not has_inference(parts[p]):
            flags.append(f"{p}: inference markers lost ({marked} version(s) marked inferences with [...], the final text has none)")
        if not brackets_balanced(parts[p]):
            flags.append(f"{p}: unbalanced [brackets]")
        if not drop and not parts[p].strip() and p != "summary":
            flags.append(f"{p}: empty in a clip that is kept")
    rec: dict[str, Any] = {
        "id": str(data["fda_id"]), "record": RECORD_KIND, "version": ANNOTATIONS, "video": data.get("fda_video"),
        "status": "dropped" if drop else "ok", "error": None, **parts, "drop": drop,
        "review": {
            "reviewer": annotator_name(ann, users), "reviewed_at": ann.get("updated_at") or ann.get("created_at"),
            "lead_time": seconds(ann.get("lead_time")), "task": task.get("id"),
            "edited": {p: not same_text(parts[p], str(data.get(f"medoid_{p}") or "")) for p in labeling.PARTS},
            "annotators": list(data.get("annotators") or []), "agreement": data.get("agreement"), "judge": data.get("judge"),
        },
        "flags": flags,
    }
    return rec


def pending(task: dict[str, Any]) -> bool:
    """A reviewer's task nobody has decided yet (cancelled decisions do not count)."""
    return not any(isinstance(a, dict) and not a.get("was_cancelled") for a in task.get("annotations") or [])
