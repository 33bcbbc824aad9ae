"""Words of a clause: its face parts, action words and directions, looked up in the lexicon (lexicon.py).

Why a module of its own: this is the part of the grammar that is pure vocabulary lookup, and the hot loop
of the judge.  One word is looked up once (a cached full match against every action form); the few phrases
("draw together") are searched for.  A single regex of every form run over every clause was nine tenths of
the judge's time.
"""

from __future__ import annotations

import re
from functools import lru_cache

from fdacli.core.text.lexicon import LEXICON

# -- region phrases, in the lexicon's order (one regex, so a clause is scanned once)
_REGION_WORDS = LEXICON.region_words
REGION_RE = re.compile(r"\b(?:" + "|".join(f"(?P<r{k}>{p})" for k, (p, _) in enumerate(_REGION_WORDS)) + r")\b")

# -- action words -> canonical action.  Forms are stems; ``_suffix`` matches their inflections.
_FORMS = sorted(((f, a) for a, fs in LEXICON.actions.items() for f in fs), key=lambda x: -len(x[0]))
_EXACT = LEXICON.whole_words


def _suffix(stem: str) -> str:
    """Inflections of a stem: -s, -es, -e, -d, -ed, -ing, and the doubled consonant of "nodded", "knitting"."""
    double = f"|{stem[-1]}(?:ing|ed)" if stem[-1] in "bdgmnprt" else ""
    return f"(?:e?[sd]|ing|es|ed|s|e{double})?"


def _alternation(forms: list[tuple[str, str]]) -> str:
    return "|".join(f"(?P<a{k}>{re.escape(f)}{'' if f in _EXACT else _suffix(f)})" for k, (f, _) in enumerate(forms))


# One word is looked up once (a cached full match); the few phrases ("draw together") are searched for.
# A single regex of every form run over every clause was nine tenths of the judge's time.
_WORD_FORMS = [x for x in _FORMS if " " not in x[0]]
_PHRASE_FORMS = [x for x in _FORMS if " " in x[0]]
_WORD_ACTION = re.compile(_alternation(_WORD_FORMS))
_PHRASE_ACTION = re.compile(r"\b(?:" + _alternation(_PHRASE_FORMS) + r")\b")
WORDS = re.compile(r"[a-z_]+(?:-[a-z_]+)*")
_NOT_BEFORE = LEXICON.not_before
_NOT_AFTER = LEXICON.not_after
_EXCEPTED = frozenset(_NOT_BEFORE) | frozenset(_NOT_AFTER)


def _not_here(clause: str, word: str, m: re.Match) -> bool:
    """A form that is no action where it stands: before the words of ``not_before``, after those of ``not_after``."""
    if clause.startswith(_NOT_BEFORE.get(word, "\0"), m.end()):
        return True
    before = clause[:m.start()].rsplit(None, 1)
    return bool(before) and before[-1] in _NOT_AFTER.get(word, ())

@lru_cache(maxsize=None)
def word_action(word: str) -> str | None:
    """The canonical action a single word is a form of ("furrowed" -> frown), or None."""
    m = _WORD_ACTION.fullmatch(word)
    return _WORD_FORMS[int(m.lastgroup[1:])][1] if m else None


_DIRS = LEXICON.direction_words
_DIR_RE = re.compile(r"\b(?:" + "|".join(f"(?P<d{k}>{p})" for k, (p, _) in enumerate(_DIRS)) + r")\b")


def regions(clause: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), _REGION_WORDS[int(m.lastgroup[1:])][1]) for m in REGION_RE.finditer(clause)]


def actions(clause: str, taken: list[tuple[int, int, str]]) -> list[tuple[int, str]]:
    """Action words in clause order, outside region phrases ("lower" in "lower lip" names a lip, not a movement)."""
    found = [(m.start(), m.end(), _PHRASE_FORMS[int(m.lastgroup[1:])][1]) for m in _PHRASE_ACTION.finditer(clause)]
    phrases = list(found)
    for m in WORDS.finditer(clause):
        word = m.group()
        if phrases and any(s <= m.start() < e for s, e, _ in phrases) or word in _EXCEPTED and _not_here(clause, word, m):
            continue  # "the front part of her brows", "the first part" name a place or a time, "as he goes on" a time
        action = word_action(word)
        if action:
            found.append((m.start(), m.end(), action))
        elif "-" in word:  # "wide-eyed", "half-smile": the parts
            at = m.start()
            for part in word.split("-"):
                if (a := word_action(part)) is not None:
                    found.append((at, at + len(part), a))
                at += len(part) + 1
    return [(start, a) for start, _, a in sorted(found) if not any(s <= start < e for s, e, _ in taken)]


_SIDED_PART = re.compile(r"\b(?<!upper-)(?<!lower-)(?<!top-)(?<!bottom-)(?<!to the )(?<!toward the )(?<!towards the )(?:left|right)(?= (?:eye|eyebrow|brow|corner|side|cheek|nostril|eyelid|lid|lip|ear|hand|shoulder|"
                         r"temple|half|one)s?\b)")


_LEFT_AS = re.compile(r"\bleft(?= (?:\w+ly )?(?:hanging|open|ajar|agape|apart|parted|half|wide|closed|shut|slack)\b)")  # "left hanging open": left as it was


def directions(clause: str) -> tuple[str, ...]:
    """Where the clause says the part moves.  "left" in "her left eye" names a part, not a direction; a clause
    going both ways ("looks left, then right") moves side to side."""
    found: list[str] = []
    for m in _DIR_RE.finditer(_LEFT_AS.sub("", _SIDED_PART.sub("", clause))):
        for d in _DIRS[int(m.lastgroup[1:])][1]:
            if d not in found:
                found.append(d)
    if "left" in found and "right" in found:
        found = [d for d in found if d not in ("left", "right")] + (["sides"] if "sides" not in found else [])
    if "up" in found and "down" in found:
        found = [d for d in found if d not in ("up", "down")]
    if "forward" in found and "back" in found:
        found = [d for d in found if d != "back"]  # "looks back at the camera": a return
    return tuple(found)

