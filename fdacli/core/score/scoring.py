"""FEC-Bench scoring: captions in, per-sample and per-model metrics out (paper §3.4, §5.2).

Pairs predictions with references by id (scored on the intersection, with counts of what was left
out), runs the judge's event steps once per caption — reference events once for all models — and
computes TEM, AutoDQ, CIDEr-D, ROUGE-L and, with an LLM judge, the Video-ChatGPT-style scores.  A
sample whose judge calls failed is marked failed with its reason and excluded from that metric's
average, with a count; it is never scored 0 or 1 by default.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fdacli.core.score.metrics import METRICS, ngram
from fdacli.core.score.metrics.tem import LcsNorm, tem_score

MAX_CAPTION_CHARS = 20000  # longer captions are cut (and counted): a runaway generation must not stall a judge


@dataclass
class Captions:
    """id -> caption for one file, with what was wrong with it."""

    path: str
    captions: dict[str, str]
    seconds: dict[str, str] = field(default_factory=dict)  # optional second prediction (consistency)
    persons: dict[str, int] = field(default_factory=dict)  # whom a caption is about, where it says (grounding)
    duplicates: list[str] = field(default_factory=list)
    twice: list[Any] = field(default_factory=list)  # readers.Twice: each later record of an id, with both places
    empty: list[str] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)


def load_captions(path: str | Path) -> Captions:
    """Read ``{"id", "caption"}`` records (JSONL or a JSON list, e.g. the FEC-Bench release), each checked by the
    captions contract (core/run/contracts.py): another kind of file, a missing caption, a wrong type, NaN, a version
    this fda does not read stop with ``file:line``.

    A duplicate id keeps its first caption and is reported with both places; a null or empty caption (and a failed
    `fda caption` record) is reported as empty.
    """
    from fdacli.core.run.readers import read_captions

    caps = Captions(path=str(path), captions={})
    for _, rec in read_captions(path, caps.twice):
        cap = rec.get("caption", rec.get("pred", rec.get("text")))
        rid = rec["id"]
        if not cap or not cap.strip():
            caps.empty.append(rid)
            continue
        cap = " ".join(cap.split())
        if len(cap) > MAX_CAPTION_CHARS:
            cap = cap[:MAX_CAPTION_CHARS]
            caps.truncated.append(rid)
        caps.captions[rid] = cap
        second = rec.get("caption2")
        if second is not None and second.strip():
            caps.seconds[rid] = " ".join(second.split())
        if rec.get("person") is not None:
            caps.persons[rid] = rec["person"]
    caps.duplicates = [t.id for t in caps.twice]
    return caps


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _f(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


class EventStore:
    """Event lists per caption text, so reference events are extracted once for every model."""

    def __init__(self, judge: Any) -> None:
        self.judge = judge
        self.events: dict[str, list[str] | Exception] = {}

    def pending(self, texts: list[str]) -> int:
        return len({t for t in texts if t not in self.events})

    def get(self, texts: list[str]) -> list[list[str] | Exception]:
        todo = sorted({t for t in texts if t not in self.events})
        for t, ev in zip(todo, self.judge.extract_events(todo)):
            self.events[t] = ev
        return [self.events[t] for t in texts]


def score_model(
    preds: Captions,
    refs: Captions,
    judge: Any,
    store: EventStore,
    metrics: tuple[str, ...] = METRICS,
    lcs_norm: LcsNorm = "pred",
    tokenizer: str = "auto",
    progress: Callable[[str, int], None] = lambda stage, total: None,
    explained: bool = True,
) -> dict[str, Any]:
    """Per-sample details and the model's summary; with ``explained``, each sample's events and related pairs
    (``explain``) for --explain and the report."""
    # An empty prediction for a known clip is scored (as describing nothing), not dropped: dropping it
    # would raise the model's average.  An empty reference cannot be scored against and is left out.
    answered = set(preds.captions) | set(preds.empty)
    ids = sorted(answered & set(refs.captions), key=_id_order)
    samples = [{"id": i} for i in ids]
    pred_txt = [preds.captions.get(i, "") for i in ids]
    ref_txt = [refs.captions[i] for i in ids]
    failures: dict[str, int] = {}

    def fail(s: dict, metric: str, exc: Exception) -> None:
        s.setdefault("failed", {})[metric] = f"{type(exc).__name__}: {exc}"[:300]
        failures[metric] = failures.get(metric, 0) + 1

    if "tem" in metrics or "autodq" in metrics:
        progress("events", store.pending(ref_txt + pred_txt))
        ref_ev, pred_ev = store.get(ref_txt), store.get(pred_txt)
        for s, pe, re_ in zip(samples, pred_ev, ref_ev):
            if isinstance(pe, Exception) or isinstance(re_, Exception):
                err = pe if isinstance(pe, Exception) else re_
                for m in ("tem", "autodq"):
                    if m in metrics:
                        fail(s, m, err)
            else:
                s["pred_events"], s["ref_events"] = pe, re_
    ok = [k for k, s in enumerate(samples) if "pred_events" in s]

    if "tem" in metrics:
        progress("relations", len(ok))
        rels = judge.relations([(samples[k]["pred_events"], samples[k]["ref_events"]) for k in ok])
        for k, rel in zip(ok, rels):
            s = samples[k]
            if isinstance(rel, Exception):
                fail(s, "tem", rel)
                continue
            r = tem_score(rel, len(s["pred_events"]), len(s["ref_events"]), lcs_norm=lcs_norm)
            s.update(r.as_dict())
            s["relations"] = rel

    if "autodq" in metrics:
        progress("entailment", 2 * len(ok))
        rec = judge.entailed([(samples[k]["ref_events"], pred_txt[k]) for k in ok])
        prec = judge.entailed([(samples[k]["pred_events"], ref_txt[k]) for k in ok])
        for k, r_, p_ in zip(ok, rec, prec):
            s = samples[k]
            if isinstance(r_, Exception) or isinstance(p_, Exception):
                fail(s, "autodq", r_ if isinstance(r_, Exception) else p_)
                continue
            s["autodq_recall"] = sum(r_) / len(r_) if r_ else 0.0
            s["autodq_precision"] = sum(p_) / len(p_) if p_ else 0.0
            s["autodq"] = _f(s["autodq_precision"], s["autodq_recall"])

    tokenizer_name = None
    if ("cider" in metrics or "rouge" in metrics) and ids:
        progress("n-grams", 0)
        toks, tokenizer_name = ngram.tokenize(pred_txt + ref_txt, prefer_java=tokenizer != "python")
        cand, ref_toks = toks[: len(ids)], toks[len(ids) :]
        if "cider" in metrics:
            # Document frequencies come from the scored set (pycocoevalcap): rows are comparable only
            # over the same clips, so the number of documents is recorded with the score.
            _, per = ngram.cider_d(cand, [[r] for r in ref_toks])
            for s, c in zip(samples, per):
                s["cider"] = c
        if "rouge" in metrics:
            for s, c, r, pt, rt in zip(samples, cand, ref_toks, pred_txt, ref_txt):
                s["rouge_l"] = ngram.rouge_l_f1(pt, rt)
                s["rouge_l_coco"] = ngram.rouge_l_coco(c, [r])

    if "judge" in metrics and getattr(judge, "can_score", False):
        progress("judge scores", len(ids))
        items = [(ref_txt[k], pred_txt[k], preds.seconds.get(ids[k])) for k in range(len(ids))]
        for s, sc in zip(samples, judge.scores(items)):
            if isinstance(sc, Exception):
                fail(s, "judge", sc)
            else:
                s.update(sc)

    summary = summarise(samples, metrics, lcs_norm)
    if hasattr(judge, "is_fallback") and ok:
        events = [e for k in ok for e in (*samples[k]["pred_events"], *samples[k]["ref_events"])]
        summary["fallback_share"] = sum(map(judge.is_fallback, events)) / len(events) if events else 0.0
    counts = {
        "scored": len(ids), "only_in_predictions": len(set(preds.captions) - set(refs.captions)),
        "only_in_references": len(set(refs.captions) - set(preds.captions)),
        "empty_predictions": len(set(preds.empty) & set(refs.captions)), "empty_references": len(refs.empty),
        "no_events": sum(1 for s in samples if "pred_events" in s and (not s["pred_events"] or not s["ref_events"])),
        "duplicate_ids_in_predictions": len(preds.duplicates), "truncated_predictions": len(preds.truncated),
        "failed": failures,
    }
    for s in samples:
        if "pred_events" in s:
            pred, ref, rel = s.pop("pred_events"), s.pop("ref_events"), s.pop("relations", None)
            if explained:
                s["explain"] = explain(judge, pred, ref, rel)
    return {"path": preds.path, "summary": summary, "counts": counts, "tokenizer": tokenizer_name, "samples": samples}


def add_grounding(model: dict[str, Any], preds: Captions, actions: dict[str, dict[str, Any]], refs: Captions | None = None) -> None:
    """Check every caption with an actions record against it (core/score/grounding.py); per-sample detail and
    the model's grounded precision and contradiction rate.  With references, only the scored samples are
    grounded, so both kinds of columns cover the same clips."""
    from fdacli.core.score import grounding

    by_id = {s["id"]: s for s in model["samples"]}
    for rid, caption in preds.captions.items():
        if rid in actions and (refs is None or rid in by_id):
            by_id.setdefault(rid, {"id": rid})["grounding"] = grounding.ground(caption, actions[rid], preds.persons.get(rid))
    model["samples"] = sorted(by_id.values(), key=lambda s: _id_order(s["id"]))
    model["summary"].update(grounding.summarise(model["samples"]))
    model["counts"]["without_actions"] = len(set(preds.captions) - set(actions))
    if not model["counts"]["scored"]:  # no references: the samples are the grounded ones
        model["counts"]["scored"] = sum(1 for s in model["samples"] if "grounding" in s)


def ground_only(preds: Captions) -> dict[str, Any]:
    """A model scored against no references (--grounding alone): samples are filled by add_grounding."""
    return {"path": preds.path, "summary": {}, "counts": {"scored": 0, "empty_predictions": len(preds.empty),
            "duplicate_ids_in_predictions": len(preds.duplicates), "truncated_predictions": len(preds.truncated), "failed": {}},
            "tokenizer": None, "samples": []}


def explain(judge: Any, pred: list[str], ref: list[str], relations: list[list[str]] | None) -> dict[str, Any]:
    """The events of both sides and the pairs that are not No Relation, each with the judge's reason where it
    has one (the local grammar does; an LLM judge gives the label only)."""
    describe = getattr(judge, "describe", None)
    reason = getattr(judge, "reason", None)

    def side(events: list[str]) -> list[Any]:
        return [[e, describe(e)] if describe else e for e in events]

    pairs = []
    for i, row in enumerate(relations or []):
        for j, rel in enumerate(row):
            if rel != "none":
                pairs.append([i, j, rel, reason(pred[i], ref[j])] if reason else [i, j, rel])
    return {"pred_events": side(pred), "ref_events": side(ref), "pairs": pairs if relations is not None else None}


def summarise(samples: list[dict], metrics: tuple[str, ...], lcs_norm: str) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def col(key: str) -> list[float]:
        return [s[key] for s in samples if isinstance(s.get(key), (int, float)) and not math.isnan(s[key])]

    if "tem" in metrics:
        for k in ("tem", "tem_ref", "lcs", "precision", "recall", "f"):
            out[k] = _mean(col(k))
        scored = [s for s in samples if "tem" in s]
        pairs = sum(s["pairs"] for s in scored)
        out["opposite_rate"] = sum(s["opposite_pairs"] for s in scored) / pairs if pairs else None
        out["lcs_norm"] = lcs_norm
    if "tem" in metrics or "autodq" in metrics:
        with_ev = [s for s in samples if "pred_events" in s]
        out["pred_events_per_caption"] = _mean([len(s["pred_events"]) for s in with_ev])
        out["ref_events_per_caption"] = _mean([len(s["ref_events"]) for s in with_ev])
    if "autodq" in metrics:
        p, r = _mean(col("autodq_precision")), _mean(col("autodq_recall"))
        out["autodq_precision"], out["autodq_recall"], out["autodq"] = p, r, _f(p, r)
    if "cider" in metrics:
        out["cider"] = _mean(col("cider"))
        out["cider_documents"] = len(col("cider"))
    if "rouge" in metrics:
        out["rouge_l"] = _mean(col("rouge_l"))
        out["rouge_l_coco"] = _mean(col("rouge_l_coco"))
    for k in ("correctness", "detail", "context", "temporal", "consistency"):
        if col(k):
            out[k] = _mean(col(k))
    return out


def _id_order(i: str) -> tuple[int, int | str]:
    return (0, int(i)) if i.isascii() and i.isdigit() else (1, i)
