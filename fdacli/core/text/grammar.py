"""A grammar of facial actions: captions parsed into events of (face region, action, direction).

Why a grammar and not sentence similarity: the relations TEM needs (paper supplement Fig. 7) are about
what a face part did — "the corners of her mouth lift" and "she smiles" are one action in other words,
"looks left" and "looks right" are opposites, "raises his brows" and "raises his head" are unrelated.
Embeddings see shared words, not shared actions.  Parsing each clause into a region, a canonical action
and a direction set makes those verdicts explicit, deterministic and explainable, with no model at all.

Extraction follows the paper's rules (supplement Fig. 6): events are facial actions or motions — a state
at a moment ("her mouth is slightly open") counts as in the paper's own example, static appearance does
not; a clause whose subject is the camera, the scene or the video is not an event ("she smiles at the
camera" is), nor are bracketed inferences or "no obvious change"; pronouns are resolved to "the person";
at most 10 events, in caption order, atomic (one per clause).

The same vocabulary (``REGIONS``, ``ACTIONS``, ``DIRECTIONS``) is meant for measured events, so that what
a landmark timeline saw and what a caption says can be compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

VERSION = "grammar-v1"
MAX_EVENTS = 10

REGIONS = ("gaze", "eyeballs", "eyelids", "eyes", "brows", "forehead", "nose", "cheeks", "mouth", "lips",
           "mouth corners", "teeth", "jaw", "chin", "head", "face", "body")
DIRECTIONS = ("left", "right", "up", "down", "forward", "back", "sides")

# -- region phrases, longest first (one regex, so a clause is scanned once)
_REGION_WORDS: list[tuple[str, str]] = [
    (r"(?:(?:left |right |one )?(?:corners?|sides?) of (?:the |his |her |their |its |\w+ )?(?:mouth|lips))|"
     r"(?:left |right )?(?:mouth|lip) corners?", "mouth corners"),
    (r"eye ?balls?|pupils?|irises|iris", "eyeballs"),
    (r"(?:upper |lower )?(?:eye ?)?lids?", "eyelids"),
    (r"eye ?brows?|brows?|glabella", "brows"),
    (r"gaze|eyesight|line of sight|(?:(?<=\ba )|(?<=\bhis )|(?<=\bher )|(?<=\btheir ))look", "gaze"),  # "her look", not "they look"
    (r"eye[sd]?|eye sockets?", "eyes"),
    (r"forehead", "forehead"),
    (r"nose|nostrils?", "nose"),
    (r"cheeks?|cheekbones?", "cheeks"),
    (r"(?:upper |lower )?lips?", "lips"),
    (r"mouth", "mouth"),
    (r"(?:upper |lower |front )?(?:teeth|tooth)|tongue", "teeth"),
    (r"jaw|jawline", "jaw"),
    (r"chin", "chin"),
    (r"head|neck", "head"),
    (r"face|facial (?:muscles|expression)s?|expressions?|features|muscles", "face"),
    (r"shoulders?|body", "body"),
]
_REGION_RE = re.compile(r"\b(?:" + "|".join(f"(?P<r{k}>{p})" for k, (p, _) in enumerate(_REGION_WORDS)) + r")\b")

# -- action words -> canonical action.  Forms are listed as stems; ``_ACTION_RE`` matches inflections.
ACTIONS: dict[str, tuple[str, ...]] = {
    "open": ("open", "opened", "opening", "opens", "part", "parts", "parted", "parting", "ajar", "apart", "separat"),
    "close": ("close", "closes", "closed", "closing", "shut", "come together", "comes together", "came together",
              "coming together", "brought together"),
    "raise": ("rais", "lift", "elevat", "arch", "upturn", "perk", "hitch", "rise", "rises", "rising", "rose", "risen"),
    "lower": ("lower", "drop", "droop", "sag", "downturn", "bow", "sink", "sank", "dip", "fall", "fell", "hang", "hung", "duck"),
    "widen": ("widen", "wide", "wider", "bulg", "pop"),
    "narrow": ("narrow", "squint", "half-clos", "half-open", "half-shut", "semi-clos", "half clos", "half open", "heavy-lidded",
               "heavy lids", "hooded"),
    "blink": ("blink", "wink", "flutter"),
    "smile": ("smil", "grin", "beam", "smirk"),
    "frown": ("frown", "furrow", "knit", "scowl", "creas", "together", "draw together", "drawn together", "drew together", "draws together", "pinch", "glower", "knot"),
    "press": ("press", "tighten", "tight", "compress", "clamp", "seal", "clench", "squeez", "purs"),
    "pout": ("pout", "pucker", "push"),
    "stretch": ("stretch", "pull", "retract", "spread", "extend", "tug", "draw back", "drawn back", "drew", "draw"),
    "relax": ("relax", "loosen", "soften", "eas", "calm", "neutral", "returns to normal", "return to normal",
              "returns to a natural", "return to a natural", "returns to a neutral", "return to a neutral", "returns to neutral",
              "returns to its natural", "returned to normal", "returned to a natural"),
    "tense": ("tens", "stiffen", "strain", "rigid", "contort", "tension", "taut"),
    "turn": ("turn", "rotat", "swivel", "twist", "swung", "swing"),
    "tilt": ("tilt", "cock", "lean", "slant", "inclin", "tip", "angl"),
    "nod": ("nod", "up_and_down"),
    "shake": ("shak", "shook", "side to side", "side_to_side", "wobbl"),
    "look": ("look", "gaz", "glanc", "stare", "staring", "peer", "peek", "focus", "fix", "avert", "watch", "glar", "direct"),
    "speak": ("speak", "spoke", "talk", "say", "says", "said", "utter", "chat", "sing", "whisper", "mutter", "murmur", "mouth word",
              "convers", "explain", "shout", "yell", "scream", "argu", "answer", "respond", "mumbl"),
    "show": ("reveal", "show", "expos", "bare", "visibl"),
    "bite": ("bite", "bites", "biting", "chew", "gnaw"),
    "lick": ("lick",),
    "wrinkle": ("wrinkl", "crinkl", "scrunch", "lines", "folds"),
    "flare": ("flar", "dilat"),
    "tremble": ("trembl", "quiver", "twitch", "shiver", "shudder", "jitter", "flicker", "spasm"),
    "sway": ("sway", "bob", "rock", "wiggl"),
    "move": ("mov", "shift", "curv", "curl", "edg", "creep", "crept", "go", "goes", "went", "going", "shot", "shoot",
             "climb", "settl", "jut", "roll", "drift", "dart", "wander", "travel", "motion", "adjust", "change direction", "swept"),
    "cry": ("cry", "cries", "cried", "crying", "sob", "weep", "tear", "wail"),
    "laugh": ("laugh", "giggl", "chuckl"),
    "puff": ("puff", "inflat", "blow"),
    "swallow": ("swallow", "gulp"),
}
_FORMS = sorted(((f, a) for a, fs in ACTIONS.items() for f in fs), key=lambda x: -len(x[0]))
_EXACT = {"part", "ajar", "apart", "rise", "rises", "rising", "rose", "risen", "sank", "fell", "hung",
          "neutral", "lines", "folds", "said", "cry", "cries", "cried", "crying", "wide", "wider", "shot", "go", "goes",
          "tight", "open", "opens", "opened", "opening", "close", "closes", "closed", "closing", "bite", "biting",
          "staring"}


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
_WORDS = re.compile(r"[a-z_]+(?:-[a-z_]+)*")


@lru_cache(maxsize=None)
def _word_action(word: str) -> str | None:
    m = _WORD_ACTION.fullmatch(word)
    return _WORD_FORMS[int(m.lastgroup[1:])][1] if m else None

_DIRS: list[tuple[str, tuple[str, ...]]] = [
    (r"(?:to the |towards? the )?(?:lower|bottom)[ -]left", ("down", "left")),
    (r"(?:to the |towards? the )?(?:lower|bottom)[ -]right", ("down", "right")),
    (r"(?:to the |towards? the )?(?:upper|top)[ -]left", ("up", "left")),
    (r"(?:to the |towards? the )?(?:upper|top)[ -]right", ("up", "right")),
    (r"(?:from )?side[ _-]to[ _-]side|left and right|right and left|back and forth|both sides|sideways|the sides|to the side", ("sides",)),
    (r"left(?:wards?)?", ("left",)),
    (r"right(?:wards?)?", ("right",)),
    (r"up(?:wards?)?|skyward|ceiling|above", ("up",)),
    (r"down(?:wards?)?|floor|ground|below|beneath", ("down",)),
    (r"forwards?|ahead|straight|front|camera|lens|viewer|directly", ("forward",)),
    (r"backwards?|back", ("back",)),
]
_DIR_RE = re.compile(r"\b(?:" + "|".join(f"(?P<d{k}>{p})" for k, (p, _) in enumerate(_DIRS)) + r")\b")

# actions that name their own region when the caption does not ("she smiles", "he blinks", "looks left")
IMPLICIT_REGION = {"smile": "face", "laugh": "face", "cry": "face", "frown": "brows", "blink": "eyes", "nod": "head",
                   "shake": "head", "speak": "mouth", "look": "gaze", "narrow": "eyes", "pout": "lips", "swallow": "mouth",
                   "tense": "face", "relax": "face", "bite": "lips", "lick": "lips"}

# -- what an event means, for relations: (axis, sign) features.  Two events are the same when they share a
# feature, opposite when they share an axis with opposite signs (and no feature), unrelated otherwise.
# Regions collapse into families first: eyelids act for the eyes, the jaw and teeth for the mouth, ...
FAMILY = {"gaze": "gaze", "eyeballs": "gaze", "eyelids": "eyes", "eyes": "eyes", "brows": "brows", "forehead": "brows",
          "nose": "nose", "cheeks": "cheeks", "mouth": "mouth", "lips": "mouth", "mouth corners": "corners",
          "teeth": "mouth", "jaw": "mouth", "chin": "head", "head": "head", "face": "face", "body": "body"}
MEANING: dict[tuple[str, str], tuple[tuple[str, int], ...]] = {
    ("eyes", "open"): (("eyes-aperture", 1),), ("eyes", "widen"): (("eyes-aperture", 1), ("eyes-wide", 1)),
    ("eyes", "raise"): (("eyes-aperture", 1), ("eyes-wide", 1)),
    ("eyes", "close"): (("eyes-aperture", -1),), ("eyes", "narrow"): (("eyes-aperture", -1), ("eyes-wide", -1)),
    ("eyes", "lower"): (("eyes-aperture", -1), ("eyes-wide", -1)), ("eyes", "press"): (("eyes-tension", 1),),
    ("eyes", "wrinkle"): (("eyes-wide", -1),), ("eyes", "blink"): (("blink", 1),), ("eyes", "tremble"): (("blink", 1),),
    ("eyes", "relax"): (("eyes-tension", -1),), ("eyes", "tense"): (("eyes-tension", 1),),
    ("eyes", "cry"): (("cry", 1),),
    ("brows", "raise"): (("brows-height", 1),), ("brows", "lower"): (("brows-height", -1), ("brows-knit", 1)),
    ("brows", "frown"): (("brows-knit", 1), ("brows-height", -1)), ("brows", "press"): (("brows-knit", 1),),
    ("brows", "wrinkle"): (("brows-height", 1),), ("brows", "tense"): (("brows-knit", 1),),
    ("brows", "relax"): (("brows-knit", -1),), ("brows", "stretch"): (("brows-knit", -1),),
    ("mouth", "open"): (("mouth-aperture", 1),), ("mouth", "widen"): (("mouth-aperture", 1),),
    ("mouth", "show"): (("mouth-aperture", 1),), ("mouth", "lower"): (("mouth-aperture", 1),),
    ("mouth", "close"): (("mouth-aperture", -1),), ("mouth", "press"): (("mouth-aperture", -1), ("mouth-press", 1)),
    ("mouth", "relax"): (("mouth-press", -1),), ("mouth", "tense"): (("mouth-press", 1),),
    ("mouth", "pout"): (("pout", 1),), ("mouth", "puff"): (("puff", 1),), ("mouth", "bite"): (("bite", 1),),
    ("mouth", "speak"): (("speak", 1),), ("mouth", "move"): (("speak", 1),), ("mouth", "tremble"): (("mouth-tremble", 1),),
    ("mouth", "lick"): (("lick", 1),), ("mouth", "swallow"): (("swallow", 1),),
    ("mouth", "smile"): (("smile", 1),), ("mouth", "stretch"): (("smile", 1),), ("mouth", "laugh"): (("smile", 1), ("laugh", 1)),
    ("mouth", "frown"): (("smile", -1),),
    ("corners", "raise"): (("smile", 1),), ("corners", "smile"): (("smile", 1),), ("corners", "stretch"): (("smile", 1),),
    ("corners", "widen"): (("smile", 1),), ("corners", "lower"): (("smile", -1),), ("corners", "frown"): (("smile", -1),),
    ("corners", "tense"): (("mouth-press", 1),), ("corners", "press"): (("mouth-press", 1),),
    ("corners", "relax"): (("smile", -1),), ("corners", "tremble"): (("mouth-tremble", 1),),
    ("face", "smile"): (("smile", 1),), ("face", "laugh"): (("smile", 1), ("laugh", 1)),     ("face", "tense"): (("face-tension", 1),), ("face", "relax"): (("face-tension", -1),), ("face", "cry"): (("cry", 1),),
    ("face", "wrinkle"): (("face-tension", 1),),
    ("cheeks", "raise"): (("smile", 1),), ("cheeks", "puff"): (("puff", 1),), ("cheeks", "smile"): (("smile", 1),),
    ("nose", "wrinkle"): (("nose-wrinkle", 1),), ("nose", "flare"): (("nose-flare", 1),),
    ("head", "raise"): (("head-pitch", 1),), ("head", "lower"): (("head-pitch", -1),), ("head", "nod"): (("nod", 1),),
    ("head", "shake"): (("shake", 1),), ("head", "sway"): (("shake", 1),),
}
# actions whose direction is part of their meaning: compared by direction sets
DIRECTIONAL = {("gaze", "look"), ("gaze", "move"), ("gaze", "turn"), ("head", "turn"), ("head", "tilt"), ("head", "move"),
               ("corners", "move"), ("brows", "move"), ("body", "turn"), ("body", "move"), ("body", "tilt")}
_OPPOSITE_DIR = {"left": "right", "right": "left", "up": "down", "down": "up", "forward": "back", "back": "forward"}

# -- clause segmentation
_BRACKETS = re.compile(r"\[[^\]\n.;]*\]|\([^)\n.;]*\)")  # an unclosed bracket swallows nothing
_SENTENCES = re.compile(r"[.;!?\n]+")
_CLAUSES = re.compile(r",|\b(?:and then|and|while|as well as|as|before|after|followed by|whereas|but|until|when|"
                      r"which|with|meanwhile)\b|(?=\b(?:revealing|showing|exposing|baring|looking|gazing|she|he|they)\b)")
_NEGATION = re.compile(r"\b(?:not|no longer|no|nothing|never|stops?|stopped|stopping|ceases?|ceased|without|nor|cannot|can't|"
                       r"doesn't|don't|didn't|isn't|aren't|wasn't)\b")
_ENDING = re.compile(r"\b(?:fad(?:e|es|ed|ing)|disappear\w*|vanish\w*|subsid\w*|dissipat\w*|reced\w*|wan(?:e|es|ed|ing)|"
                     r"gone|no more)\b")
_MEDIA = re.compile(r"\b(?:video|clip|footage|film|recording)\b")  # "as the video goes on" moves nothing
_NO_CHANGE = re.compile(r"\b(?:no (?:\w+ )?changes?|(?:does|do|did) not change|(?:doesn't|don't|didn't|never) changes?|without (?:any )?(?:\w+ )?changes?|unchanged|holds? steady|"
                        r"remain(?:s|ed)? (?:the same|steady|still|stable|calm)|stay(?:s|ed)? (?:the same|steady|still|stable))\b")
_SILENT = re.compile(r"\b(?:fall|falls|fell|falling|go|goes|went|going|become|becomes|became|grows?|grew|remains?|stays?|is)"
                     r" (?:silent|quiet|mute)\b")
# a sentence that infers ("indicating she is crying", "a relaxed demeanor"): only clauses naming a face part count
_INFERENCE = re.compile(r"\b(?:demeanou?r|mood|atmosphere|emotions?|emotional|feelings?|conveys?|conveying|suggest\w*|"
                        r"indicat\w*|seems?|seemingly|as if|as though|attitude|state of mind|impression)\b")
_PRONOUNS = [(re.compile(r"\b(?:she|he|they|the (?:young |old |middle-aged |elderly )?(?:woman|man|girl|boy|person|"
                         r"character|lady|gentleman|child|individual))\b"), "the person"),
             (re.compile(r"\b(?:her|his|their)\b"), "the")]
# a sentence about looks, not actions ("He has short brown hair, thick eyebrows ..."): only clear actions count there
_APPEARANCE = re.compile(r"\b(?:(?:has|have|had)\b(?! (?:\w+ly )?(?:\w+ed|\w+en|begun)(?:[ ,]+(?:his|her|their|the|a|its|\w+ly|to|into|again|and|as|while|before|after)\b|[,.;]|$)| been)|(?<!lip )(?<!lips )(?<!corner )(?<!corners )curls|bangs|ponytail|bun|earrings?|necklace|shirt|jacket|dress|scarf|hat|makeup|wears|wearing|dressed|years old|aged|complexion|hair|beard|skin|glasses|"
                         r"video (?:shows|showcases|displays|depicts|features|captures|presents))\b")
_POSSESSION = re.compile(r"\b(?:(?:has|have|had)\b(?! (?:\w+ly )?(?:\w+ed|\w+en|begun)(?:[ ,]+(?:his|her|their|the|a|its|\w+ly|to|into|again|and|as|while|before|after)\b|[,.;]|$)| been)|with|wearing|wears)\b")
_DYNAMIC = {"open", "close", "raise", "lower", "widen", "narrow", "blink", "smile", "frown", "turn", "tilt", "nod", "shake",
            "look", "speak", "laugh", "cry"}
_DEGREE = re.compile(r"\b(?:slight(?:ly)?|little|bit|wide(?:ly)?|gradual(?:ly)?|sudden(?:ly)?|quick(?:ly)?|slow(?:ly)?|"
                     r"gentl[ey]|fully|half|deep(?:ly)?|strong(?:ly)?|firm(?:ly)?|tight(?:ly)?|noticeabl[ey]|subtl[ey]|lightly|much)\b")
_NOT_EVENTS = re.compile(r"\b(?:camera|scene|shot|zoom\w*|background|lighting)\b")


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

    @property
    def family(self) -> str:
        return FAMILY.get(self.region, self.region)

    def structure(self) -> str:
        """Human-readable form for explanations: ``mouth corners · raise · up``."""
        parts = [self.region or "?", ("not " if self.negated else "") + self.action]
        if self.directions:
            parts.append("+".join(self.directions))
        return " · ".join(parts) + (f" ({', '.join(self.degree)})" if self.degree else "") + ("" if self.parsed else " (fallback)")


_KEEP_TOGETHER = [(re.compile(r"\b(?:left and right|right and left|back and forth|to and fro)\b"), "side_to_side"),
                  (re.compile(r"\bup and down\b"), "up_and_down"),
                  (re.compile(r"\b(up|down)(?:wards?)?,? and (?:to the |towards the )?(left|right)\b"), r"\1-\2"),
                  (re.compile(r"\bback (to(?:wards?)? the)\b"), r"\1"),  # "turns back to the left": a return, not a direction
                  (re.compile(r"\b(?:closed|open|tight)-(?:mouth|lipp)(?:ed)? (smile|grin)"), r"\1")]


def clauses(text: str) -> list[tuple[str, int, bool, bool]]:
    """Lower-cased clauses in order, each with its sentence's number, whether that sentence is about looks and
    whether it infers (emotions, demeanour)."""
    text = _BRACKETS.sub(" ", text.lower().replace("\u2019", "'"))
    for pat, rep in _KEEP_TOGETHER:  # "and" inside a direction does not end a clause
        text = pat.sub(rep, text)
    out = []
    for k, sentence in enumerate(_SENTENCES.split(text)):
        looks, infers = bool(_APPEARANCE.search(sentence)), bool(_INFERENCE.search(sentence))
        for part in _CLAUSES.split(sentence):
            c = " ".join((part or "").replace("'s", "").split()).strip(" ,:-\"'")
            if c:
                out.append((c, k, looks, infers))
    return out


def _resolve(clause: str) -> str:
    for pat, rep in _PRONOUNS:
        clause = pat.sub(rep, clause)
    return clause


def _regions(clause: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), _REGION_WORDS[int(m.lastgroup[1:])][1]) for m in _REGION_RE.finditer(clause)]


def _actions(clause: str, taken: list[tuple[int, int, str]]) -> list[tuple[int, str]]:
    """Action words in clause order, outside region phrases ("lower" in "lower lip" names a lip, not a movement)."""
    found = [(m.start(), m.end(), _PHRASE_FORMS[int(m.lastgroup[1:])][1]) for m in _PHRASE_ACTION.finditer(clause)]
    phrases = list(found)
    for m in _WORDS.finditer(clause):
        if any(s <= m.start() < e for s, e, _ in phrases) or (m.group() in ("part", "parts") and clause.startswith(" of", m.end())):
            continue  # "the front part of her brows" names a place
        action = _word_action(m.group())
        if action:
            found.append((m.start(), m.end(), action))
        elif "-" in m.group():  # "wide-eyed", "half-smile": the parts
            at = m.start()
            for part in m.group().split("-"):
                if (a := _word_action(part)) is not None:
                    found.append((at, at + len(part), a))
                at += len(part) + 1
    return [(start, a) for start, _, a in sorted(found) if not any(s <= start < e for s, e, _ in taken)]


_SIDED_PART = re.compile(r"\b(?:left|right)(?= (?:eye|eyebrow|brow|corner|side|cheek|nostril|eyelid|lid|lip|ear|hand|shoulder|"
                         r"temple|half|one)s?\b)")


def _directions(clause: str) -> tuple[str, ...]:
    """Where the clause says the part moves.  "left" in "her left eye" names a part, not a direction; a clause
    going both ways ("looks left, then right") moves side to side."""
    found: list[str] = []
    for m in _DIR_RE.finditer(_SIDED_PART.sub("", clause)):
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


def normalise(region: str, action: str, dirs: tuple[str, ...], clause: str) -> tuple[str, str, tuple[str, ...]]:
    """Put one action in its canonical region and form (the paraphrases a caption writer uses)."""
    if (region in ("eyes", "eyeballs") and action in ("look", "move", "turn")) or (region == "eyeballs" and dirs):
        region, action = "gaze", "look"
    if region in ("gaze", "eyeballs") and action in ("move", "turn", "raise", "lower"):
        region = "gaze"
        dirs = dirs or (("up",) if action == "raise" else ("down",) if action == "lower" else ())
        action = "look"
    if region == "eyes" and action in ("lower", "raise") and not re.search(r"\blids?\b|eyelid", clause):
        region, action, dirs = "gaze", "look", ("down",) if action == "lower" else ("up",)  # "she lowers her eyes"
    if region in ("eyes", "eyelids") and action == "press" and re.search(r"\b(?:shut|closed?)\b", clause):
        action = "close"  # "squeezes her eyes shut"
    if region == "eyelids":
        region = "eyes"
        action = {"raise": "widen", "lower": "narrow"}.get(action, action)
    if region == "eyes" and action in ("press", "stretch") and re.search(r"\b(?:tight|taut)", clause):
        action = "tense"  # "upper lids pull tight": the lids tense, the eyes do not close
    if region == "eyes" and action == "open" and re.search(r"\bwide(?:ly|r)?\b", clause):
        action = "widen"
    if region in ("mouth", "lips", "jaw") and action == "widen":
        action = "open"
    if region == "jaw" and action in ("lower", "open"):
        region, action = "mouth", "open"
    if region == "teeth" and action in ("show", "open", "widen"):
        region, action = "mouth", "show"
    if region == "teeth" and action in ("press", "close", "bite"):
        region, action = "mouth", "press"
    if region == "jaw" and action == "raise":
        region, action = "mouth", "close"
    if (region == "mouth corners" or (region == "mouth" and action in ("move", "turn"))) and dirs \
            and action in ("move", "turn", "stretch", "raise", "lower"):
        if "up" in dirs:
            region, action = "mouth corners", "raise"
        elif "down" in dirs:
            region, action = "mouth corners", "lower"
        elif "sides" in dirs or action == "stretch":
            region, action = "mouth corners", "stretch"
    if region == "mouth corners" and action in ("raise", "lower", "stretch"):
        dirs = ()
    if region in ("head", "chin") and action in ("move", "turn", "tilt", "shake") and dirs and set(dirs) <= {"up", "down"}:
        action, dirs = ("raise" if "up" in dirs else "lower"), ()
    if region in ("head", "chin") and action in ("raise", "lower"):
        region, dirs = "head", ()
    if region == "head" and action in ("move", "sway", "turn", "shake") and "sides" in dirs:
        action, dirs = "shake", ()
    if region == "brows" and action in ("move", "turn") and dirs:
        action = "raise" if "up" in dirs else "lower" if "down" in dirs else action
    if region in ("brows", "forehead") and action in ("wrinkle", "frown") and re.search(r"between|glabella", clause):
        region, action = "brows", "frown"
    if region == "forehead" and action in ("wrinkle", "raise", "frown"):
        region, action = "brows", ("raise" if action == "raise" else "wrinkle")  # a creased forehead: brows lifted
    if FAMILY.get(region) == "mouth" and action == "frown" and "together" in clause:
        action = "close"  # "her lips come partly together"
    if region == "face" and action == "frown":
        region = "brows"  # "she frowns": the brows knit
    if region == "face" and action in ("look", "turn") and dirs:
        region = "head"
    if action == "look" and region in ("head", "face"):
        region = "gaze"
    return _own_part(region, action, dirs, clause)


# where an action can happen: an action word bound to another part ("her eyes ... as she speaks" read as
# "eyes · speak", "head · narrow" from a carried subject, "teeth · smile") belongs to its own part
_PART_OF = {"speak": {"mouth"}, "blink": {"eyes"}, "nod": {"head"}, "narrow": {"eyes", "brows"}, "pout": {"mouth"},
            "smile": {"face", "mouth", "corners", "cheeks", "eyes"}, "laugh": {"face", "mouth"},
            "tilt": {"head", "body", "mouth", "corners"}, "show": {"mouth", "corners", "face"}}
_APERTURE = {"relax", "widen", "narrow", "tense", "close", "open", "blink", "press"}  # a gaze has none: the eyes do


def _own_part(region: str, action: str, dirs: tuple[str, ...], clause: str) -> tuple[str, str, tuple[str, ...]]:
    """Move an action to the part that can do it, keeping what the caption said it did."""
    family = FAMILY.get(region, region)
    if family == "gaze" and action in _APERTURE:
        return "eyes", action, ()
    if family == "mouth" and action == "narrow" and re.search(r"half[- ]open", clause):
        return region, "open", dirs  # "the mouth half-open" is open, not narrowed
    allowed = _PART_OF.get(action)
    if allowed is None or family in allowed:
        return region, action, dirs
    if action == "tilt":
        return "head", action, dirs
    if action == "show":
        return "mouth", action, ()
    return IMPLICIT_REGION[action], action, dirs


_OWN_REGION = {"smile", "laugh", "cry", "blink", "nod", "speak", "look", "swallow", "frown"}
_LOOK_AT = re.compile(r"\b(?:look|gaz|star|glanc|peer|glar)\w* (?:\w+ )?(?:at|to|toward|towards|into|around|away|ahead|out|over|"
                      r"back|up|down|straight|directly|off|forward|downward|upward|sideways)\b")
_FROWN_WORD = re.compile(r"\b(?:frown|furrow|knit|scowl|glower)")
_VERBISH = re.compile(r" (?:\w+ly )?(?!(?:becomes|remains|stays|seems|appears|looks|is|are|was|were|has|have|as|and)\b)"
                      r"\w+(?:s|ed|ing|en)\b")  # right after the face part: "her brows knitting", "the head bobbed"
_COPULA = re.compile(r"\b(?:has|have|had|is|are|was|were|appears?|seems?|remains?|becomes?)\b")


def _event(clause: str, carried: str, looks: bool = False, past: bool = False) -> Event | None:
    """The clause's facial action, or None when it names none.  ``carried`` is the region of the sentence's
    previous event, for clauses that lost their subject to the split ("her mouth opens and closes"); ``past``
    says the caption narrates in the past tense, where "-ed" forms are movements, not held states."""
    if _NO_CHANGE.search(clause):
        return None
    if _SILENT.search(clause):  # "falls silent": speaking ends
        return Event(" ".join(_resolve(clause).split()[:10]), "mouth", "speak", (), True)
    regions = _regions(clause)
    acts = _actions(clause, regions)
    stage = _NOT_EVENTS.search(clause) or _MEDIA.search(clause)
    if stage and (not acts or stage.start() < acts[0][0]):
        return None  # "the camera zooms in on her face", "the video focuses on ...": not the face acting
    dirs = _directions(clause)
    text = " ".join(_resolve(clause).split()[:10])
    degree = tuple(dict.fromkeys(m.group(0) for m in _DEGREE.finditer(clause)))
    if not acts and regions and set(dirs) & {"up", "down"}:
        acts = [(regions[0][1], "move")]
    if not acts:
        if regions and _VERBISH.match(clause, regions[0][1]) and not _COPULA.search(clause):
            neg = bool(_NEGATION.search(clause))
            return Event(text, regions[0][2], "other", dirs, neg, degree, parsed=False)
        return None
    if acts[0][1] == "look" and not dirs and not regions and not _LOOK_AT.search(clause):
        acts = acts[1:]  # "she looks content": how she seems, not where she looks
        if not acts:
            return None
    if acts[0][1] == "show" and not regions:
        acts = acts[1:]  # "revealing the inner confusion": only a part can be shown
        if not acts:
            return None
    if len(acts) > 1 and acts[0][1] == "widen" and acts[1][1] in ("smile", "laugh") and clause.startswith("wide", acts[0][0]):
        acts = acts[1:]  # "bursts into a wide smile": the smile is the action, "wide" its degree
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
    else:  # "then slowly relaxes it": the part the sentence was about
        region = carried or IMPLICIT_REGION.get(action, "")
    if not region:
        return None
    if looks and regions and _ATTRIBUTIVE.match(clause[pos:regions[0][0]]):
        return None  # "slightly arched eyebrows" in a sentence about looks: a feature, not a movement
    if "together" in clause and action in ("stretch", "move", "frown", "press"):
        action = {"brows": "frown", "forehead": "frown"}.get(region, "close" if FAMILY.get(region) == "mouth" else action)
    region, action, dirs = normalise(region, action, dirs, clause)
    return Event(text, region, action, dirs, negated, degree, state=_is_state(clause, pos, action, past))


# -- held states vs movements: the extraction prompt wants "a specific facial action or motion, NOT STATIC
# INFORMATION"; its own example still counts states, so states are kept but are the first to go past the cap
_HELD = re.compile(r"\b(?:is|are|was|were|remains?|remained|remaining|stays?|stayed|staying|still|"
                   r"appears?|appeared|seems?|seemed)\b")  # not "keeps": "her mouth keeps closing" repeats an action
_ADJECTIVAL = {"open", "wide", "ajar", "apart", "tight", "taut", "rigid", "neutral", "visible", "upturned",
               "downturned", "half-open", "half-closed", "half-shut", "heavy-lidded", "hooded", "focused", "fixed"}
_MOMENTARY = {"blink", "nod", "shake", "speak", "laugh", "cry", "swallow", "lick", "bite", "tremble", "sway", "puff", "other"}


_OPEN_VERB = re.compile(r"\b(?:his|her|their|the|its) (?:\w+ )?(?:eyes|lips|eyelids|lids) open\b")


def _is_state(clause: str, pos: int, action: str, past: bool) -> bool:
    """Whether the clause holds a configuration ("eyes wide open", "lips pursed", "with furrowed brows", "looking
    ahead") rather than moving a part.  Momentary actions (a blink, a nod, speech) are never states."""
    if action in _MOMENTARY:
        return False
    m = _WORDS.match(clause, pos)
    word = m.group() if m else ""
    if clause.startswith("with ") or _HELD.search(clause):
        return True  # "her eyelids are drooping", "with furrowed brows", "her gaze remains fixed"
    if any(w.endswith("s") and not w.endswith("ss") and _word_action(w) for w in _WORDS.findall(clause, 0, pos)):
        return False  # a verb came first: "her mouth stretches wide open"
    if word == "open" and _OPEN_VERB.search(clause):
        return False  # "his eyes open wide": a plural part with its determiner, then the verb
    if word in _ADJECTIVAL or word.split("-")[0] in ("half", "wide"):
        return True
    if word.endswith("ing") and pos == 0:
        return action == "look"  # "looking straight ahead" describes where the eyes are
    return word.endswith("ed") and not past  # "eyes slightly widened" in a present-tense caption


def _past(text: str) -> bool:
    """A caption told in the past tense: more "-ed" than "-s" action verbs ("opened", "raised" vs "opens")."""
    ed = s = 0
    for w in _WORDS.findall(text.lower()):
        if _word_action(w) is None:
            continue
        ed += w.endswith("ed")
        s += w.endswith("s") and not w.endswith("ss")
    return ed > s


_ATTRIBUTIVE = re.compile(r"\w+(?:-\w+)*,? (?:and )?(?:\w+ly )?$")  # the action word, then the part: "arched eyebrows"
_OBJECT = re.compile(r"\b(?:hands?|fingers?|arms?|cup|glass|phone|tissue|hair|pen|microphone|mask)\b")


@lru_cache(maxsize=65536)
def parse(text: str) -> tuple[Event, ...]:
    """Every facial-action event of a text, in order, no limit (AutoDQ's entailment reads the whole text)."""
    events: list[Event] = []
    sentences: list[int] = []  # the sentence of each event, for the restatement rules of _append
    carried, sentence, pending = "", -1, []
    past = _past(text)
    for clause, k, looks, infers in clauses(text):
        if k != sentence:
            carried, sentence, pending = "", k, []
        ev = _event(clause, carried, looks, past)
        if ev is None or (infers and not _REGION_RE.search(clause)):
            named = _regions(clause)
            if ev is None and named and not looks:
                carried = named[-1][2]  # "her upper lids, | then rise a touch": the subject carries on
            if ev is None and not named and not carried and _actions(clause, []):
                pending.append(clause)  # "she opens | and closes her mouth": the part comes later
            continue
        if looks and (ev.action not in _DYNAMIC or not ev.parsed or _POSSESSION.search(clause)):
            continue  # "thick eyebrows", "clear forehead wrinkles": how the face looks, not what it does
        for early in pending:
            if (back := _event(early, ev.region, False, past)) is not None:
                _append(events, sentences, back, k, early)
        pending = []
        _append(events, sentences, ev, k, clause)
        carried = ev.region
    return tuple(events)


def _append(events: list[Event], sentences: list[int], ev: Event, sentence: int, clause: str) -> None:
    """Add an event unless it only restates the one before it in the same sentence."""
    last, same_sentence = (events[-1], sentences[-1] == sentence) if events else (None, False)
    if same_sentence and ev.action == "show" and ev.family == "mouth" and last.family in ("mouth", "corners", "face") \
            and clause.startswith(("revealing", "showing", "exposing", "baring")):
        return  # "her mouth opens slightly, revealing teeth" is one event (the paper's own example)
    if same_sentence and (last.region, last.action, last.directions, last.negated) == (ev.region, ev.action, ev.directions, ev.negated) \
            and "again" not in clause:
        return  # "her mouth opens, opening wide": one event said twice
    events.append(ev)
    sentences.append(sentence)


def extract(text: str, limit: int = MAX_EVENTS) -> list[Event]:
    """The caption's events as the paper extracts them: at most ``limit``, in order, no repeats of one action
    back to back.  Past the cap, fallbacks go first, then held states, then the less clear movements, each
    from the end (the prompt: "a specific facial action or motion, NOT STATIC INFORMATION", at most 10)."""
    events = list(parse(text))
    if len(events) <= limit:
        return events
    seen: set[tuple[str, str, bool]] = set()
    repeats = []
    for ev in events:
        repeats.append((ev.family, ev.action, ev.negated) in seen)
        seen.add((ev.family, ev.action, ev.negated))
    keep = sorted(range(len(events)), key=lambda i: (_rank(events[i], repeats[i]), i))[:limit]
    return [events[i] for i in sorted(keep)]


def _rank(ev: Event, repeat: bool) -> tuple[bool, bool, bool, bool, bool]:
    """Which events a long caption keeps first (measured against the labels, docs/benchmarks.md): the
    grammar's parses before fallbacks; what a part did before what it stopped or did not do (labellers kept
    none of those past the cap); movements before held states; the clear movements (opens, raises, turns,
    blinks, ...) before the rest; an action's first mention before its repeats."""
    return (not ev.parsed, ev.negated, ev.state, ev.action not in _DYNAMIC, repeat)


# an expression's valence opposes across face parts (a smile against knitted brows) but never makes two
# actions of different parts the same: it counts for Opposite Meaning only
_NEGATIVE = {("brows", "frown"), ("brows", "lower"), ("corners", "lower"), ("mouth", "frown")}


def features(ev: Event) -> tuple[tuple[str, int], ...]:
    return MEANING.get((ev.family, ev.action), ())


def valence(ev: Event) -> int:
    """+1 for a smile or laugh, -1 for knitted brows or a downturned mouth, 0 otherwise."""
    if ev.negated:
        return 0
    if any(axis == "smile" and sign > 0 for axis, sign in features(ev)):
        return 1
    return -1 if (ev.family, ev.action) in _NEGATIVE else 0


def relation(a: Event, b: Event) -> tuple[str, str]:
    """``same`` / ``opposite`` / ``none`` between two events, with the reason in a few words."""
    if not a.parsed or not b.parsed:
        return _fallback(a, b)
    fa, fb = features(a), features(b)
    if a.family == b.family == "head" and {a.action, b.action} <= _HEAD_POSE:
        verdict, why = _head_pose(a, b)
    elif (a.family, a.action) in DIRECTIONAL or (b.family, b.action) in DIRECTIONAL:
        verdict, why = _directional(a, b)
    elif fa and fb:
        shared = set(fa) & set(fb)
        if shared:
            verdict, why = "same", _axis_words(sorted(shared)[0])
        elif {x for x, _ in fa} & {x for x, _ in fb}:
            axis = sorted({x for x, _ in fa} & {x for x, _ in fb})[0]
            verdict, why = "opposite", f"{axis}: {a.action} vs {b.action}"
        elif valence(a) * valence(b) < 0:
            verdict, why = "opposite", f"expression: {a.family} {a.action} vs {b.family} {b.action}"
        else:
            verdict, why = "none", f"{a.family} {a.action} / {b.family} {b.action}"
    elif a.family == b.family and a.action == b.action:
        verdict, why = "same", f"{a.family} {a.action}"
    else:
        verdict, why = "none", f"{a.family} {a.action} / {b.family} {b.action}"
    if verdict != "none" and a.negated != b.negated:
        return ("opposite" if verdict == "same" else "same"), why + ", one side negated"
    return verdict, why


def _directional(a: Event, b: Event) -> tuple[str, str]:
    if (a.family, a.action) != (b.family, b.action):
        # "looks" vs "eyes move" were normalised already; a turn is not a tilt
        return "none", f"{a.family} {a.action} / {b.family} {b.action}"
    da, db = set(a.directions) - {"sides"}, set(b.directions) - {"sides"}
    if any(_OPPOSITE_DIR.get(d) in db for d in da):  # "upper left" vs "lower left": one axis reversed
        return "opposite", f"{a.family} {a.action} {'+'.join(sorted(da))} vs {'+'.join(sorted(db))}"
    if da & db or (not da and not db):
        return "same", f"{a.family} {a.action} {'+'.join(sorted(da & db)) or 'in some direction'}"
    if (not da or not db) and a.family != "gaze":
        return "same", f"{a.family} {a.action}, one side without a direction"
    return "none", f"{a.family} {a.action} {'+'.join(sorted(da))} / {'+'.join(sorted(db))}"


_HEAD_POSE = {"raise", "lower", "tilt", "turn", "move"}


def _pose(ev: Event) -> tuple[str | None, str | None]:
    """A head movement as (vertical, horizontal) directions: lifting is up, bowing down, tipping back is up."""
    dirs = set(ev.directions)
    if ev.action in ("tilt", "raise", "lower"):  # tipping back lifts the face; moving or turning forward does not bow it
        dirs = {"up" if d == "back" else "down" if d == "forward" else d for d in dirs}
    vert = "up" if ev.action == "raise" or "up" in dirs else "down" if ev.action == "lower" or "down" in dirs else None
    horiz = "left" if "left" in dirs else "right" if "right" in dirs else None
    return vert, horiz


def _head_pose(a: Event, b: Event) -> tuple[str, str]:
    """Head movements compared by where the head goes: pitch across words (lowers / bows / tilts down / dips
    toward the lower right), left and right across turns, tilts and shifts (the relation prompt's "similar
    facial actions")."""
    (va, ha), (vb, hb) = _pose(a), _pose(b)
    kind_a = "turn" if a.action == "turn" else "tilt"
    sideways = ha and hb
    if (va and vb and va != vb) or (sideways and ha != hb):
        return "opposite", f"head {va or ''}{ha or ''} vs {vb or ''}{hb or ''}".replace("  ", " ")
    if (va and va == vb) or (sideways and ha == hb):
        return "same", f"head {'pitch ' + va if va and va == vb else kind_a + ' ' + str(ha)}"
    if a.action == b.action and not (va or ha) or not (vb or hb) and a.action == b.action:
        return "same", f"head {a.action}"
    return "none", f"head {a.action} / {b.action}"


def _axis_words(feature: tuple[str, int]) -> str:
    axis, sign = feature
    return f"{axis}{'+' if sign > 0 else '-'}"


_STOP = frozenset("the a an of to and his her their its is are was were person slightly slight little bit at in on with "
                  "as then while it that this very more some".split())


def _content(text: str) -> frozenset[str]:
    return frozenset(w[:5] for w in re.findall(r"[a-z]+", text.lower()) if w not in _STOP)


def _fallback(a: Event, b: Event) -> tuple[str, str]:
    """What the grammar could not parse: one face-part family and most content words in common (Dice >= 0.5)."""
    if a.family != b.family:
        return "none", "fallback: different face parts"
    wa, wb = _content(a.text), _content(b.text)
    dice = 2 * len(wa & wb) / (len(wa) + len(wb)) if wa and wb else 0.0
    return ("same" if dice >= 0.5 else "none"), f"fallback: word overlap {dice:.2f}"
