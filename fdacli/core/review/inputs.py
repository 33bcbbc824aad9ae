"""What a push reads — drafts, tracks, the measured timeline, screening verdicts, annotators' versions — turned
into the clips to push, with a reason for every clip that is not pushed.  Every record comes here checked by its
contract (core/run/contracts.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fdacli.core.review.clips import ClipWindow, boxes_from_tracks
from fdacli.core.review.push import Clip
from fdacli.core.review.tasks import NOT_IN_ACTIONS, annotate_task, consolidate_task
from fdacli.core.media.fingerprint import changed_since
from fdacli.core.run.inputs import resolve_video
from fdacli.core.text import timeline


@dataclass
class Selection:
    clips: list[Clip] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (id, why)


def timeline_text(rec: dict[str, Any] | None) -> str | None:
    """The measured timeline of an `fda actions` record in words, or why there is none."""
    if rec is None:
        return None
    if rec.get("status", "ok") != "ok":
        return f"Not measured: {rec.get('error') or 'fda actions failed on this clip'}."
    if not timeline.reliable(rec):
        return "No reliably measured main face in this clip (fda actions): judge the face by eye."
    return timeline.hints(rec.get("events") or [])


def screen_note(rec: dict[str, Any] | None) -> tuple[list[str], str | None]:
    """Drop reasons `fda screen` measured (preselected for the annotators to confirm) and its verdict in words."""
    if rec is None:
        return [], None
    if rec.get("status", "ok") != "ok":
        return [], f"not screened: {rec.get('error') or 'fda screen failed on this clip'}"
    reasons = list(rec["drop_reasons"])
    if not reasons:
        return [], "kept by every measured criterion"
    return reasons, "suggests dropping: " + "; ".join(reasons)


def annotate_clips(drafts: list[dict[str, Any]], tracks: dict[str, dict[str, Any]], tracks_dir: Path,
                   actions: dict[str, dict[str, Any]] | None, screen: dict[str, dict[str, Any]] | None) -> Selection:
    """A clip per draft that has a video to show; failed drafts and clips without tracks are left out."""
    sel = Selection()
    for pre in drafts:
        rid = pre["id"]
        if pre.get("status", "ok") != "ok":
            sel.left_out.append((rid, f"the draft failed: {pre.get('error') or 'status ' + str(pre.get('status'))}"))
            continue
        if not (pre.get("text") or "").strip():
            sel.left_out.append((rid, "the draft is empty"))
            continue
        tr = tracks.get(rid)
        if tr is None:
            sel.left_out.append((rid, "no ok record in the tracks file"))
            continue
        source = resolve_video(str(tr["video"]), [tracks_dir])
        source = str(Path(source).resolve()) if Path(source).is_file() else source  # training reads it from anywhere
        if why := changed_since(tr, source):
            sel.left_out.append((rid, why))
            continue
        window = ClipWindow(source, tr.get("start"), tr.get("end"), boxes_from_tracks(tr))
        drop, note = screen_note((screen or {}).get(rid))
        text = None if actions is None else NOT_IN_ACTIONS if rid not in actions else timeline_text(actions[rid])
        sel.clips.append(Clip(rid, window, lambda url, p=pre, s=source, t=text, d=drop, n=note:
                              annotate_task(p, url, s, t, d, n)))
    return sel


def consolidate_clips(versions: list[dict[str, Any]], include_incomplete: bool) -> Selection:
    """A clip per versions record ready for the reviewer: all its versions in (or some, when asked)."""
    sel = Selection()
    for rec in versions:
        if not rec.get("versions"):
            sel.left_out.append((rec["id"], "no annotator's version yet"))
        elif rec.get("status") != "ok" and not include_incomplete:
            sel.left_out.append((rec["id"], f"only {rec.get('error')} (--include-incomplete to review it anyway)"))
        elif not rec.get("media"):
            sel.left_out.append((rec["id"], "no clip URL in its versions record"))
        else:
            sel.clips.append(Clip(rec["id"], None, lambda url, r=rec: consolidate_task(r, url), url=rec["media"]))
    return sel
