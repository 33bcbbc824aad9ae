"""Which ten: how far careful labellers agree on the events a long caption keeps under the cap of ten.

Why a measure of its own: on a reference with more candidate events than ten, the judge's TEM depends on which
ten it keeps, and so does a labeller's.  The first labeller of the gold (tests/data/judge_gold/) wrote the good
paraphrase around the ten they kept, so a judge that keeps another ten loses TEM against labels that score
that paraphrase 1.0.  Whether that loss is the judge's fault or the task's is measured here, on the long
references that more labelling passes picked from again (``overlap_long.jsonl``, README there):

  * event agreement (an F1 of order-preserving matches, ``agreement.event_matches``) between the first labeller's
    ten and each other pass's, between two other passes, and between the judge's ten and each of them;
  * the TEM the judge gives each prediction when its reference events are the judge's own ten, the first
    labeller's ten, or another pass's ten (labelled events read by the judge from their texts), beside the
    labels: a careful human's ten in place of the judge's show what a better choice of ten could gain;
  * the protocol's ceiling on good paraphrases: the paper extracts each caption's events on its own, then
    relates them.  Two more passes picked the good paraphrase's events without seeing its reference
    (``good.passes``); their events against the reference passes', related by the judge, are what careful
    humans following the protocol would score.  The first labeller's events on both sides, related by the
    judge, are the same relations on events picked with both captions in view.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations
from pathlib import Path
from typing import Any

from fdacli.core.run.records import RecordError, read_jsonl
from fdacli.core.score.agreement import QUALITIES, event_matches, f1_of, gold_event, gold_matrix, parsed_event
from fdacli.core.score.metrics.tem import tem_score

MAX_KEPT = 10


def load_selections(paths: Iterable[str | Path]) -> list[dict]:
    """Selection passes from JSONL files, checked so a slip stops with ``file:line``: each record holds a
    reference and at least two passes, each with its candidate events and the indices it kept."""
    out, seen = [], {}
    for path in paths:
        for lineno, rec in read_jsonl(path, require=("id", "reference", "passes")):
            where = f"{path}:{lineno}"
            if rec["id"] in seen:
                raise RecordError(f"{where}: id {rec['id']!r} is picked twice (first at {seen[rec['id']]})")
            seen[rec["id"]] = where
            if len(rec["passes"]) < 2:
                raise RecordError(f"{where}: a selection needs two passes or more")
            if "good" in rec and not (isinstance(rec["good"], dict) and isinstance(rec["good"].get("caption"), str)
                                      and rec["good"].get("passes")):
                raise RecordError(f"{where}: 'good' needs the good prediction's caption and its passes")
            for p in rec["passes"] + rec.get("good", {}).get("passes", []):
                n, kept = len(p.get("candidates", [])), p.get("kept", [])
                if not n or any(set(e) != {"text", "region", "action", "direction"} for e in p["candidates"]):
                    raise RecordError(f"{where}: pass {p.get('pass')!r} has no candidates or a malformed one")
                if kept != sorted(set(kept)) or not 1 <= len(kept) <= MAX_KEPT or not all(0 <= i < n for i in kept):
                    raise RecordError(f"{where}: pass {p.get('pass')!r} keeps {kept} of {n} candidates "
                                      f"(1 to {MAX_KEPT} indices, ascending, in range)")
            out.append(rec)
    return out


def kept(selection_pass: dict) -> list[dict]:
    """The events a pass kept, in caption order."""
    return [selection_pass["candidates"][i] for i in selection_pass["kept"]]


def selection_agreement(judge: Any, gold: list[dict], selections: list[dict]) -> dict[str, Any]:
    """The figures of the module docstring over the selections whose reference is in ``gold``."""
    by_id = {g["id"]: g for g in gold}
    picked = [s for s in selections if s["id"] in by_id]
    for s in picked:
        if s["reference"] != by_id[s["id"]]["reference"] or ("good" in s and s["good"]["caption"] != _good(by_id[s["id"]])):
            raise RecordError(f"id {s['id']!r}: the selection and the gold label different captions")
    f1: dict[str, list[float]] = {"first ~ another pass": [], "two other passes": [], "judge ~ first": [],
                                  "judge ~ another pass": []}
    tem: dict[str, dict[str, list[float]]] = {q: {"labels": [], "judge's ten": [], "first's ten": [], "another pass's ten": []}
                                              for q in QUALITIES}
    tem["good"] |= {"careful passes, each caption on its own": [], "first labeller, both captions in view": []}
    refs = [by_id[s["id"]]["reference"] for s in picked]
    preds = [p["caption"] for s in picked for p in by_id[s["id"]]["predictions"]]
    events = judge.extract_events(refs + preds)
    if any(isinstance(e, Exception) for e in events):
        raise RuntimeError(f"the judge failed on {sum(isinstance(e, Exception) for e in events)} captions")
    pred_events = iter(events[len(refs):])
    pairs: list[tuple[list, list]] = []
    slots: list[tuple[str, str]] = []
    for s, judged in zip(picked, events):
        g = by_id[s["id"]]
        _agree(f1, g, s, judged)
        for p in g["predictions"]:
            q = p["quality"]
            tem[q]["labels"].append(tem_score(gold_matrix(p, len(g["ref_events"])), len(p["events"]), len(g["ref_events"])).tem)
            for name, pair in _tem_pairs(g, s, p, judged, next(pred_events)):
                pairs.append(pair)
                slots.append((q, name))
    rels = judge.relations(pairs)
    if failed := sum(isinstance(r, Exception) for r in rels):
        raise RuntimeError(f"the judge failed on {failed} relation calls")
    for (q, name), (p, r), rel in zip(slots, pairs, rels):
        tem[q][name].append(tem_score(rel, len(p), len(r)).tem)
    mean = lambda v: sum(v) / len(v) if v else None  # noqa: E731
    return {"references": len(picked), "f1": {k: mean(v) for k, v in f1.items()},
            "tem": {q: {k: mean(v) for k, v in d.items()} for q, d in tem.items()}}


def _agree(f1: dict[str, list[float]], g: dict, s: dict, judged: list) -> None:
    """Event F1 between the first labeller's ten, each other pass's and (for a judge whose events carry a parse,
    the local grammar) the judge's."""
    first = [gold_event(e) for e in g["ref_events"]]
    others = [[gold_event(e) for e in kept(p)] for p in s["passes"]]
    f1["first ~ another pass"] += [_event_f1(first, o) for o in others]
    f1["two other passes"] += [_event_f1(a, b) for a, b in combinations(others, 2)]
    if all(parsed_event(e) is not None for e in judged):
        mine = [parsed_event(e) for e in judged]
        f1["judge ~ first"].append(_event_f1(mine, first))
        f1["judge ~ another pass"] += [_event_f1(mine, o) for o in others]


def _tem_pairs(g: dict, s: dict, p: dict, judged: list, theirs: list) -> list[tuple[str, tuple[list, list]]]:
    """The (prediction events, reference events) pairs whose TEM each figure averages, by figure."""
    out = [("judge's ten", (theirs, judged)), ("first's ten", (theirs, _texts(g["ref_events"]))),
           *[("another pass's ten", (theirs, _texts(kept(o)))) for o in s["passes"]]]
    if p["quality"] == "good":
        out.append(("first labeller, both captions in view", (_texts(p["events"]), _texts(g["ref_events"]))))
        out += [("careful passes, each caption on its own", (_texts(kept(gp)), _texts(kept(rp))))
                for gp in s.get("good", {}).get("passes", []) for rp in s["passes"]]
    return out


def _texts(events: list[dict]) -> list[str]:
    return [e["text"] for e in events]


def _good(rec: dict) -> str:
    """The good prediction's caption (load_gold holds every record to one good, one mixed, one poor)."""
    return next(p["caption"] for p in rec["predictions"] if p["quality"] == "good")


def _event_f1(a: list, b: list) -> float:
    m = event_matches(a, b)
    return f1_of(m / len(a), m / len(b)) if a and b else 0.0
