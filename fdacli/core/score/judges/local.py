"""The local judge: TEM and AutoDQ offline, decided by the grammar of facial actions (core/text/grammar.py).

Events are the grammar's parse of each caption (at most 10, in order, the paper's extraction rules).
Relations come from the structure — the same action of one face part (paraphrases included: "the
corners of her mouth lift" / "she smiles") is Same Meaning, an antonymous action or an opposite
direction of one part is Opposite Meaning (and so is a smile against knitted brows: expressions of
opposite valence), different parts are otherwise No Relation.  AutoDQ's entailment asks
whether any event of the whole other text is the same action.  A clause naming a face part whose action
the grammar cannot read falls back to word overlap, and the share of such events is reported.

No model, no torch, no network: the same captions get the same scores on every machine, and every
verdict carries its reason (``explain``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fdacli import __version__
from fdacli.core.score.metrics.tem import NONE
from fdacli.core.text import grammar
from fdacli.core.text.grammar import Event


class EventText(str):
    """An event as the score file shows it (its clause), carrying its parse so relations need no re-parse."""

    event: Event

    def __new__(cls, event: Event) -> EventText:
        obj = super().__new__(cls, event.text)
        obj.event = event
        return obj

    def __reduce__(self):  # copies and pickles keep the parse
        return (EventText, (self.event,))


def as_event(e: str) -> Event:
    """The parse behind an event string: its own when it came from this judge, else the string parsed alone
    (its first event: an event string is one action)."""
    ev = getattr(e, "event", None)
    if ev is not None:
        return ev
    parsed = grammar.parse(e)
    return parsed[0] if parsed else Event(e, "", "other", parsed=False)


def _key(ev: Event) -> tuple:
    return (ev.region, ev.action, ev.directions, ev.negated, ev.parsed, "" if ev.parsed else ev.text)


@lru_cache(maxsize=262144)
def _relation(ka: tuple, kb: tuple) -> tuple[str, str]:
    a = Event(ka[5], ka[0], ka[1], ka[2], ka[3], (), ka[4])
    b = Event(kb[5], kb[0], kb[1], kb[2], kb[3], (), kb[4])
    return grammar.relation(a, b)


def relation(a: Event, b: Event) -> tuple[str, str]:
    """The grammar's verdict and its reason, memoised on the events' structure (captions repeat actions)."""
    return _relation(_key(a), _key(b))


def caches_clear() -> None:
    """Forget every parse and verdict (benchmarks time the judge cold)."""
    grammar.caches_clear()
    _relation.cache_clear()


class LocalJudge:
    name = "local"
    can_score = False

    def provenance(self) -> dict[str, Any]:
        return {
            "judge": "local", "model": f"fda facial-action grammar ({grammar.VERSION})", "grammar_version": grammar.VERSION,
            "fallback": "word overlap (Dice >= 0.5) for face-part clauses the grammar cannot read",
            "endpoint_host": None, "temperature": None, "prompt_versions": {"local": grammar.VERSION}, "tool_version": __version__,
        }

    def extract_events(self, texts: list[str]) -> list[list[str]]:
        return [[EventText(e) for e in grammar.extract(t)] for t in texts]

    def relations(self, pairs: list[tuple[list[str], list[str]]]) -> list[list[list[str]]]:
        out = []
        for pred, ref in pairs:
            pe, re_ = [as_event(e) for e in pred], [as_event(e) for e in ref]
            out.append([[relation(p, r)[0] for r in re_] for p in pe] if pe and re_ else [[NONE] * len(ref) for _ in pred])
        return out

    def entailed(self, pairs: list[tuple[list[str], str]]) -> list[list[bool]]:
        """An event is entailed by a text when the text says the same action anywhere (all its events, no limit)."""
        out = []
        for events, text in pairs:
            said = grammar.parse(text)
            out.append([any(relation(as_event(e), t)[0] == "same" for t in said) for e in events])
        return out

    # -- explanations (fda score --explain)
    def describe(self, e: str) -> str:
        return as_event(e).structure()

    def is_fallback(self, e: str) -> bool:
        return not as_event(e).parsed

    def reason(self, a: str, b: str) -> str:
        return relation(as_event(a), as_event(b))[1]
