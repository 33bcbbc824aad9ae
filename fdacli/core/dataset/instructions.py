"""Instruction-tuning data from annotations (paper §4.3, supplement §10).

Each annotated clip becomes one conversation in VideoLLaMA2's format: a human turn ``<video>\\n`` + one of
20 equivalent instructions (the paper picks one of 20 phrasings per sample) and a gpt turn with the
caption.  The paper trains on appearance attributes and facial changes without the annotators'
subjective inferences, which the FDA annotations mark with brackets: those spans are removed unless
asked otherwise.  Instruction choice and the train/test split depend only on (seed, id), so they do
not change when the input is reordered or grows.
"""

from __future__ import annotations

import re
from typing import Any

from fdacli.core.model.instructions import INSTRUCTIONS, stable_unit
from fdacli.core.run.schemas import TRAINING

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


def in_test_split(rid: str, seed: int, test_size: float) -> bool:
    return stable_unit(seed, rid, "split") < test_size


def test_ids(ids: list[str], seed: int, test_size: float) -> set[str]:
    """The test split, as scikit-learn reads ``test_size``: a float in (0, 1) is a fraction (each id is in
    when its seeded draw is under it, so an id's side never depends on the others), an integer ≥ 1 a
    count (the ids with the smallest draws; the paper holds out 1,000 of 5,033 clips)."""
    if 0 < test_size < 1:
        return {i for i in ids if in_test_split(i, seed, test_size)}
    n = int(test_size)
    if n != test_size or n < 1:
        raise ValueError(f"test size {test_size}: use a fraction in (0, 1) or a whole number of clips")
    if n >= len(ids):
        raise ValueError(f"test size {n} leaves no training clip ({len(ids)} usable clips)")
    return set(sorted(ids, key=lambda i: stable_unit(seed, i, "split"))[:n])


def conversation(rid: str, video: str, caption: str, k: int) -> dict[str, Any]:
    return {
        "id": rid,
        "version": TRAINING,
        "video": video,
        "conversations": [{"from": "human", "value": "<video>\n" + INSTRUCTIONS[k]}, {"from": "gpt", "value": caption}],
        "instruction_index": k,
    }
