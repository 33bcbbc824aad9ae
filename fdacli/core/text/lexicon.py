"""The grammar's vocabulary, read from a versioned data file the package ships (fdacli/data/grammar/).

Why data and not code: the word lists grow with every caption style the judge meets ("draws taut",
"heavy-lidded", "swivels"), and a synonym is a fact about English, not about the parser.  Keeping them in
one checked file means a new synonym is a one-line change with a test, the grammar version is the file's
version (recorded in every score file), and the parser (core/text/events.py) never has to be touched.

The loader checks the file before anything uses it, so a slip stops with the file and the entry at fault
instead of silently changing scores: every name refers to a declared region, action, family or direction,
every pattern compiles, signs are +1 or -1, and no form belongs to two actions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

DEFAULT = "lexicon-v5.json"
_VERSION = re.compile(r"^grammar-v\d+(?:\.\d+)?$")

Pair = tuple[str, str]  # (family or region, action)


class LexiconError(ValueError):
    """The lexicon file is missing, malformed or inconsistent; the message names the file and the entry."""


@dataclass(frozen=True)
class Lexicon:
    """Every word list and relation table of the grammar, checked (``load_lexicon``)."""

    version: str
    regions: tuple[str, ...]
    directions: tuple[str, ...]
    region_words: tuple[tuple[str, str], ...]  # (pattern, region), tried in order
    actions: dict[str, tuple[str, ...]]  # canonical action -> stems
    whole_words: frozenset[str]  # forms matched only as written ("part", "rose")
    direction_words: tuple[tuple[str, tuple[str, ...]], ...]  # (pattern, directions)
    opposite_direction: dict[str, str]
    implicit_region: dict[str, str]  # "she smiles": the face
    own_region: frozenset[str]  # actions that name their part even when the clause names none
    part_of: dict[str, tuple[str, frozenset[str]]]  # action -> (the region it moves to, the families that can do it)
    family: dict[str, str]  # region -> family (eyelids act for the eyes)
    meaning: dict[Pair, tuple[tuple[str, int], ...]]  # (family, action) -> (axis, sign) features
    directional: frozenset[Pair]  # compared by direction
    negative_valence: frozenset[Pair]  # knitted brows, a downturned mouth
    head_pose: frozenset[str]
    aperture: frozenset[str]  # what a gaze cannot do and the eyes can
    dynamic: frozenset[str]  # clear movements, kept first past the cap
    momentary: frozenset[str]  # never a held state
    adjectival: frozenset[str]  # forms that describe a state ("ajar", "wide")
    resting: frozenset[tuple[str, str, tuple[str, ...]]]  # (family, action, directions) of a face at rest: first to go
    nominal: frozenset[str]  # forms that name a state as a noun ("the tension in his brows eases"): the verb decides
    demeanour: frozenset[str]  # how a whole face seems ("calm", "relaxed"): an emotion word, not a facial action
    not_before: dict[str, tuple[str, ...]]  # a form that is no action when these words follow ("part of", "goes on")
    not_after: dict[str, frozenset[str]]  # a form that is no action after these words ("the first part")


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """The lexicon at ``path``, or the one the package ships; ``LexiconError`` names what is wrong."""
    where = str(path) if path is not None else f"fdacli/data/grammar/{DEFAULT}"
    try:
        text = Path(path).read_text(encoding="utf-8") if path is not None else \
            resources.files("fdacli").joinpath("data", "grammar", DEFAULT).read_text(encoding="utf-8")
        raw = json.loads(text)
    except (OSError, json.JSONDecodeError) as exc:
        raise LexiconError(f"{where}: cannot read the lexicon ({exc})") from None
    if not isinstance(raw, dict):
        raise LexiconError(f"{where}: the lexicon must be a JSON object")
    return _build(raw, _Check(where))


class _Check:
    """Raises ``LexiconError`` with the file and the entry; keeps ``_build`` readable."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, key: str, why: str) -> LexiconError:
        return LexiconError(f"{self.where}: {key}: {why}")

    def get(self, raw: dict, key: str, kind: type) -> Any:
        if key not in raw:
            raise self.fail(key, "missing")
        if not isinstance(raw[key], kind):
            raise self.fail(key, f"must be a JSON {'object' if kind is dict else 'list' if kind is list else 'string'}")
        return raw[key]

    def names(self, key: str, values: Any, allowed: set[str] | None = None) -> list[str]:
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            raise self.fail(key, "must be a list of non-empty strings")
        if allowed is not None and (bad := sorted(set(values) - allowed)):
            raise self.fail(key, f"unknown name(s) {', '.join(bad)}")
        return values

    def pattern(self, key: str, p: Any) -> str:
        try:
            re.compile(p)
        except (re.error, TypeError) as exc:
            raise self.fail(key, f"pattern {p!r} does not compile ({exc})") from None
        return p

    def pair(self, key: str, text: str, families: set[str], actions: set[str]) -> Pair:
        *fam, action = text.split(" ")
        family = " ".join(fam)
        if family not in families or action not in actions:
            raise self.fail(key, f"{text!r} is not 'FAMILY ACTION' of declared names")
        return family, action


def _build(raw: dict, c: _Check) -> Lexicon:
    version = c.get(raw, "version", str)
    if not _VERSION.match(version):
        raise c.fail("version", f"{version!r} is not grammar-vN")
    regions = c.names("regions", c.get(raw, "regions", list))
    directions = c.names("directions", c.get(raw, "directions", list))
    region_set, dir_set = set(regions), set(directions)
    actions = _actions(c.get(raw, "actions", dict), c)
    action_set = set(actions) | {"other"}
    family = c.get(raw, "family", dict)
    if missing := sorted(region_set - set(family)):
        raise c.fail("family", f"no family for region(s) {', '.join(missing)}")
    families = set(family.values())
    meaning = {}
    for text, feats in c.get(raw, "meaning", dict).items():
        if not isinstance(feats, list) or not all(isinstance(f, list) and len(f) == 2 and isinstance(f[0], str)
                                                  and f[1] in (1, -1) for f in feats):
            raise c.fail(f"meaning[{text!r}]", "must be a list of [axis, +1 or -1]")
        meaning[c.pair("meaning", text, families, action_set)] = tuple((a, s) for a, s in feats)
    implicit = c.get(raw, "implicit_region", dict)
    if bad := sorted(a for a, r in implicit.items() if a not in action_set or r not in region_set):
        raise c.fail("implicit_region", f"undeclared action or region at {', '.join(bad)}")
    part_of = {}
    for a, v in c.get(raw, "part_of", dict).items():
        if not (a in action_set and isinstance(v, list) and len(v) == 2 and v[0] in region_set):
            raise c.fail(f"part_of[{a!r}]", "must be a declared action: [region it moves to, [families that can do it]]")
        part_of[a] = (v[0], frozenset(c.names(f"part_of[{a!r}]", v[1], families)))
    opposite = c.get(raw, "opposite_direction", dict)
    if bad := sorted(k for k, v in opposite.items() if k not in dir_set or v not in dir_set):
        raise c.fail("opposite_direction", f"undeclared direction at {', '.join(bad)}")
    sets = {k: frozenset(c.names(k, c.get(raw, k, list), action_set))
            for k in ("own_region", "head_pose", "aperture", "dynamic", "momentary")}
    return Lexicon(
        version=version, regions=tuple(regions), directions=tuple(directions),
        region_words=tuple(_region_words(c.get(raw, "region_words", list), region_set, c)),
        actions=actions, whole_words=frozenset(c.names("whole_words", c.get(raw, "whole_words", list))),
        direction_words=tuple(_direction_words(c.get(raw, "direction_words", list), dir_set, c)),
        opposite_direction=dict(opposite), implicit_region=dict(implicit), part_of=part_of, family=dict(family),
        meaning=meaning,
        directional=frozenset(c.pair("directional", t, families, action_set) for t in c.names("directional", c.get(raw, "directional", list))),
        negative_valence=frozenset(c.pair("negative_valence", t, families, action_set)
                                   for t in c.names("negative_valence", c.get(raw, "negative_valence", list))),
        adjectival=frozenset(c.names("adjectival", c.get(raw, "adjectival", list))),
        resting=frozenset(_resting(c.names("resting", c.get(raw, "resting", list)), families, action_set, dir_set, c)),
        nominal=frozenset(c.names("nominal", c.get(raw, "nominal", list))),
        demeanour=frozenset(c.names("demeanour", c.get(raw, "demeanour", list))),
        not_before=_not_before(c.get(raw, "not_before", dict), c),
        not_after={w: frozenset(c.names(f"not_after[{w!r}]", v)) for w, v in c.get(raw, "not_after", dict).items()}, **sets,
    )


def _resting(rows: list[str], families: set[str], actions: set[str], directions: set[str], c: _Check):
    for row in rows:
        words = row.split(" ")
        k = next((i for i, w in enumerate(words) if w in actions and " ".join(words[:i]) in families), None)
        if k is None or not set(words[k + 1:]) <= directions:
            raise c.fail("resting", f"{row!r} is not 'FAMILY ACTION [DIRECTION ...]' of declared names")
        yield " ".join(words[:k]), words[k], tuple(words[k + 1:])


def _not_before(raw: dict, c: _Check) -> dict[str, tuple[str, ...]]:
    out = {}
    for word, after in raw.items():
        if not all(isinstance(a, str) and a.startswith(" ") and a.strip() for a in c.names(f"not_before[{word!r}]", after)):
            raise c.fail(f"not_before[{word!r}]", "each entry must be the words that follow, starting with a space")
        out[word] = tuple(after)
    return out


def _actions(raw: dict, c: _Check) -> dict[str, tuple[str, ...]]:
    owner: dict[str, str] = {}
    out = {}
    for action, forms in raw.items():
        c.names(f"actions[{action!r}]", forms)
        for f in forms:
            if f != f.lower() or f.strip() != f:
                raise c.fail(f"actions[{action!r}]", f"form {f!r} must be lower case without outer spaces")
            if f in owner:
                raise c.fail(f"actions[{action!r}]", f"form {f!r} is already a form of {owner[f]!r}")
            owner[f] = action
        out[action] = tuple(forms)
    return out


def _region_words(rows: list, regions: set[str], c: _Check) -> list[tuple[str, str]]:
    out = []
    for k, row in enumerate(rows):
        if not (isinstance(row, list) and len(row) == 2 and row[1] in regions):
            raise c.fail(f"region_words[{k}]", "must be [pattern, declared region]")
        out.append((c.pattern(f"region_words[{k}]", row[0]), row[1]))
    return out


def _direction_words(rows: list, directions: set[str], c: _Check) -> list[tuple[str, tuple[str, ...]]]:
    out = []
    for k, row in enumerate(rows):
        if not (isinstance(row, list) and len(row) == 2 and isinstance(row[1], list) and row[1] and set(row[1]) <= directions):
            raise c.fail(f"direction_words[{k}]", "must be [pattern, [declared direction, ...]]")
        out.append((c.pattern(f"direction_words[{k}]", row[0]), tuple(row[1])))
    return out


LEXICON = load_lexicon()
