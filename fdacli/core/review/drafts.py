"""A vision model's draft as the three parts of the paper's annotation, so each annotator corrects parts.

The pre-annotation prompt (supplement Fig. 5) asks for one flowing paragraph.  FEC-Style text reads in a
fixed order — who the person is and what they look like, then what the face does, then sometimes an overall
impression — so the paragraph is cut at sentence boundaries by what each sentence holds: the opening
sentences without a facial action are the attributes, everything from the first facial action to the last
is the facial changes, and closing sentences without one (or that sum up: "Overall, ...") are the summary.  Nothing is reworded or dropped:
joining the parts gives back the draft's sentences in order.
"""

from __future__ import annotations

import re

from fdacli.core.text import grammar

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_SUMMING_UP = re.compile(r"^(?:overall|in summary|in conclusion|in general|to sum up|all in all|in short)\b", re.I)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text or "") if s.strip()]


def split_draft(text: str) -> dict[str, str]:
    """``{"attributes", "facial_changes", "summary"}`` from one paragraph (any part may be empty)."""
    sents = sentences(text)
    moving = [bool(grammar.parse(s)) and not _SUMMING_UP.match(s) for s in sents]
    if not any(moving):  # nothing the grammar reads as a facial action: all of it is for the annotator to sort
        return {"attributes": "", "facial_changes": " ".join(sents), "summary": ""}
    first = moving.index(True)
    last = len(moving) - 1 - moving[::-1].index(True)
    return {
        "attributes": " ".join(sents[:first]),
        "facial_changes": " ".join(sents[first:last + 1]),
        "summary": " ".join(sents[last + 1:]),
    }
