"""How far a judge agrees with hand-labelled gold: the figures that say whether its TEM can be trusted.

The gold (tests/data/judge_gold/, README there) holds FEC-Bench references with predictions of graded
quality (good, mixed, poor), each side's events labelled by hand as (text, region, action, direction)
and every Same / Opposite pair between them.  Gold TEM and AutoDQ follow from those labels through the
same Algorithm 1 code as the judge's.  Any judge (the local grammar or an LLM) is measured the same way:
  * Spearman between its TEM and gold TEM over all predictions, and the same for AutoDQ;
  * the share of references whose three predictions it orders good > mixed > poor;
  * mean TEM per quality beside the gold means, and their ratio (calibration);
  * the human ceiling (``label_agreement``): two labelling passes over the same captions compared the
    same way, so the judge's figures have a labeller's to stand beside;
  * event extraction against the gold events (order-preserving match), and relation accuracy on the
    gold event pairs, per class.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fdacli.core.run.records import RecordError, read_jsonl
from fdacli.core.score.metrics.tem import NONE, OPPOSITE, SAME, tem_score
from fdacli.core.text import grammar
from fdacli.core.text.grammar import Event

QUALITIES = ("good", "mixed", "poor")


def load_gold(paths: Iterable[str | Path]) -> list[dict]:
    """Gold records from JSONL files, checked so a labelling slip stops with ``file:line``."""
    out, seen = [], {}
    for path in paths:
        for lineno, rec in read_jsonl(path, require=("id", "reference", "ref_events", "predictions")):
            where = f"{path}:{lineno}"
            if rec["id"] in seen:
                raise RecordError(f"{where}: id {rec['id']!r} is labelled twice (first at {seen[rec['id']]})")
            seen[rec["id"]] = where
            m = len(rec["ref_events"])
            if not m:
                raise RecordError(f"{where}: the reference has no labelled events")
            if [p.get("quality") for p in rec["predictions"]] != list(QUALITIES):
                raise RecordError(f"{where}: predictions must be good, mixed, poor in that order")
            for p in rec["predictions"]:
                if missing := [key for key in ("caption", "events", "same", "opposite", "ref_entailed", "pred_entailed") if key not in p]:
                    raise RecordError(f"{where}: the {p['quality']} prediction lacks {', '.join(missing)}")
                k = len(p["events"])
                for key in ("same", "opposite"):
                    if any(not (0 <= i < k and 0 <= j < m) for i, j in p[key]):
                        raise RecordError(f"{where}: a {key} pair is out of range ({k} x {m} events)")
                if {tuple(x) for x in p["same"]} & {tuple(x) for x in p["opposite"]}:
                    raise RecordError(f"{where}: a pair of the {p['quality']} prediction is both same and opposite")
                if any(not 0 <= j < m for j in p["ref_entailed"]) or any(not 0 <= i < k for i in p["pred_entailed"]):
                    raise RecordError(f"{where}: an entailment index of the {p['quality']} prediction is out of range")
            out.append(rec)
    return out


def gold_matrix(pred: dict, n_ref: int) -> list[list[str]]:
    rel = [[NONE] * n_ref for _ in pred["events"]]
    for i, j in pred["opposite"]:
        rel[i][j] = OPPOSITE
    for i, j in pred["same"]:
        rel[i][j] = SAME
    return rel


def gold_event(e: dict) -> Event:
    """A hand-labelled event in the grammar's canonical form (labels use the raw vocabulary)."""
    region, action, dirs = grammar.normalise(e["region"], e["action"], tuple(e["direction"]), e["text"].lower())
    return Event(e["text"], region, action, dirs)


def spearman(xs: list[float], ys: list[float]) -> float:
    """Spearman's rho with average ranks for ties (no scipy in the base install); 0 where it is undefined
    (fewer than two values, or one side constant)."""
    def ranks(v: list[float]) -> list[float]:
        order = sorted(range(len(v)), key=v.__getitem__)
        r = [0.0] * len(v)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2
            i = j + 1
        return r

    if len(xs) < 2:
        return 0.0
    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx, vy = sum((a - mx) ** 2 for a in rx), sum((b - my) ** 2 for b in ry)
    return cov / (vx * vy) ** 0.5 if vx and vy else 0.0


def event_matches(found: list[Event], gold: list[Event]) -> int:
    """Order-preserving matches (LCS) between found and labelled events, two events matching when the grammar
    reads them as one action (its normal forms absorb labellers' vocabulary: "face frown" is "brows frown").
    The grammar judges its own events here, so the figure is lenient where its relations are."""
    prev = [0] * (len(gold) + 1)
    for a in found:
        cur = [0] * (len(gold) + 1)
        for j, b in enumerate(gold, 1):
            cur[j] = prev[j - 1] + 1 if grammar.relation(a, b)[0] == SAME else max(prev[j], cur[j - 1])
        prev = cur
    return prev[-1]


def evaluate(judge: Any, gold: list[dict]) -> dict[str, Any]:
    """Every figure of the module docstring, plus one row per prediction (for the worst cases)."""
    refs = [g["reference"] for g in gold]
    preds = [p["caption"] for g in gold for p in g["predictions"]]
    events = judge.extract_events(refs + preds)
    if any(isinstance(e, Exception) for e in events):
        raise RuntimeError(f"the judge failed on {sum(isinstance(e, Exception) for e in events)} captions")
    ref_ev = dict(zip(refs, events[: len(refs)]))
    pairs, rows = [], []
    k = len(refs)
    for g in gold:
        for p in g["predictions"]:
            pairs.append((events[k], ref_ev[g["reference"]]))
            rows.append({"id": g["id"], "quality": p["quality"], "caption": p["caption"], "reference": g["reference"],
                         "pred_events": events[k], "ref_events": ref_ev[g["reference"]], "gold": p, "gold_ref": g})
            k += 1
    rels = judge.relations(pairs)
    rec = judge.entailed([(r["ref_events"], r["caption"]) for r in rows])
    prec = judge.entailed([(r["pred_events"], r["reference"]) for r in rows])
    failed = sum(isinstance(x, Exception) for x in (*rels, *rec, *prec))
    if failed:
        raise RuntimeError(f"the judge failed on {failed} relation or entailment calls: agreement needs every answer")
    for r, rel, re_, pr in zip(rows, rels, rec, prec):
        n, m = len(r["pred_events"]), len(r["ref_events"])
        t = tem_score(rel, n, m)
        r["tem"], r["tem_ref"], r["relations"] = t.tem, t.tem_ref, rel
        r["autodq"] = f1_of(sum(pr) / len(pr) if pr else 0.0, sum(re_) / len(re_) if re_ else 0.0)
        gp, gr = r["gold"], r["gold_ref"]
        gt = tem_score(gold_matrix(gp, len(gr["ref_events"])), len(gp["events"]), len(gr["ref_events"]))
        r["gold_tem"], r["gold_tem_ref"] = gt.tem, gt.tem_ref
        r["gold_autodq"] = f1_of(len(gp["pred_entailed"]) / len(gp["events"]) if gp["events"] else 0.0,
                               len(gp["ref_entailed"]) / len(gr["ref_events"]))
    return {**_agreement(rows), **_extraction(gold, ref_ev, rows), **_relation_accuracy(judge, gold), "rows": rows}


def gold_tems(rec: dict) -> dict[str, float]:
    """Labelled TEM of each prediction of one gold record, by quality."""
    m = len(rec["ref_events"])
    return {p["quality"]: tem_score(gold_matrix(p, m), len(p["events"]), m).tem for p in rec["predictions"]}


def label_agreement(first: list[dict], second: list[dict]) -> dict[str, Any]:
    """The human ceiling: how far two labelling passes over the same captions agree on TEM.  A judge that
    agrees with one labeller as well as another labeller does has reached what the labels can tell.
    Records are matched by id; the captions must be the same (the second pass relabels, it does not rewrite)."""
    by_id = {g["id"]: g for g in first}
    xs, ys, rows = [], [], []
    for g in second:
        f = by_id.get(g["id"])
        if f is None:
            raise RecordError(f"id {g['id']!r} of the second pass is not in the first")
        if f["reference"] != g["reference"] or [p["caption"] for p in f["predictions"]] != [p["caption"] for p in g["predictions"]]:
            raise RecordError(f"id {g['id']!r}: the two passes label different captions")
        a, b = gold_tems(f), gold_tems(g)
        rows.append({"id": g["id"], "first": a, "second": b})
        xs += [a[q] for q in QUALITIES]
        ys += [b[q] for q in QUALITIES]
    mean = lambda v: sum(v) / len(v) if v else None  # noqa: E731
    return {
        "references": len(rows), "predictions": len(xs), "spearman_tem": spearman(xs, ys),
        "mean_abs_diff_tem": mean([abs(x - y) for x, y in zip(xs, ys)]),
        "ordered_both": sum(r["first"]["good"] > r["first"]["mixed"] > r["first"]["poor"]
                            and r["second"]["good"] > r["second"]["mixed"] > r["second"]["poor"] for r in rows),
        "mean_tem": {q: (mean([r["first"][q] for r in rows]), mean([r["second"][q] for r in rows])) for q in QUALITIES},
        "rows": rows,
    }


def f1_of(p: float, r: float) -> float:
    """The harmonic mean of precision and recall, 0 when both are 0 (shared with selection.py)."""
    return 2 * p * r / (p + r) if p + r else 0.0


def _agreement(rows: list[dict]) -> dict[str, Any]:
    by_ref: dict[str, dict[str, float]] = {}
    for r in rows:
        by_ref.setdefault(r["id"], {})[r["quality"]] = r["tem"]
    ordered = sum(q["good"] > q["mixed"] > q["poor"] for q in by_ref.values())
    gold_by_ref: dict[str, dict[str, float]] = {}
    for r in rows:
        gold_by_ref.setdefault(r["id"], {})[r["quality"]] = r["gold_tem"]
    mean = lambda xs: sum(xs) / len(xs) if xs else None  # noqa: E731
    return {
        "predictions": len(rows), "references": len(by_ref),
        "spearman_tem": spearman([r["tem"] for r in rows], [r["gold_tem"] for r in rows]),
        "spearman_tem_ref": spearman([r["tem_ref"] for r in rows], [r["gold_tem_ref"] for r in rows]),
        "spearman_autodq": spearman([r["autodq"] for r in rows], [r["gold_autodq"] for r in rows]),
        "ordered": ordered / len(by_ref) if by_ref else 0.0,
        "gold_ordered": sum(q["good"] > q["mixed"] > q["poor"] for q in gold_by_ref.values()) / len(gold_by_ref) if gold_by_ref else 0.0,
        "mean_tem": {q: mean([r["tem"] for r in rows if r["quality"] == q]) for q in QUALITIES},
        "gold_mean_tem": {q: mean([r["gold_tem"] for r in rows if r["quality"] == q]) for q in QUALITIES},
        # calibration: the judge's mean TEM per quality as a share of the labels' (1.0 = scores as labellers do)
        "calibration": {q: _ratio([r["tem"] for r in rows if r["quality"] == q], [r["gold_tem"] for r in rows if r["quality"] == q])
                        for q in QUALITIES},
        "mean_abs_error_tem": mean([abs(r["tem"] - r["gold_tem"]) for r in rows]),
    }


def _ratio(judged: list[float], labelled: list[float]) -> float | None:
    return sum(judged) / sum(labelled) if judged and sum(labelled) else None


def _extraction(gold: list[dict], ref_ev: dict[str, list], rows: list[dict]) -> dict[str, Any]:
    """Event extraction against the hand-labelled events, for judges whose events carry a parse."""
    found = gold_n = matched = 0
    count_err = []
    texts = [(ref_ev[g["reference"]], g["ref_events"]) for g in gold] + [(r["pred_events"], r["gold"]["events"]) for r in rows]
    for events, labelled in texts:
        mine = [parsed_event(e) for e in events]
        if any(e is None for e in mine):
            return {"extraction": None}
        theirs = [gold_event(e) for e in labelled]
        found, gold_n, matched = found + len(mine), gold_n + len(theirs), matched + event_matches(mine, theirs)
        count_err.append(abs(len(mine) - len(theirs)))
    p, r = matched / found if found else 0.0, matched / gold_n if gold_n else 0.0
    return {"extraction": {"precision": p, "recall": r, "f1": f1_of(p, r), "captions": len(texts),
                           "mean_count_error": sum(count_err) / len(count_err), "events_found": found, "events_gold": gold_n}}


def parsed_event(e: str) -> Event | None:
    """The grammar's parse an event carries (the local judge's), None for an LLM judge's plain text."""
    return getattr(e, "event", None)


def _relation_accuracy(judge: Any, gold: list[dict]) -> dict[str, Any]:
    """The judge's relations on the gold events themselves (their texts), against the gold labels, per class."""
    pairs, labels = [], []
    for g in gold:
        ref_texts = [e["text"] for e in g["ref_events"]]
        for p in g["predictions"]:
            pairs.append(([e["text"] for e in p["events"]], ref_texts))
            labels.append(gold_matrix(p, len(ref_texts)))
    got = judge.relations(pairs)
    if failed := sum(isinstance(r, Exception) for r in got):
        raise RuntimeError(f"the judge failed on {failed} relation calls over the labelled events")
    confusion = {a: {b: 0 for b in (SAME, OPPOSITE, NONE)} for a in (SAME, OPPOSITE, NONE)}
    for lab, rel in zip(labels, got):
        if len(rel) != len(lab) or any(len(a) != len(b) for a, b in zip(lab, rel)):
            raise RuntimeError("the judge returned a relation matrix of the wrong shape")
        for lrow, grow in zip(lab, rel):
            for a, b in zip(lrow, grow):
                confusion[a][b] += 1
    total = sum(sum(r.values()) for r in confusion.values())
    per = {}
    for c in (SAME, OPPOSITE, NONE):
        tp = confusion[c][c]
        said = sum(confusion[a][c] for a in confusion)
        truth = sum(confusion[c].values())
        pc, rc = tp / said if said else 0.0, tp / truth if truth else 0.0
        per[c] = {"precision": pc, "recall": rc, "f1": f1_of(pc, rc), "gold": truth}
    return {"relations": {"pairs": total, "accuracy": sum(confusion[c][c] for c in confusion) / total if total else 0.0,
                          "macro_f1": sum(v["f1"] for v in per.values()) / 3, "per_class": per, "confusion": confusion}}
