"""Temporal Event Matching (paper §3.4, Algorithm 1).

Given the events extracted from a prediction (E_G) and a reference (E_R), and a relation for every
(pred, ref) pair — Same Meaning, Opposite Meaning or No Relation — TEM is the mean of
  * an order score: the longest common subsequence of the two event sequences, where two events are
    "equal" when their relation is Same Meaning, normalised to [0, 1]; and
  * an F-measure: precision = share of predicted events with a Same partner, recall = share of
    reference events with a Same partner, F = 2PR / (P + R).

Normalisation.  Algorithm 1 returns L[m][n] / m with m = |E_G| (the prediction), while the prose speaks
of a proportion of E_R.  Both are offered (``lcs_norm="pred"`` — the default, as Algorithm 1 — or
``"ref"``) and the choice is recorded with every score.  The reference-normalised TEM is always
reported beside it (``tem_ref``): under Algorithm 1 a one-event caption whose event matches scores an
order score of 1 and can outrank a complete caption; dividing by |E_R| does not reward saying less.
Empty event lists: a side with no events
gives 0 for what divides by it; two empty sides give 0 (nothing was described that could match).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SAME, OPPOSITE, NONE = "same", "opposite", "none"
RELATIONS = (SAME, OPPOSITE, NONE)
LcsNorm = Literal["pred", "ref"]


@dataclass(frozen=True)
class TemResult:
    tem: float
    lcs: float  # normalised LCS score
    lcs_length: int
    precision: float
    recall: float
    f: float
    opposite_pairs: int
    pairs: int
    tem_ref: float  # TEM with the LCS divided by |E_R|, whatever ``lcs_norm`` chose for ``tem``

    def as_dict(self) -> dict:
        return {
            "tem": self.tem, "tem_ref": self.tem_ref, "lcs": self.lcs, "lcs_length": self.lcs_length,
            "precision": self.precision, "recall": self.recall, "f": self.f, "opposite_pairs": self.opposite_pairs,
            "pairs": self.pairs,
        }


def lcs_length(relations: list[list[str]]) -> int:
    """LCS of pred (rows) and ref (columns) sequences with Same Meaning as equality."""
    m = len(relations)
    n = len(relations[0]) if m else 0
    prev = [0] * (n + 1)
    for i in range(1, m + 1):
        cur = [0] * (n + 1)
        row = relations[i - 1]
        for j in range(1, n + 1):
            cur[j] = prev[j - 1] + 1 if row[j - 1] == SAME else max(prev[j], cur[j - 1])
        prev = cur
    return prev[n]


def tem_score(relations: list[list[str]], n_pred: int, n_ref: int, lcs_norm: LcsNorm = "pred") -> TemResult:
    """TEM from the |E_G| x |E_R| relation matrix (rows: predicted events in order)."""
    if len(relations) != n_pred or any(len(r) != n_ref for r in relations):
        raise ValueError(f"relation matrix must be {n_pred} x {n_ref}")
    for row in relations:
        for r in row:
            if r not in RELATIONS:
                raise ValueError(f"unknown relation {r!r}; expected one of {RELATIONS}")
    length = lcs_length(relations) if n_pred and n_ref else 0
    denom = n_pred if lcs_norm == "pred" else n_ref
    lcs = length / denom if denom else 0.0
    precision = sum(any(r == SAME for r in row) for row in relations) / n_pred if n_pred else 0.0
    recall = sum(any(relations[i][j] == SAME for i in range(n_pred)) for j in range(n_ref)) / n_ref if n_ref and n_pred else 0.0
    f = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    opposite = sum(r == OPPOSITE for row in relations for r in row)
    lcs_ref = length / n_ref if n_ref else 0.0
    return TemResult(
        tem=(lcs + f) / 2, lcs=lcs, lcs_length=length, precision=precision, recall=recall, f=f,
        opposite_pairs=opposite, pairs=n_pred * n_ref, tem_ref=(lcs_ref + f) / 2,
    )
