"""Agreement between the annotators of one clip: the mean pairwise agreement, the medoid, the majority's drops.

How two texts are compared is handed in (the command builds it from `fda score`'s judges: TEM for the facial
changes, ROUGE-L for the other parts), so this stage knows nothing of judges and any judge `fda score` takes
serves here too.  A comparer takes groups of texts (one group per clip) and returns, per group, a symmetric
matrix of agreement in [0, 1] and notes on where two texts differ.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Pairwise:
    """Agreement of every pair of one clip's texts; ``None`` where the comparer failed for that pair."""

    matrix: list[list[float | None]]
    notes: dict[tuple[int, int], str] = field(default_factory=dict)  # (i, j), i < j -> where they differ
    error: str | None = None  # why the comparer could not compare this group at all


Comparer = Callable[[list[list[str]]], list[Pairwise]]


def mean_pairwise(p: Pairwise) -> float | None:
    """The mean over distinct pairs; ``None`` for fewer than two texts or when no pair was compared."""
    n = len(p.matrix)
    vals = [p.matrix[i][j] for i in range(n) for j in range(i + 1, n) if p.matrix[i][j] is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def medoid(p: Pairwise) -> int | None:
    """The text that agrees most with the others (the first of equals: the earliest annotation)."""
    n = len(p.matrix)
    if n == 0:
        return None
    if n == 1:
        return 0
    sums = [sum(v for j, v in enumerate(p.matrix[i]) if j != i and v is not None) for i in range(n)]
    return max(range(n), key=lambda i: (sums[i], -i))


def majority(drops: list[list[str]]) -> tuple[dict[str, int], list[str]]:
    """Drop votes per reason, and what the majority decided: whether to drop is decided first (more than half of
    the annotators dropped the clip, whatever their reasons), then the reasons are those chosen by most droppers
    (ties kept) — three annotators dropping for three reasons still drop the clip."""
    votes = Counter(r for d in drops for r in dict.fromkeys(d))
    droppers = sum(1 for d in drops if d)
    if 2 * droppers <= len(drops) or not votes:
        return dict(sorted(votes.items())), []
    top = max(votes.values())
    return dict(sorted(votes.items())), [r for r, k in sorted(votes.items()) if k == top]
