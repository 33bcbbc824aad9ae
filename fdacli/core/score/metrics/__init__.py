"""Caption metrics: TEM and AutoDQ (event based), CIDEr-D and ROUGE-L (n-gram based), and the judge's
Video-ChatGPT-style scores.

The registry below is where a metric owns its leaderboard columns: the name a user passes to
``--metrics``, the summary keys it fills and how they are labelled in the table and the report.  A new
metric adds its entry here and its computation in core/score/scoring.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str  # the summary field in scores.json
    label: str  # in the markdown report
    short: str  # in the terminal table (80 columns)
    scale: str = "0–1"  # values on one scale share a plot panel


REGISTRY: dict[str, tuple[Column, ...]] = {
    "judge": (Column("correctness", "Correctness", "Correct.", "0–5"), Column("detail", "Detail", "Detail", "0–5"),
              Column("context", "Context", "Context", "0–5"), Column("temporal", "Temporal", "Temporal", "0–5"),
              Column("consistency", "Consistency", "Consist.", "0–5")),
    "cider": (Column("cider", "CIDEr", "CIDEr", "0–10"),),
    "rouge": (Column("rouge_l", "ROUGE-L", "ROUGE-L"),),
    "autodq": (Column("autodq", "AutoDQ", "AutoDQ"),),
    # Algorithm 1 (the default) and, always beside it, the reference-normalised TEM (metrics/tem.py)
    "tem": (Column("tem", "TEM", "TEM"), Column("tem_ref", "TEM (ref-normalised)", "TEM-ref")),
    # --grounding: caption events checked against the measured facial actions (core/score/grounding.py)
    "grounding": (Column("grounded_precision", "Grounded precision", "Grounded"),
                  Column("contradiction_rate", "Contradicted", "Contra.")),
}
METRICS = ("tem", "autodq", "cider", "rouge", "judge")  # computation order (events first)


def leaderboard_columns(summaries: list[dict]) -> list[Column]:
    """The columns, in leaderboard order, that at least one model has a value for."""
    return [c for cols in REGISTRY.values() for c in cols if any(s.get(c.key) is not None for s in summaries)]
