"""The LLM judge: the supplement's prompts sent to any OpenAI-compatible endpoint."""

from __future__ import annotations

import re
from typing import Any

from fdacli import __version__
from fdacli.core.llm import prompts, replies
from fdacli.core.llm.client import LLMClient, ParseError, parse_structured
from fdacli.core.score.metrics.tem import NONE, OPPOSITE, SAME

MAX_EVENTS = 10


class LLMJudge:
    name = "openai"
    can_score = True

    def __init__(self, client: LLMClient) -> None:
        self.client = client
        self.model = client.cfg.model

    def provenance(self) -> dict[str, Any]:
        return {
            "judge": f"openai:{self.model}", **self.client.provenance(),
            "prompt_versions": {
                "events": prompts.EVENTS_VERSION, "relations": prompts.RELATIONS_VERSION,
                "entailment": prompts.ENTAILMENT_VERSION, "align": prompts.ALIGN_VERSION, "scores": prompts.SCORES_VERSION,
            },
            "reply_limits": replies.describe(),
            "tool_version": __version__,
        }

    # -- events
    def extract_events(self, texts: list[str]) -> list[list[str] | Exception]:
        return self.client.map(self._events, texts)

    def _events(self, text: str) -> list[str]:
        if not text.strip():
            return []  # an empty caption describes nothing

        def parse(reply: str) -> list[str]:
            value = parse_structured(reply)
            events = value.get("events") if isinstance(value, dict) else value
            if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
                raise ParseError("expected {'events': [str, ...]}")
            # the prompt forbids repeats; a grammar-bound small model still writes them
            return _distinct(events)[:MAX_EVENTS]

        return self.client.complete(prompts.event_extraction(text), purpose="events", prompt_version=prompts.EVENTS_VERSION,
                                    parse=parse, max_tokens=replies.budget("events"), schema=replies.events_schema(MAX_EVENTS))

    # -- relations
    def relations(self, pairs: list[tuple[list[str], list[str]]]) -> list[list[list[str]] | Exception]:
        return self.client.map(lambda p: self._relations(*p), pairs)

    def _relations(self, pred: list[str], ref: list[str]) -> list[list[str]]:
        if not pred or not ref:
            return [[NONE] * len(ref) for _ in pred]

        def parse(reply: str) -> list[list[str]]:
            value = parse_structured(reply)
            rows = value.get("event_pairs") if isinstance(value, dict) else value
            if not isinstance(rows, list):
                raise ParseError("expected {'event_pairs': [...]}")
            return _matrix(rows, pred, ref)

        return self.client.complete(
            prompts.event_relations(pred, ref), purpose="relations", prompt_version=prompts.RELATIONS_VERSION, parse=parse,
            max_tokens=replies.budget("relations", pred=len(pred), ref=len(ref)), schema=replies.relations_schema(pred, ref),
        )

    # -- AutoDQ
    def entailed(self, pairs: list[tuple[list[str], str]]) -> list[list[bool] | Exception]:
        return self.client.map(lambda p: self._entailed(*p), pairs)

    def _entailed(self, events: list[str], text: str) -> list[bool]:
        if not events:
            return []

        def parse(reply: str) -> list[bool]:
            value = parse_structured(reply)
            labels = value.get("labels") if isinstance(value, dict) else value
            if not isinstance(labels, list) or len(labels) != len(events):
                raise ParseError(f"expected {len(events)} labels")
            return [str(x).strip().lower().startswith("entail") for x in labels]

        return self.client.complete(
            prompts.entailment(events, text), purpose="entailment", prompt_version=prompts.ENTAILMENT_VERSION, parse=parse,
            max_tokens=replies.budget("entailment", events=len(events)), schema=replies.entailment_schema(len(events)),
        )

    # -- Video-ChatGPT-style scores
    def scores(self, items: list[tuple[str, str, str | None]]) -> list[dict[str, int] | Exception]:
        """(reference, prediction, optional second prediction) -> {criterion: 0..5}, after format alignment."""
        return self.client.map(lambda it: self._scores(*it), items)

    def _scores(self, reference: str, predicted: str, second: str | None) -> dict[str, int]:
        aligned = self.client.complete(
            prompts.format_alignment(reference, predicted), purpose="align", prompt_version=prompts.ALIGN_VERSION,
            max_tokens=replies.budget("align", chars=len(predicted)),
        ).strip()
        out = {}
        for crit in ("correctness", "detail", "context", "temporal"):
            out[crit] = self._score(prompts.judge_score(crit, reference, aligned))
        if second is not None:
            out["consistency"] = self._score(prompts.judge_score("consistency", reference, aligned, second))
        return out

    def _score(self, messages: list[dict]) -> int:
        def parse(reply: str) -> int:
            try:
                value = parse_structured(reply)
                score = value.get("score") if isinstance(value, dict) else None
            except ParseError:
                found = re.findall(r"\b([0-5])\b", reply)  # prose: the last number is the verdict
                score = int(found[-1]) if found else None
            if isinstance(score, str) and score.strip().isdigit():
                score = int(score.strip())
            if not isinstance(score, (int, float)) or isinstance(score, bool) or not 0 <= score <= 5:
                raise ParseError("expected {'score': 0..5}")
            return int(round(score))

        return self.client.complete(messages, purpose="score", prompt_version=prompts.SCORES_VERSION, parse=parse,
                                    max_tokens=replies.budget("score"), schema=replies.score_schema())


def _distinct(events: list[str]) -> list[str]:
    """Events in order without blanks or repeats (case-insensitive)."""
    seen: dict[str, str] = {}
    for e in events:
        seen.setdefault(e.strip().lower(), e.strip())
    return [e for k, e in seen.items() if k]


_LABELS = {"same meaning": SAME, "similar meaning": SAME, "same": SAME, "opposite meaning": OPPOSITE, "opposite": OPPOSITE,
           "no relation": NONE, "none": NONE, "unrelated": NONE, "no clear relation": NONE}


def _relation(label: Any) -> str:
    key = re.sub(r"[^a-z ]", "", str(label).lower()).strip()
    if key not in _LABELS:
        raise ParseError(f"unknown relationship {label!r}")
    return _LABELS[key]


def _norm(t: Any) -> str:
    return re.sub(r"^\s*\d+[.)]\s*", "", str(t)).strip().strip("'\"").lower()


def _pick(text: Any, events: list[str], used: set[int], position: int, by_position: bool) -> int | None:
    """The event a judge copied back: the first unused copy with that text; its position only when the
    judge listed exactly as many entries as there are events (so positions mean something)."""
    t = _norm(text)
    for i, e in enumerate(events):
        if i not in used and _norm(e) == t:
            return i
    if by_position and 0 <= position < len(events) and position not in used:
        return position
    return None


def _matrix(rows: list[Any], pred: list[str], ref: list[str]) -> list[list[str]]:
    """The judge's nested reply as a |pred| x |ref| matrix.

    Every predicted event must be answered for (else the reply is re-asked); reference events a row
    leaves out are No Relation, as in the supplement's example, which lists only the related ones.
    """
    m = [[NONE] * len(ref) for _ in pred]
    rows = [r for r in rows if isinstance(r, dict)]
    used_rows: set[int] = set()
    for i, row in enumerate(rows):
        pi = _pick(row.get("pred_event", ""), pred, used_rows, i, len(rows) == len(pred))
        if pi is None:
            raise ParseError(f"cannot place predicted event {str(row.get('pred_event'))[:60]!r}")
        used_rows.add(pi)
        gts = [g for g in (row.get("gt_events") or []) if isinstance(g, dict)]
        used_cols: set[int] = set()
        for j, g in enumerate(gts):
            gj = _pick(g.get("gt_event", ""), ref, used_cols, j, len(gts) == len(ref))
            if gj is None:
                raise ParseError(f"cannot place reference event {str(g.get('gt_event'))[:60]!r}")
            used_cols.add(gj)
            m[pi][gj] = _relation(g.get("relationship", ""))
    if len(used_rows) != len(pred):
        raise ParseError(f"the judge answered for {len(used_rows)} of {len(pred)} predicted events")
    return m
