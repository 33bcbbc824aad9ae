"""Events: each clause of a caption read as one facial action (region, action, directions), and the cap.

Extraction follows the paper's rules (supplement Fig. 6): events are facial actions or motions — a state
at a moment ("her mouth is slightly open") counts as in the paper's own example, static appearance does
not; a clause whose subject is the camera, the scene or the video is not an event ("she smiles at the
camera" is), nor are bracketed inferences or "no obvious change"; pronouns are resolved to "the person";
at most 10 events, in caption order, atomic (one per clause).  "DON'T repeat same events": an action said to go
on ("continues to speak", "her mouth remains open") is the event said before, and one action read twice in a
sentence ("begins talking, his lips moving") is one event; "again" makes a new one.  Past the cap the prompt's
"a specific facial action or motion, NOT STATIC INFORMATION" decides: a face at rest, then other held states,
give way to movements before any is cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from fdacli.core.text.canonical import FAMILY, IMPLICIT_REGION, normalise
from fdacli.core.text.clauses import (_AGAIN, _CONTINUES, _DEGREE, _ENDING, _MEDIA, _MEDIA_WHEN, _NEGATION, _NO_CHANGE,
                                      _NOT_EVENTS, _POSSESSION, _SILENT, clauses, resolve)
from fdacli.core.text.lexicon import LEXICON
from fdacli.core.text.words import REGION_RE, WORDS, word_action
from fdacli.core.text.words import actions as find_actions, directions as find_directions, regions as find_regions

MAX_EVENTS = 10
_DYNAMIC = LEXICON.dynamic


@dataclass(frozen=True)
class Event:
    """One facial action: what a caption clause says a face part did."""

    text: str  # the clause, pronouns resolved, at most 10 words
    region: str  # one of REGIONS ("" when the grammar could not tell)
    action: str  # a key of ACTIONS ("other" when the grammar could not tell)
    directions: tuple[str, ...] = ()
    negated: bool = False
    degree: tuple[str, ...] = ()  # "slightly", "wide": shown in explanations, never decisive
    parsed: bool = True  # False: the grammar found a face part but not its action (the fallback decides)
    state: bool = False  # a configuration held at a moment ("her eyes are open"), not a movement: first to go past the cap
    part: str = field(default="", compare=False, repr=False)  # the part as named ("jaw" for a mouth that opens)

    @property
    def family(self) -> str:
        return FAMILY.get(self.region, self.region)

    def structure(self) -> str:
        """Human-readable form for explanations: ``mouth corners · raise · up``."""
        parts = [self.region or "?", ("not " if self.negated else "") + self.action]
        if self.directions:
            parts.append("+".join(self.directions))
        return " · ".join(parts) + (f" ({', '.join(self.degree)})" if self.degree else "") + ("" if self.parsed else " (fallback)")


_OWN_REGION = LEXICON.own_region
_LOOK_AT = re.compile(r"\b(?:look|gaz|star|glanc|peer|glar)\w* (?:\w+ )?(?:at|to|toward|towards|into|around|away|ahead|out|over|"
                      r"back|up|down|straight|directly|off|forward|downward|upward|sideways)\b")
_EYE_VERB = re.compile(r"(?:star|gaz|glanc|peer|peek|glar)")  # always the eyes ("she stares intently"), unlike "looks content"
_FROWN_WORD = re.compile(r"\b(?:frown|furrow|knit|scowl|glower)")
_VERBISH = re.compile(r" (?:\w+ly )?(?!(?:becomes|remains|stays|seems|appears|looks|is|are|was|were|has|have|as|and)\b)"
                      r"\w+(?:s|ed|ing|en)\b")  # right after the face part: "her brows knitting", "the head bobbed"
_COPULA = re.compile(r"\b(?:has|have|had|is|are|was|were|appears?|seems?|remains?|becomes?)\b")


@lru_cache(maxsize=65536)  # captions share clauses ("the person blinks", "looks forward"): four in ten repeat
def _event(clause: str, carried: str, looks: bool = False, past: bool = False) -> Event | None:
    """The clause's facial action, or None when it names none.  ``carried`` is the region of the sentence's
    previous event, for clauses that lost their subject to the split ("her mouth opens and closes"); ``past``
    says the caption narrates in the past tense, where "-ed" forms are movements, not held states."""
    if _NO_CHANGE.search(clause):
        return None
    if _SILENT.search(clause):  # "falls silent": speaking ends
        return Event(" ".join(resolve(clause).split()[:10]), "mouth", "speak", (), True)
    regions = find_regions(clause)
    acts = find_actions(clause, regions)
    stage = _NOT_EVENTS.search(clause) or _MEDIA.search(_MEDIA_WHEN.sub(lambda m: " " * len(m.group()), clause))
    if stage and (not acts or stage.start() < acts[0][0]):
        return None  # "the camera zooms in on her face", "the video focuses on ...": not the face acting
    dirs = find_directions(clause)
    text = " ".join(resolve(clause).split()[:10])
    degree = tuple(dict.fromkeys(m.group(0) for m in _DEGREE.finditer(clause)))
    if not acts and regions and not looks and (set(dirs) & {"up", "down"} or dirs and FAMILY.get(regions[0][2]) == "gaze"):
        acts = [(regions[0][1], "move")]  # "eyes slightly downward", "gaze forward": the part moves that way
    if not acts:
        if regions and _VERBISH.match(clause, regions[0][1]) and not _COPULA.search(clause):
            neg = bool(_NEGATION.search(clause))
            return Event(text, regions[0][2], "other", dirs, neg, degree, parsed=False)
        return None
    if acts[0][1] == "look" and not dirs and not regions and not _LOOK_AT.search(clause) and not _EYE_VERB.match(clause, acts[0][0]):
        acts = acts[1:]  # "she looks content": how she seems, not where she looks
        if not acts:
            return None
    shown = acts[0][1] == "show" and [a for a in acts[1:] if WORDS.match(clause, a[0]).group() in LEXICON.nominal]
    if shown:
        acts = shown  # "showing wrinkles between the eyebrows", "visible wrinkles on the forehead": what is shown, held
    if acts[0][1] == "show" and not regions:
        acts = acts[1:]  # "revealing the inner confusion": only a part can be shown
        if not acts:
            return None
    if len(acts) > 1 and acts[0][1] == "widen" and acts[1][1] in ("smile", "laugh") and clause.startswith("wide", acts[0][0]):
        acts = acts[1:]  # "bursts into a wide smile": the smile is the action, "wide" its degree
    if len(acts) > 1 and " into a" in clause and _INTO.search(clause, acts[0][0], acts[1][0] + 1):
        acts = acts[1:]  # "draws them into a tight pucker", "breaks into a smile": the result is the action
        if len(acts) > 1 and clause.startswith(("tight", "wide", "broad"), acts[0][0]):
            acts = acts[1:]  # "tight" is the pucker's degree
    if len(acts) > 1 and regions and acts[0][0] < regions[0][0] and (after := [a for a in acts if a[0] >= regions[0][1]]) \
            and WORDS.match(clause, after[0][0]).group() not in _ADJECTIVAL \
            and (WORDS.match(clause, acts[0][0]).group() in LEXICON.nominal or _ATTRIBUTIVE.match(clause[acts[0][0]:regions[0][0]])):
        acts = after  # "his furrowed brows relax", "the tension in her brows eases": the predicate is the action
        if len(acts) > 1 and " into a" in clause and _INTO.search(clause, acts[0][0], acts[1][0] + 1):
            acts = acts[1:]
    pos, action = acts[0]
    if action == "frown" and not regions and not _FROWN_WORD.search(clause):
        return None  # "three women sit together": "together" knits brows only when brows are named
    aperture = [a for a in acts[1:] if a[1] in ("open", "close", "widen", "narrow")]
    if action in ("lower", "stretch", "move") and aperture and (not regions or FAMILY.get(regions[0][2]) in ("mouth", "eyes")):
        pos, action = aperture[0]  # "her lips hang slightly apart", "the mouth stretched open": the state is the event
    # "stops speaking", "the smile fades", not "smiles without showing teeth"; "cannot stop smiling" is twice negated
    negated = (len(_NEGATION.findall(clause, 0, pos)) % 2 == 1) != bool(_ENDING.search(clause))
    if regions:
        start, end, region = min(regions, key=lambda r: (abs(r[0] - pos), r[0]))
        if _OBJECT.search(clause, min(pos, start), max(pos, start)):
            return None  # "raises her hand to her mouth": the hand moves, not the mouth
    elif action in _OWN_REGION:
        region = IMPLICIT_REGION[action]
    elif _cannot(carried, action) and "together" not in clause:  # brows that "come together" knit (below)
        if FAMILY.get(carried) not in _OPENS_WITH:
            return None  # "she tilts her head and opens | and closes her mouth": the head does not open; the part comes later
        region = _OPENS_WITH[FAMILY[carried]]  # "the corners ... then close tightly", "her eyes look down and then close"
    else:  # "then slowly relaxes it": the part the sentence was about
        region = carried or IMPLICIT_REGION.get(action, "")
    if action == "show" and len(acts) == 1 and region in ("head", "face", "body"):
        return None  # "only the back of his head remained visible": what the camera sees, not an action
    if not region or (region == "body" and action != "look" and _HAIR.search(clause)):
        return None  # "hair tied into a bundle hanging over her right shoulder": the hair, not the body
    if looks and regions and _ATTRIBUTIVE.match(clause[pos:regions[0][0]]):
        return None  # "slightly arched eyebrows" in a sentence about looks: a feature, not a movement
    if "together" in clause and action in ("stretch", "move", "frown", "press", "close"):  # brows that come together knit
        action = {"brows": "frown", "forehead": "frown"}.get(region, "close" if FAMILY.get(region) == "mouth" else action)
    named = region
    region, action, dirs = normalise(region, action, dirs, clause)
    if FAMILY.get(region) == "face" and action in ("relax", "tense") and _demeanour(clause, pos, regions):
        return None  # "she looks calm", "his face stays relaxed": how the person seems (the guide: pure emotion words)
    state = bool(shown) or _is_state(clause, pos, action, past)
    return Event(text, region, action, dirs, negated, degree, state=state, part=named)


def _cannot(carried: str, action: str) -> bool:
    """A part carried from the clause before that cannot do this action (only eyes and a mouth open and close)."""
    return bool(carried) and action in ("open", "close") and FAMILY.get(carried, carried) not in ("mouth", "eyes")


_OPENS_WITH = {"corners": "mouth", "gaze": "eyes"}  # a carried part whose opening and closing are another's
_BARE_VERB = re.compile(r"(?:(?:and|then|and then|but|before|after) )?(?:\w+ly )?(?:\w+ )?\w+$")  # "opens", "then slowly closes"


def _demeanour(clause: str, pos: int, regions: list[tuple[int, int, str]]) -> bool:
    """A word for how a whole face seems, not a verb the face does ("facial muscles tense", "the face relaxes")."""
    m = WORDS.match(clause, pos)
    if not m or m.group() not in LEXICON.demeanour:
        return False
    return not any(_RIGHT_AFTER.fullmatch(clause, end, pos) for _, end, _ in regions)


_RIGHT_AFTER = re.compile(r" (?:\w+ly )?")


# -- held states vs movements: the extraction prompt wants "a specific facial action or motion, NOT STATIC
# INFORMATION"; its own example still counts states, so states are kept but are the first to go past the cap
_HELD = re.compile(r"\b(?:is|are|was|were|remains?|remained|remaining|stays?|stayed|staying|still|"
                   r"appears?|appeared|seems?|seemed)\b")  # not "keeps": "her mouth keeps closing" repeats an action
_ADJECTIVAL = LEXICON.adjectival
_MOMENTARY = LEXICON.momentary


_OPEN_VERB = re.compile(r"\b(?:his|her|their|the|its) (?:\w+ )?(?:eyes|lips|eyelids|lids) (?:then |again |slowly |gradually |"
                        r"suddenly )?open\b")
_CHANGE = re.compile(r"\b(?:grows?|grew|becomes?|became|gets?|got|comes?|came|turns?|turned|go|goes|went|gone)\b")


def _is_state(clause: str, pos: int, action: str, past: bool) -> bool:
    """Whether the clause holds a configuration ("eyes wide open", "lips pursed", "with furrowed brows", "looking
    ahead") rather than moving a part.  Momentary actions (a blink, a nod, speech) are never states."""
    if action in _MOMENTARY:
        return False
    if clause.startswith("with ") or _HELD.search(clause):
        return True  # "her eyelids are drooping", "with furrowed brows", "her gaze remains fixed"
    m = WORDS.match(clause, pos)
    word = m.group() if m else ""
    if word in _ADJECTIVAL or word.split("-")[0] in ("half", "wide"):
        held = True
    elif word.endswith("ing") and pos == 0:
        held = action == "look" and word_action(word) not in ("move", "turn")  # "looking straight ahead" describes where
        # the eyes are; "shifting to the left", "returning to the right" move them
    else:
        held = word.endswith("ed") and not past  # "eyes slightly widened" in a present-tense caption
    return held and not _moved(clause, pos, word, past)


def _moved(clause: str, pos: int, word: str, past: bool) -> bool:
    """A state word that a verb before it turns into a movement (checked only for state words: the judge's
    hot path)."""
    if any((w.endswith("s") and not w.endswith("ss") or past and w.endswith("ed")) and word_action(w)
           for w in WORDS.findall(clause, 0, pos)):
        return True  # "her mouth stretches wide open", "her jaw dropped open"
    if _CHANGE.search(clause, 0, pos):
        return True  # "her eyes grow wide", "her lips come apart": a change, not a held state
    return word == "open" and bool(_OPEN_VERB.search(clause))  # "his eyes open wide": the verb


def _past(text: str) -> bool:
    """A caption told in the past tense: more "-ed" than "-s" action verbs ("opened", "raised" vs "opens")."""
    ed = s = 0
    for w in _TENSED.findall(text.lower()):
        if word_action(w) is not None:
            ed += w.endswith("ed")
            s += not w.endswith(("ed", "ss"))
    return ed > s


_TENSED = re.compile(r"\b[a-z]+(?:ed|s)\b")
_HAIR = re.compile(r"\b(?:hair|ponytail|braids?|bundle|bun|curls)\b")
_INTO = re.compile(r"\binto an? \b")
_ATTRIBUTIVE = re.compile(r"\w+(?:-\w+)*,? (?:and )?(?:\w+ly )?$")  # the action word, then the part: "arched eyebrows"
_OBJECT = re.compile(r"\b(?:hands?|fingers?|arms?|cup|glass|phone|tissue|hair|pen|microphone|mask)\b")


@lru_cache(maxsize=65536)
def parse(text: str) -> tuple[Event, ...]:
    """Every facial-action event of a text, in order, no limit (AutoDQ's entailment reads the whole text)."""
    events: list[Event] = []
    sentences: list[int] = []  # the sentence of each event, for the restatement rules of _append
    carried, sentence, pending, acting, gone_on, parts = "", -1, [], False, -1, []
    past = _past(text)
    for clause, k, looks, infers in clauses(text):
        if k != sentence:
            carried, sentence, pending, acting, parts = "", k, [], False, []
        looks = looks and not acting  # "a man with dark skin lifts his brows, lips slightly puckered": acting now
        ev = _event(clause, carried, looks, past)
        if ev is None or (infers and not REGION_RE.search(clause)):
            named = find_regions(clause)
            if ev is None and named and not looks:
                carried = named[-1][2]  # "her upper lids, | then rise a touch": the subject carries on
            if ev is None and not named and not looks and (acts := find_actions(clause, [])) \
                    and (not carried or _cannot(carried, acts[0][1]) and _BARE_VERB.fullmatch(clause)):
                pending.append(clause)  # "she opens | and closes her mouth": the part comes later (not "blond curls")
            bare = ev is None and not looks and len(named) == 1 and named[0][1] == len(clause)
            parts = parts + [clause] if bare and _DETERMINERS.fullmatch(clause, 0, named[0][0]) else []
            continue
        if looks and (ev.action not in _DYNAMIC or not ev.parsed or _POSSESSION.search(clause) or ev.region == "body"):
            continue  # "thick eyebrows", "clear forehead wrinkles", hair "hanging over her shoulders": how the person looks
        for early in pending:
            if (back := _event(early, ev.region, False, past)) is not None:
                _append(events, sentences, back, k, early)
        if parts and not ev.state and (first := find_regions(clause)) and _DETERMINERS.fullmatch(clause, 0, first[0][0]):
            for part in parts:  # "her cheeks, | mouth | and nose tremble": each part trembles (atomic events)
                if (own := _event(part + clause[first[0][1]:], "", False, past)) is not None and own.region:
                    _append(events, sentences, own, k, part)
        pending, parts = [], []
        if not ev.directions and _SAME_WAY.search(clause) and (led := _last_direction(events, sentences, k)):
            ev = replace(ev, directions=led)  # "her eyes follow suit", "turning the same way": the direction said before
        if _continues(clause) and _said(events, ev):
            carried, acting, gone_on = ev.region, True, k
            continue  # "she continues to speak", "her mouth remains open": the event said before, going on
        if gone_on == k and ev.action == "show" and clause.startswith(_SHOWING):
            continue  # "her mouth remains open, revealing teeth": what the same event showed
        gone_on = -1
        _append(events, sentences, ev, k, clause)
        carried, acting = _named(ev), True
    return tuple(events)


def _named(ev: Event) -> str:
    """The part a clause named for its event ("his jaw dropped": the jaw, read as the mouth opening), which the
    sentence's next clauses carry on ("before rising again": the jaw rises)."""
    return ev.part if FAMILY.get(ev.part) == ev.family else ev.region


_DETERMINERS = re.compile(r"(?:(?:both|the|her|his|their|its) )*")  # before a face part named alone: a subject
_SAME_WAY = re.compile(r"\b(?:(?:in )?the same (?:way|direction)|accordingly|follow(?:s|ed|ing)? suit|likewise)\b")


def _last_direction(events: list[Event], sentences: list[int], sentence: int) -> tuple[str, ...]:
    """The directions of the sentence's last event that has one."""
    for ev, k in zip(reversed(events), reversed(sentences)):
        if k != sentence:
            break
        if ev.directions:
            return ev.directions
    return ()


def _restates(last: Event, ev: Event) -> bool:
    """Two readings of one action ("begins talking, his lips moving", "the corners lift, a smile appears")."""
    fa, fb = LEXICON.meaning.get((last.family, last.action)), LEXICON.meaning.get((ev.family, ev.action))
    return bool(fa) and set(fa) == set(fb or ()) and last.negated == ev.negated and last.directions == ev.directions \
        and (last.family == ev.family or set(fa) == {("smile", 1)})


_SHOWING = ("revealing", "showing", "exposing", "baring", "with")


def _continues(clause: str) -> bool:
    """An action said to go on ("continues to speak", "still squinting"), not to happen again, the marker before
    the action ("opens her mouth to continue speaking" opens it)."""
    m = _CONTINUES.search(clause)
    return bool(m) and not _AGAIN.search(clause) and not find_actions(clause[:m.start()], [])


def _said(events: list[Event], ev: Event) -> bool:
    """Whether the caption said this action of this part before (the prompt: "DON'T repeat same events")."""
    return any((e.family, e.action, e.negated) == (ev.family, ev.action, ev.negated)
               and (not ev.directions or e.directions == ev.directions) for e in events)


def _append(events: list[Event], sentences: list[int], ev: Event, sentence: int, clause: str) -> None:
    """Add an event unless it only restates the one before it in the same sentence."""
    last, same_sentence = (events[-1], sentences[-1] == sentence) if events else (None, False)
    if same_sentence and ev.action == "show" and ev.family == "mouth" and last.family in ("mouth", "corners", "face") \
            and clause.startswith(("revealing", "showing", "exposing", "baring", "with")):
        return  # "her mouth opens slightly, revealing teeth" is one event (the paper's own example)
    if same_sentence and ((last.region, last.action, last.directions, last.negated) == (ev.region, ev.action, ev.directions, ev.negated)
                          or _restates(last, ev)) and not _AGAIN.search(clause) and not clause.startswith("then"):
        return  # "her mouth opens, opening wide", "begins talking, his lips moving": one event said twice
    events.append(ev)
    sentences.append(sentence)


def extract(text: str, limit: int = MAX_EVENTS) -> list[Event]:
    """The caption's events as the paper extracts them: at most ``limit``, in order, no repeats of one action
    back to back.  Past the cap, fallbacks go first, then held states, then the less clear movements, then repeats,
    each from the end (the prompt: "a specific facial action or motion, NOT STATIC INFORMATION", at most 10).  A
    movement repeats an earlier movement, not a held state ("her eyes widen" after "her eyes are slightly widened"
    is a change: labellers kept 76 % of those, 49 % of repeated movements); a held state repeats either."""
    events = list(parse(text))
    if len(events) <= limit:
        return events
    seen: set[tuple[str, str, bool]] = set()
    held: set[tuple[str, str, bool]] = set()
    repeats = []
    for ev in events:
        key = (ev.family, ev.action, ev.negated)
        repeats.append(key in seen or (ev.state and key in held))
        (held if ev.state else seen).add(key)
    keep = sorted(range(len(events)), key=lambda i: (_rank(events[i], repeats[i]), i))[:limit]
    return [events[i] for i in sorted(keep)]


def _rank(ev: Event, repeat: bool) -> tuple[bool, bool, bool, bool, bool, bool]:
    """Which events a long caption keeps first (measured against the labels, docs/benchmarks.md): the
    grammar's parses before fallbacks; what a part did before what it stopped or did not do (labellers kept
    none of those past the cap); a face at rest (eyes open, looking ahead, mouth closed: the most static
    information, dropped by the paper's own example) before other held states; movements before held states;
    the clear movements (opens, raises, turns, blinks, purses, ...) before the rest; an action's first mention
    before its repeats."""
    resting = ev.state and (ev.family, ev.action, ev.directions) in LEXICON.resting
    return (not ev.parsed, ev.negated, resting, ev.state, ev.action not in _DYNAMIC, repeat)

