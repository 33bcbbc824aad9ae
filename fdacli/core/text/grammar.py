"""A grammar of facial actions: captions parsed into events of (face region, action, direction).

Why a grammar and not sentence similarity: the relations TEM needs (paper supplement Fig. 7) are about
what a face part did — "the corners of her mouth lift" and "she smiles" are one action in other words,
"looks left" and "looks right" are opposites, "raises his brows" and "raises his head" are unrelated.
Embeddings see shared words, not shared actions.  Parsing each clause into a region, a canonical action
and a direction set makes those verdicts explicit, deterministic and explainable, with no model at all.

This module is the grammar's public face; the work is split along its seams:
  * lexicon.py   — the vocabulary, a versioned data file (fdacli/data/grammar/lexicon-v5.json), checked;
  * words.py     — a clause's face parts, action words and directions, looked up in the lexicon;
  * clauses.py   — sentences and clauses, appearance and inference sentences, pronouns;
  * canonical.py — one action put in the region and form its paraphrases share;
  * events.py    — each clause as one event, the paper's extraction rules and the cap of 10;
  * relations.py — Same / Opposite / No Relation between two events, with the reason.

The grammar's version is the lexicon file's.  The same vocabulary (``REGIONS``, ``ACTIONS``, ``DIRECTIONS``)
is meant for measured events, so that what a landmark timeline saw and what a caption says can be compared.
"""

from __future__ import annotations

from fdacli.core.text.canonical import FAMILY, IMPLICIT_REGION, normalise
from fdacli.core.text.clauses import clauses
from fdacli.core.text.events import MAX_EVENTS, Event, _event, extract, parse
from fdacli.core.text.lexicon import LEXICON, Lexicon, LexiconError, load_lexicon
from fdacli.core.text.relations import DIRECTIONAL, MEANING, features, relation, valence
from fdacli.core.text.words import word_action

VERSION = LEXICON.version
REGIONS = LEXICON.regions
DIRECTIONS = LEXICON.directions
ACTIONS = LEXICON.actions


def caches_clear() -> None:
    """Forget every parse and word lookup (benchmarks time the judge cold)."""
    parse.cache_clear()
    _event.cache_clear()
    word_action.cache_clear()


__all__ = [
    "ACTIONS", "DIRECTIONAL", "DIRECTIONS", "FAMILY", "IMPLICIT_REGION", "LEXICON", "MAX_EVENTS", "MEANING", "REGIONS",
    "VERSION", "Event", "Lexicon", "LexiconError", "caches_clear", "clauses", "extract", "features", "load_lexicon",
    "normalise", "parse", "relation", "valence", "word_action",
]
