"""What each kind of request may answer: how long (a token budget) and, for judge calls, in what shape
(a JSON schema sent as ``response_format``).

Why budgets: without ``max_tokens`` a small open model rambles for a thousand tokens and more, and every
request runs into the timeout.  Each budget is sized from the reply the task asks for, counted the way
an open model writes JSON (indented, one item a line), with room to spare; a reply that still runs out
is asked once more with twice the room, then fails its sample with the reason (core/llm/client.py).

Why schemas: a grammar-constrained reply is always the structure asked for, so the tolerant parser is a
fallback for endpoints that refuse ``response_format``, not the main path.  The schemas say exactly what
the supplement's prompts ask for and no more: the same question, a reply that cannot be malformed.
They keep to what OpenAI's strict mode, vLLM, llama.cpp and Ollama all accept (``additionalProperties:
false``, every property required, enums, min/maxItems).
"""

from __future__ import annotations

from typing import Any

# the supplement's three relation classes, as the judge is asked to name them
RELATION_LABELS = ("Same Meaning", "Opposite Meaning", "No Relation")
ENTAILMENT_LABELS = ("entailment", "contradiction", "neutral")

# tokens per task; relations, entailment and alignment grow with what they are given (see ``budget``)
BUDGETS: dict[str, int] = {
    "events": 384,        # ten short sentences as a JSON list
    "relations": 64,      # + 24 per predicted event + 32 per (pred, ref) pair
    "entailment": 32,     # + 8 per event
    "align": 64,          # + one token per two characters of the prediction
    "score": 48,          # {"score": N}, with room for a short preamble on prompt-only endpoints
    "preannotate": 1024,  # a paragraph: the paper's drafts run 150-300 words
}  # captions through an endpoint take caption's --max-new-tokens, the limit of both its backends


def budget(task: str, *, pred: int = 0, ref: int = 0, events: int = 0, chars: int = 0) -> int:
    """The first token budget for one request of ``task``."""
    base = BUDGETS[task]
    if task == "relations":
        return base + pred * (24 + 32 * ref)
    if task == "entailment":
        return base + 8 * events
    if task == "align":
        return base + chars // 2
    return base


JUDGE_TASKS = ("events", "relations", "entailment", "align", "score")  # fda score's LLM judge


def describe() -> dict[str, str]:
    """The budgets as rules, for a score file's provenance."""
    return {"events": str(BUDGETS["events"]), "relations": "64 + 24/pred event + 32/pair",
            "entailment": "32 + 8/event", "align": "64 + chars/2", "score": str(BUDGETS["score"])}


def _object(name: str, props: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "schema": {"type": "object", "properties": props, "required": list(props),
                                     "additionalProperties": False}}


def events_schema(max_events: int) -> dict[str, Any]:
    return _object("events", {"events": {"type": "array", "items": {"type": "string"}, "maxItems": max_events}})


def relations_schema(pred: list[str], ref: list[str]) -> dict[str, Any]:
    """One row per predicted event, one entry per reference event in it; the copied events are enums of
    the lists given, so every row and entry can be placed."""
    entry = {"type": "object", "properties": {"gt_event": {"type": "string", "enum": _unique(ref)},
                                              "relationship": {"type": "string", "enum": list(RELATION_LABELS)}},
             "required": ["gt_event", "relationship"], "additionalProperties": False}
    row = {"type": "object", "properties": {"pred_event": {"type": "string", "enum": _unique(pred)},
                                            "gt_events": {"type": "array", "items": entry,
                                                          "minItems": len(ref), "maxItems": len(ref)}},
           "required": ["pred_event", "gt_events"], "additionalProperties": False}
    return _object("event_pairs", {"event_pairs": {"type": "array", "items": row, "minItems": len(pred), "maxItems": len(pred)}})


def entailment_schema(n: int) -> dict[str, Any]:
    return _object("labels", {"labels": {"type": "array", "items": {"type": "string", "enum": list(ENTAILMENT_LABELS)},
                                         "minItems": n, "maxItems": n}})


def score_schema() -> dict[str, Any]:
    return _object("score", {"score": {"type": "integer", "enum": [0, 1, 2, 3, 4, 5]}})


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
