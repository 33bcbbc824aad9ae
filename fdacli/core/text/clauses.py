"""Clause segmentation: sentences split into clauses, with what the sentence is about (looks, inferences).

Why separate from the events: these patterns say where a caption's clauses begin and end and which
sentences describe appearance or infer emotions, whatever the face parts and actions are called; the
vocabulary of parts and actions is data (lexicon.py), this is the English around it.
"""

from __future__ import annotations

import re

# -- clause segmentation
_BRACKETS = re.compile(r"\[[^][\n]*\]|\([^)\n.;]*\)")  # "[She seems sad.]" whole; an unclosed bracket swallows nothing
_SENTENCES = re.compile(r"[.;!?\n]+")
_CLAUSES = re.compile(r",|\b(?:and then|and|while|as well as|as|before|after|followed by|whereas|but|until|when|"
                      r"which|with|meanwhile)\b|(?=\b(?:revealing|showing|exposing|baring|looking|gazing|she|he|they)\b)")
_NEGATION = re.compile(r"\b(?:not|no longer|no|nothing|never|stops?|stopped|stopping|ceases?|ceased|finish(?:es|ed|ing)?|without|nor|cannot|can't|"
                       r"doesn't|don't|didn't|isn't|aren't|wasn't)\b")
_ENDING = re.compile(r"\b(?:fad(?:e|es|ed|ing)|disappear\w*|vanish\w*|subsid\w*|dissipat\w*|reced\w*|wan(?:e|es|ed|ing)|"
                     r"gone|no more)\b")
# "throughout the clip his mouth opens", "a woman in the video smiles": the video as a time or place, not a subject
_MEDIA_WHEN = re.compile(r"\b(?:throughout|during|in|across|over|through|by|at|from|into|until|till|(?:beginning|start|end|middle|"
                         r"rest|course) of) (?:the |this |that |a )?(?:whole |entire |short )?(?:video|clip|footage|recording|film)"
                         r"(?: clip)?\b")
_MEDIA = re.compile(r"\b(?:video|clip|footage|film|recording|(?:is|was|are|were|being|been) (?:filmed|recorded))\b")
# "as the video goes on", "he was filmed talking" move nothing; "a woman filmed from the side smiles" does
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
_APPEARANCE = re.compile(r"\b(?:(?:has|have|had)\b(?! (?:\w+ly )?(?:\w+ed|\w+en|begun)(?:[ ,]+(?:his|her|their|the|a|its|\w+ly|to|into|again|and|as|while|before|after)\b|[,.;]|$)| been)|(?<!lip )(?<!lips )(?<!corner )(?<!corners )curls|bangs|ponytail|bun|earrings?|necklace|shirt|jacket|dress|scarf|hat|makeup|wears|wearing|dressed|years old|aged|complexion|hair|beard|m(?:o)?ustaches?|stubble|skin|glasses|"
                         r"video (?:shows|showcases|displays|depicts|features|captures|presents))\b")
_POSSESSION = re.compile(r"\b(?:(?:has|have|had)\b(?! (?:\w+ly )?(?:\w+ed|\w+en|begun)(?:[ ,]+(?:his|her|their|the|a|its|\w+ly|to|into|again|and|as|while|before|after)\b|[,.;]|$)| been)|with|wearing|wears)\b")
_DEGREE = re.compile(r"\b(?:slight(?:ly)?|little|bit|wide(?:ly)?|gradual(?:ly)?|sudden(?:ly)?|quick(?:ly)?|slow(?:ly)?|"
                     r"gentl[ey]|fully|half|deep(?:ly)?|strong(?:ly)?|firm(?:ly)?|tight(?:ly)?|noticeabl[ey]|subtl[ey]|lightly|much)\b")
# "she continues to speak", "her mouth remains open": an action already said, going on (not said "again")
_CONTINUES = re.compile(r"\b(?:continu\w*|still|keeps?|kept|keeping|remains?|remained|remaining|stays?|stayed|staying|"
                        r"(?:go|goes|went|going) on|carr(?:y|ies|ied|ying) on|persist\w*)\b")
_AGAIN = re.compile(r"\b(?:again|once more|another|anew|a second time)\b")
_NOT_EVENTS = re.compile(r"\b(?:camera|scene|shot|zoom\w*|background|lighting|the focus)\b")

# "opens her mouth to speak", "closes her mouth to start speaking": the mouth's movement and the speech are two
# atomic events (the prompt: "cannot be further split"); not "begins to speak", "continues to talk", "as if to speak"
_TO_SPEAK = re.compile(r"\b((?:mouth|lips?|jaw|open(?:s|ed|ing)?|clos(?:e|es|ed|ing)|part(?:s|ed|ing)?|separat(?:e|es|ed|ing)|relax(?:es|ed|ing)?)"
                       r"(?: (?:\w+ly|again|wide|further|a little|a bit))*) (?=to (?:(?:start|begin)\w* \w+|speak|talk|say)\b)")

_KEEP_TOGETHER = [(re.compile(r"\b(?:left and right|right and left|back and forth|to and fro)\b"), "side_to_side"),
                  (re.compile(r"\bup and down\b"), "up_and_down"),
                  (re.compile(r"\b(up|down)(?:wards?)?,? and (?:to the |towards the )?(left|right)\b"), r"\1-\2"),
                  # "then back to the right": the part returns; "turns back to the left", "back to center": a return,
                  # not a direction
                  (re.compile(r"\b(then|and|before) ((?:then )?(?:\w+ly )?)back (?=to(?:wards?)? )"), r"\1 \2returns "),
                  (re.compile(r"\bback (to(?:wards?)? (?:the|center|centre|normal|neutral))\b"), r"\1"),
                  (re.compile(r"\b(?:closed|open|tight)-(?:mouth|lipp)(?:ed)? (smile|grin)"), r"\1"),
                  (_TO_SPEAK, r"\1, ")]


def clauses(text: str) -> list[tuple[str, int, bool, bool]]:
    """Lower-cased clauses in order, each with its sentence's number, whether that sentence is about looks and
    whether it infers (emotions, demeanour)."""
    text = _BRACKETS.sub(" ", text.lower().replace("\u2019", "'"))
    for pat, rep in _KEEP_TOGETHER:  # "and" inside a direction does not end a clause
        text = pat.sub(rep, text)
    out = []
    for k, sentence in enumerate(_SENTENCES.split(text)):
        looks, inferred = bool(_APPEARANCE.search(sentence)), _inferred(sentence)
        start = 0
        for cut in [*_CLAUSES.finditer(sentence), None]:
            end = cut.start() if cut else len(sentence)
            c = " ".join(sentence[start:end].replace("'s", "").split()).strip(" ,:-\"'")
            if c:
                out.append((c, k, looks, any(a < end and b > start for a, b in inferred)))
            start = cut.end() if cut else end
    return out


def _inferred(sentence: str) -> list[tuple[int, int]]:
    """Where a sentence infers: from each inference word to the next comma ("opening and closing | as if speaking",
    "as if he is speaking, | he blinks"); the clauses before the word and after the comma say what was seen."""
    spans = []
    for m in _INFERENCE.finditer(sentence):
        comma = sentence.find(",", m.end())
        spans.append((m.start(), comma if comma >= 0 else len(sentence)))
    return spans


def resolve(clause: str) -> str:
    for pat, rep in _PRONOUNS:
        clause = pat.sub(rep, clause)
    return clause

