"""The facial-action vocabulary: words for face regions and for what they do.

Shared by the offline judge (core/score/judges/local.py), which finds events with it, and by dataset
statistics (core/dataset/instructions.py), which count action keywords per caption as in the paper's Fig. 2.
"""

from __future__ import annotations

import re

FACE_PARTS = re.compile(
    r"\b(eyes?|eyelids?|eyeballs?|eyebrows?|brows?|forehead|nose|nostrils?|cheeks?|mouth|lips?|teeth|tongue|jaw|chin|"
    r"face|facial|head|gaze|expression|smile|frown|corners?)\b"
)
ACTIONS = re.compile(
    r"\b(open\w*|clos\w*|shut\w*|rais\w*|lift\w*|lower\w*|drop\w*|droop\w*|widen\w*|wide|narrow\w*|squint\w*|blink\w*|"
    r"smil\w*|grin\w*|frown\w*|furrow\w*|knit\w*|purs\w*|press\w*|part\w*|curl\w*|pull\w*|stretch\w*|tight\w*|tens\w*|"
    r"relax\w*|turn\w*|tilt\w*|nod\w*|shak\w*|look\w*|glanc\w*|gaz\w*|star\w*|mov\w*|roll\w*|flar\w*|clench\w*|"
    r"appear\w*|trembl\w*|quiver\w*|sag\w*|bit\w*|lick\w*|speak\w*|spok\w*|talk\w*|laugh\w*|cr(y|ies|ied|ying)|sob\w*|scream\w*|shout\w*|"
    r"yawn\w*|swallow\w*|twitch\w*|upturn\w*|downturn\w*|reveal\w*|show\w*|expos\w*|puff\w*|sway\w*|lean\w*|rais\w*|"
    r"sink\w*|rise\w*|rose|slant\w*|pout\w*|sneer\w*|wink\w*|roll\w*)\b"
)
