"""Instruction-tuning data from annotations (paper §4.3, supplement §10).

Each annotated clip becomes one conversation in VideoLLaMA2's format: a human turn ``<video>\\n`` + one of
20 equivalent instructions (the paper picks one of 20 phrasings per sample) and a gpt turn with the
caption.  The paper trains on appearance attributes and facial changes without the annotators'
subjective inferences, which the FDA annotations mark with brackets: those spans are removed unless
asked otherwise.  Instruction choice and the train/test split depend only on (seed, id), so they do
not change when the input is reordered or grows.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# This project's own phrasings of the supplement's Fig. 9 instruction (same request, varied wording).
INSTRUCTIONS = [
    "Please provide a detailed description of the facial appearance attributes and expression changes of the character in the video, including their expression state at the beginning and end of the video.",
    "Describe in detail how the main character's face looks and how their expression changes over the video, noting how it starts and how it ends.",
    "What does the person in the video look like, and how does their facial expression evolve from the first moment to the last? Please be detailed.",
    "Give a thorough account of the character's facial features and of every change in their expression during the video, including the opening and closing expressions.",
    "Walk me through the facial appearance of the person in this video and the way their expression shifts, from the beginning to the end.",
    "Provide a detailed caption of the main character's face: its attributes, the expression changes that happen, and the expression at the start and at the finish.",
    "Carefully describe the person's facial characteristics and the dynamics of their expression throughout the clip, mentioning the initial and final states.",
    "Explain in detail the appearance of the character's face and how their expressions change over time in the video, from start to end.",
    "Could you describe the facial attributes of the person in the video and trace how their expression develops, including how it begins and ends?",
    "Write a detailed description of the main person's facial appearance and the sequence of expression changes in the video, covering the beginning and the end.",
    "Detail the visible facial features of the character and every noticeable change in their expression across the video, including their first and last expressions.",
    "In detail, what are the facial appearance traits of the person shown, and how does their expression change as the video goes on, up to the end?",
    "Describe the character's face and the progression of their facial expressions in this video, being specific about the opening and closing moments.",
    "Please characterise the person's facial attributes and give a detailed account of how their expression changes from the start of the video to its end.",
    "Tell me in detail about the facial appearance of the main character and how their expression transforms during the video, including the initial and final expressions.",
    "Produce a detailed description covering the facial features of the person in the video, the changes in their expression, and their expression at the beginning and end.",
    "How does the main character look, and how do their facial movements and expressions change throughout the video? Include the expressions at the start and the end.",
    "Give a detailed narrative of the person's facial appearance and of the expression changes that occur in the video, from the first frame to the last.",
    "Describe, in detail, the facial attributes of the character and the way their expression unfolds over the course of the video, including how it begins and concludes.",
    "Provide a comprehensive description of the character's face in the video and the evolution of their expression, paying attention to the beginning and the end.",
]

_BRACKETS = re.compile(r"[ \t]*\[[^\[\]]*\]")  # innermost spans; spaces before them, never newlines
_SPACE_PUNCT = re.compile(r"[ \t]+([,.;:!?])")


def strip_inferences(text: str) -> str:
    """Remove bracketed inference spans (nested ones too) and tidy what they leave behind."""
    out, prev = text, None
    while out != prev:  # innermost first, until no span is left
        prev, out = out, _BRACKETS.sub("", out)
    out = _SPACE_PUNCT.sub(r"\1", out)
    out = re.sub(r",(\s*,)+", ",", out)  # "A, [b], c." -> "A, c."
    out = re.sub(r",\s*([.;!?])", r"\1", out)
    out = re.sub(r"^[ \t]*[,.;:]+[ \t]*", "", out, flags=re.M)  # a line that began with a span
    out = re.sub(r"[ \t]+", " ", out)
    out = re.sub(r" *\n *", "\n", out)
    return out.strip()


def caption_of(rec: dict[str, Any], with_summary: bool = False) -> str | None:
    """The caption text of an annotation record: ``caption``, or structured parts joined."""
    if isinstance(rec.get("caption"), str):
        return rec["caption"]
    parts = [rec.get("attributes"), rec.get("facial_changes")] + ([rec.get("summary")] if with_summary else [])
    texts = [p.strip() for p in parts if isinstance(p, str) and p.strip()]
    return "\n".join(texts) if texts else None


def _unit(seed: int, rid: str, salt: str) -> float:
    h = hashlib.sha256(f"{salt}:{seed}:{rid}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def choose_instruction(rid: str, seed: int) -> int:
    return int(_unit(seed, rid, "instruction") * len(INSTRUCTIONS))


def in_test_split(rid: str, seed: int, test_size: float) -> bool:
    return _unit(seed, rid, "split") < test_size


def conversation(rid: str, video: str, caption: str, k: int) -> dict[str, Any]:
    return {
        "id": rid,
        "video": video,
        "conversations": [{"from": "human", "value": "<video>\n" + INSTRUCTIONS[k]}, {"from": "gpt", "value": caption}],
        "instruction_index": k,
    }


@dataclass
class Stats:
    """Fig. 2-style dataset statistics, per source."""

    tokens: dict[str, list[int]] = field(default_factory=dict)
    keywords: dict[str, list[int]] = field(default_factory=dict)
    durations: dict[str, list[float]] = field(default_factory=dict)
    top_keywords: Counter = field(default_factory=Counter)

    def add(self, source: str, caption: str, duration: float | None) -> None:
        from fdacli.core.score.judges.local import ACTIONS

        words = caption.split()
        kws = [m.group(0) for m in ACTIONS.finditer(caption.lower())]
        self.tokens.setdefault(source, []).append(len(words))
        self.keywords.setdefault(source, []).append(len(kws))
        self.top_keywords.update(kws)
        if duration is not None:
            self.durations.setdefault(source, []).append(duration)

    def rows(self) -> list[list[Any]]:
        out = []
        for src in sorted(self.tokens):
            t, k, d = self.tokens[src], self.keywords[src], self.durations.get(src, [])
            out.append([src, len(t), round(sum(t) / len(t), 1), round(sum(k) / len(k), 1),
                        round(sum(d) / len(d), 2) if d else None])
        return out


def source_of(video: str) -> str:
    """The dataset a clip comes from: the first folder of its relative path (e.g. ``DFEW/videos/1.mp4``)."""
    parts = [p for p in re.split(r"[\\/]", video) if p and p not in (".", "..")]
    return parts[0] if len(parts) > 1 else "(none)"
