"""Canonical forms: one action put in the region and form a caption writer's paraphrases share.

Why: "she lowers her eyes" is a gaze looking down, "the jaw drops" is the mouth opening, "her teeth show in
a smile" is a smile — relations compare canonical (region, action, direction) triples, so every paraphrase
has to land on the same one.  The hand-labelled gold is put through the same function (core/score/agreement).
"""

from __future__ import annotations

import re

from fdacli.core.text.lexicon import LEXICON

FAMILY = LEXICON.family
IMPLICIT_REGION = LEXICON.implicit_region
_MEET = re.compile(r"\bme(?:et|ets|eting|t)\b")


def normalise(region: str, action: str, dirs: tuple[str, ...], clause: str) -> tuple[str, str, tuple[str, ...]]:
    """Put one action in its canonical region and form (the paraphrases a caption writer uses)."""
    if action == "close" and FAMILY.get(region) != "mouth" and _MEET.search(clause):
        region, action = "gaze", "look"  # "meets her gaze" looks; "his lips meet" close
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
    if region == "eyelids" and action in ("stretch", "move") and set(dirs) & {"up", "down"}:
        action, dirs = ("raise" if "up" in dirs else "lower"), ()  # "her upper lids draw up": the lids lift
    if region == "eyelids":
        region = "eyes"
        action = {"raise": "widen", "lower": "narrow"}.get(action, action)
    if region == "eyes" and action in ("press", "stretch") and re.search(r"\b(?:tight|taut)", clause):
        action = "tense"  # "upper lids pull tight": the lids tense, the eyes do not close
    if region == "eyes" and action == "open" and re.search(r"\bwide(?:ly|r)?\b", clause):
        action = "widen"
    if region in ("mouth", "lips", "jaw") and action == "widen":
        action = "open"
    if region == "jaw" and action == "move" and set(dirs) & {"up", "down"}:
        action, dirs = ("raise" if "up" in dirs else "lower"), ()  # "his jaw moves downward": the mouth opens
    if region == "jaw" and action in ("lower", "open"):
        region, action = "mouth", "open"
    if region == "teeth" and action in ("show", "open", "widen"):
        region, action = "mouth", "show"
    if region == "teeth" and action in ("press", "close", "bite"):
        region, action = "mouth", "press"
    if region == "teeth" and action not in ("show", "press"):
        region = IMPLICIT_REGION.get(action, "mouth")  # "her teeth gleam in a smile": a smile that shows teeth
    if region == "tongue":  # out (sticks out, extends, pokes out) or back in (retracts, draws back)
        out = re.search(r"\b(?:extend\w*|out|outward)\b", clause) and not re.search(r"\b(?:retract\w*|back|withdr\w*)\b", clause)
        action, dirs = ("pout" if out or action in ("show", "move") else action), ()
    if region == "jaw" and action == "raise":
        region, action = "mouth", "close"
    if region == "lips" and action in ("move", "raise", "lower") and (dirs or action != "move"):
        if re.search(r"\bupper lip", clause) and (action == "raise" or "up" in dirs):
            return "lips", "raise", ()  # "his upper lip curls up": the upper lip lifts (a sneer), not a smile or speech
        if re.search(r"\blower lip", clause) and (action == "lower" or "down" in dirs):
            return "lips", "lower", ()  # "her lower lip moves down": the mouth opens
        if re.search(r"\b(?:upper|lower) lip", clause):
            return "lips", "close", ()  # "the lower lip moves up": the lips come together
        if action == "move":
            region = "mouth"  # "her lips curl upward": the mouth's corners, as for the mouth
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
    if FAMILY.get(region) == "mouth" and action == "press" and "forward" in dirs:
        action = "pout"  # "her lips purse forward into an O", "push forward into a pucker": pushed out, not pressed
    if FAMILY.get(region) in ("eyes", "gaze") and action == "pout" and re.search(r"\beye", clause):
        region, action, dirs = "eyes", "widen", ()  # "her eyeballs protrude": the eyes bulge
    if region in ("head", "chin") and action == "stretch":
        action = "move"  # "draws his head back", "her chin pulled back": the head moves
    if region == "brows" and action == "press" and "down" in dirs:
        action, dirs = "lower", ()  # "eyebrows pressed down": lowered
    if region == "brows" and action == "relax" and set(dirs) & {"up", "down"}:
        action, dirs = ("raise" if "up" in dirs else "lower"), ()  # "her brows relax downward": they lower
    if region in ("head", "chin", "face", "body") and action == "pout":
        action = "move"  # "pushes her head forward": the head moves, the lips do not pout
    if region in ("head", "chin") and action in ("move", "turn", "tilt", "shake") and dirs and set(dirs) <= {"up", "down"}:
        action, dirs = ("raise" if "up" in dirs else "lower"), ()
    if region in ("head", "chin") and action in ("raise", "lower"):
        region, dirs = "head", ()
    if region == "head" and action in ("move", "sway") and "up_and_down" in clause:
        action = "nod"  # "her head bobbed up and down"
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
    if region == "face" and action == "move" and re.search(r"\breturn", clause):
        action = "relax"  # "returning to a more serene expression": the face goes back to rest
    if region == "face" and action == "frown":
        region = "brows"  # "she frowns": the brows knit
    if region == "face" and action in ("look", "turn") and dirs:
        region = "head"
    if action == "look" and region in ("head", "face", "body"):
        region = "gaze"
    return _own_part(region, action, dirs, clause)



# where an action can happen: an action word bound to another part ("her eyes ... as she speaks" read as
# "eyes · speak", "head · narrow" from a carried subject, "teeth · smile") belongs to its own part
def _own_part(region: str, action: str, dirs: tuple[str, ...], clause: str) -> tuple[str, str, tuple[str, ...]]:
    """Move an action to the part that can do it, keeping what the caption said it did."""
    family = FAMILY.get(region, region)
    if family == "gaze" and action in LEXICON.aperture:
        return "eyes", action, ()
    if family == "mouth" and action == "narrow" and re.search(r"half[- ]open", clause):
        return region, "open", dirs  # "the mouth half-open" is open, not narrowed
    home, allowed = LEXICON.part_of.get(action, ("", frozenset()))
    if not home or family in allowed:
        return region, action, dirs
    return home, action, (dirs if (FAMILY[home], action) in LEXICON.directional else ())  # a tilt keeps its side

