"""Every annotator's version of every clip, read from a Label Studio export, with their agreement.

One record per clip: who corrected the draft, when, for how long, which parts they changed, their drop votes,
the agreement of the versions part by part (pairwise, by the comparers the command hands in), the medoid
version of each part, and where the versions differ.  A clip with fewer than the wanted number of versions
is ``incomplete``; cancelled (skipped) annotations are listed, never counted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from fdacli.core.review import labeling
from fdacli.core.review.agreement import Comparer, Pairwise, majority, mean_pairwise, medoid
from fdacli.core.run.schemas import VERSIONS

RECORD_KIND = "fda-review-versions"
_SPACE = re.compile(r"\s+")


def same_text(a: str, b: str) -> bool:
    """Equal up to spacing: an annotator who only reflowed a line did not change the draft."""
    return _SPACE.sub(" ", a or "").strip() == _SPACE.sub(" ", b or "").strip()


def brackets_balanced(text: str) -> bool:
    """Inference markers open and close in pairs (an unclosed one would swallow or leak text in training)."""
    depth = 0
    for ch in text or "":
        depth += ch == "["
        depth -= ch == "]"
        if depth < 0:
            return False
    return depth == 0


def has_inference(text: str) -> bool:
    return bool(re.search(r"\[[^\[\]]+\]", text or ""))


@dataclass
class Comparers:
    """How each part is compared: TEM through a judge for the facial changes, ROUGE-L for the others."""

    facial_changes: Comparer
    text: Comparer
    judge: str


def draft_of(task: dict[str, Any]) -> dict[str, str]:
    data = task.get("data") or {}
    return {p: str(data.get(f"draft_{p}") or "") for p in labeling.PARTS}


def annotator_name(ann: dict[str, Any], users: dict[int, str]) -> str:
    who = ann.get("completed_by")
    if isinstance(who, dict):  # some exports inline the user
        return str(who.get("email") or who.get("username") or f"user {who.get('id')}")
    if who is None:  # imported annotations may have no author: each stays its own version
        return f"annotation {ann.get('id')}"
    try:
        return users.get(int(who), f"user {who}")
    except (TypeError, ValueError):
        return f"user {who}"


def versions_of(task: dict[str, Any], users: dict[int, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(versions, cancelled) of one exported task, earliest first; one version per annotator (their last)."""
    draft = draft_of(task)
    suggested = sorted((task.get("data") or {}).get("suggested_drop") or [])
    kept: dict[str, dict[str, Any]] = {}
    cancelled = []
    anns = [a for a in task.get("annotations") or [] if isinstance(a, dict)]
    for ann in sorted(anns, key=lambda a: (str(a.get("created_at") or ""), str(a.get("id") or ""))):
        who = annotator_name(ann, users)
        if ann.get("was_cancelled"):
            cancelled.append({"annotator": who, "annotation": ann.get("id")})
            continue
        parts, drop = labeling.read_result(ann.get("result"))
        changed = {p: not same_text(parts[p], draft[p]) for p in labeling.PARTS}
        kept[who] = {
            "annotator": who, "annotation": ann.get("id"), "created_at": ann.get("created_at"),
            "updated_at": ann.get("updated_at"), "lead_time": seconds(ann.get("lead_time")), **parts, "drop": drop,
            "changed": changed, "draft_unchanged": not any(changed.values()),
            "drop_as_suggested": bool(suggested) and sorted(drop) == suggested,
            "brackets_ok": all(brackets_balanced(parts[p]) for p in labeling.PARTS),
        }
    return sorted(kept.values(), key=lambda v: (str(v["created_at"] or ""), str(v["annotation"] or ""))), cancelled


def seconds(x: Any) -> float | None:
    try:
        s = round(float(x), 1)
    except (TypeError, ValueError):
        return None
    return s if math.isfinite(s) else None  # "NaN" in an export is no time (and JSON has no NaN)


def records(tasks: list[dict[str, Any]], users: dict[int, str], wanted: int, compare: Comparers,
            project: int | None) -> list[dict[str, Any]]:
    """The versions record of every annotate task, agreement computed for all clips in one pass per part."""
    per_task = [(t, *versions_of(t, users)) for t in tasks if isinstance(t, dict)
                and isinstance(t.get("data"), dict) and t["data"].get("fda_id") is not None]
    results: dict[str, list[Pairwise]] = {}
    for part in labeling.PARTS:
        groups = [[v[part] for v in vs] for _, vs, _ in per_task]
        results[part] = (compare.facial_changes if part == "facial_changes" else compare.text)(groups)
    out = []
    for k, (task, vs, cancelled) in enumerate(per_task):
        out.append(_record(task, vs, cancelled, {p: results[p][k] for p in labeling.PARTS}, wanted, compare.judge, project))
    return out


def _record(task: dict[str, Any], vs: list[dict[str, Any]], cancelled: list[dict[str, Any]], pw: dict[str, Pairwise],
            wanted: int, judge: str, project: int | None) -> dict[str, Any]:
    data = task["data"]
    agreement: dict[str, Any] = {p: mean_pairwise(pw[p]) for p in labeling.PARTS}
    known = [v for v in agreement.values() if v is not None]
    agreement["overall"] = round(sum(known) / len(known), 4) if known else None
    votes, drop = majority([v["drop"] for v in vs])
    pairs = []
    for i in range(len(vs)):
        for j in range(i + 1, len(vs)):
            pairs.append({"a": i, "b": j, **{p: pw[p].matrix[i][j] for p in labeling.PARTS},
                          "differences": pw["facial_changes"].notes.get((i, j))})
    status = "ok" if len(vs) >= wanted else ("empty" if not vs else "incomplete")
    errors = {p: pw[p].error for p in labeling.PARTS if pw[p].error}
    return {
        "id": str(data["fda_id"]), "record": RECORD_KIND, "version": VERSIONS, "video": data.get("fda_video"), "status": status,
        "error": None if status == "ok" else f"{len(vs)} of {wanted} versions",
        "project": project, "task": task.get("id"), "media": data.get("video"),
        "versions_wanted": wanted, "draft": draft_of(task), "draft_model": data.get("draft_model"),
        "versions": vs, "cancelled": cancelled, "agreement": agreement, "judge": judge,
        **({"agreement_errors": errors} if errors else {}),
        "pairs": pairs, "medoid": {p: medoid(pw[p]) for p in labeling.PARTS},
        "drop_votes": votes, "drop_majority": drop,
    }
