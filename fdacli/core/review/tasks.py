"""Label Studio tasks: a clip with its draft for the annotators, a clip with its versions for the reviewer.

Each task carries ``fda_id`` (the clip's id, how a rerun knows what is already pushed), ``fda_stage`` (which of
the two projects it belongs to, so `fda review pull` knows what it reads) and ``fda_video`` (the source video
that training needs), beside what the editor shows.
"""

from __future__ import annotations

import html
import urllib.parse
from typing import Any

from fdacli.core.review import labeling
from fdacli.core.review.drafts import split_draft
from fdacli.core.review.versions import has_inference

NO_TIMELINE = "No measured timeline for this clip (run `fda actions` and push with --actions)."
NOT_IN_ACTIONS = "This clip is not in the actions file given with --actions: no measured timeline."


def media_url(prefix: str, relpath: str) -> str:
    """The URL the editor loads a clip from: Label Studio's local-files route (``/data/local-files/?d=``) with
    the clip's path under the document root, or any other prefix the files are served under."""
    quoted = urllib.parse.quote(relpath, safe="/")
    return prefix + quoted


def annotate_task(pre: dict[str, Any], video_url: str, source: str, timeline: str | None,
                  suggested_drop: list[str], screen_note: str | None) -> dict[str, Any]:
    """One clip for the annotators: the draft split into the three parts, pre-filled as a prediction with the
    drop reasons that screening suggests preselected."""
    parts = split_draft(pre.get("text") or "")
    panel = timeline if timeline else NO_TIMELINE
    if screen_note:
        panel += "\n\nScreening (fda screen): " + screen_note
    drop = [r for r in suggested_drop if r in labeling.DROP_REASONS]
    return {
        "data": {
            "video": video_url, "fda_id": pre["id"], "fda_stage": labeling.ANNOTATE, "fda_video": source,
            "timeline": panel, "draft_model": pre.get("model"), "draft_prompt": pre.get("prompt_version"),
            "suggested_drop": drop,
            **{f"draft_{p}": parts[p] for p in labeling.PARTS},
        },
        "predictions": [{"model_version": labeling.MODEL_VERSION[labeling.ANNOTATE], "result": labeling.result(parts, drop)}],
    }


def consolidate_task(rec: dict[str, Any], video_url: str) -> dict[str, Any]:
    """One clip for the reviewer: its versions side by side, the medoid of each part pre-filled, the majority's
    drop reasons preselected."""
    vs = rec["versions"]
    medoid = {p: (vs[rec["medoid"][p]][p] if rec["medoid"].get(p) is not None and vs else "") for p in labeling.PARTS}
    return {
        "data": {
            "video": video_url, "fda_id": rec["id"], "fda_stage": labeling.CONSOLIDATE, "fda_video": rec.get("video"),
            "versions_html": versions_html(rec), "annotators": [v["annotator"] for v in vs],
            "agreement": rec.get("agreement"), "judge": rec.get("judge"),
            **{f"medoid_{p}": medoid[p] for p in labeling.PARTS},
            "inferences": {p: sum(has_inference(v[p]) for v in vs) for p in labeling.PARTS},
        },
        "predictions": [{"model_version": labeling.MODEL_VERSION[labeling.CONSOLIDATE],
                         "result": labeling.result(medoid, rec.get("drop_majority") or [])}],
    }


def fmt(x: Any) -> str:
    """An agreement as the tables show it."""
    return "–" if not isinstance(x, (int, float)) else f"{x:.2f}"


def versions_html(rec: dict[str, Any]) -> str:
    """The versions as a table (one column per annotator), the agreement per part, and where they differ.
    Everything annotators wrote is escaped: it is shown, never run."""
    vs, agr = rec["versions"], rec.get("agreement") or {}
    e = html.escape
    head = "".join(f"<th>{chr(65 + k)} · {e(str(v['annotator']))}"
                   f"{' · <i>the draft unchanged</i>' if v.get('draft_unchanged') else ''}</th>" for k, v in enumerate(vs))
    rows = []
    for p in labeling.PARTS:  # ★ marks the medoid of each part: the text pre-filled below
        cells = "".join(f"<td style='vertical-align:top;white-space:pre-wrap'>{'★ ' if rec['medoid'].get(p) == k else ''}"
                        f"{e(v[p])}</td>" for k, v in enumerate(vs))
        rows.append(f"<tr><th style='text-align:left'>{e(p.replace('_', ' '))}<br/><small>agreement {fmt(agr.get(p))}"
                    f"</small></th>{cells}</tr>")
    drops = "".join(f"<td>{e(', '.join(v['drop']) or 'keep')}</td>" for v in vs)
    rows.append(f"<tr><th style='text-align:left'>drop</th>{drops}</tr>")
    diffs = "".join(f"<li><b>{chr(65 + p['a'])} vs {chr(65 + p['b'])}</b> (facial changes {fmt(p.get('facial_changes'))}): "
                    f"{e(p.get('differences') or '')}</li>" for p in rec.get("pairs") or [])
    judge = e(str(rec.get("judge") or ""))
    return (f"<div><p>Overall agreement {fmt(agr.get('overall'))} (facial changes by TEM, judge {judge}; "
            f"other parts by ROUGE-L). ★ the most central version of each part, pre-filled below.</p><table border='1' style='border-collapse:collapse;width:100%'>"
            f"<tr><th></th>{head}</tr>{''.join(rows)}</table>"
            f"<p>Where the facial changes differ (A/B as in the columns):</p><ul>{diffs}</ul></div>")
