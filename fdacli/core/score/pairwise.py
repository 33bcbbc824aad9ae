"""Agreement between texts that are all of one kind — annotators' versions of one clip — by the metrics
`fda score` uses against references: TEM (with any judge) for facial changes, ROUGE-L F1 for plain text.

TEM is asymmetric (Algorithm 1 divides the order score by the first side's events), so the agreement of two
versions is the mean of TEM both ways.  Two versions that both hold no facial-action event (a clip with "no
obvious change") fall back to ROUGE-L, since TEM would give 0 to two identical texts.  Results are plain
matrices and notes: the review stage reads them without importing this one.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from fdacli.core.score.metrics.ngram import rouge_l_f1
from fdacli.core.score.metrics.tem import OPPOSITE, SAME, tem_score

Group = list[str]
Result = tuple[list[list[float | None]], dict[tuple[int, int], str], str | None]  # matrix, notes, error


def _plain(a: str, b: str) -> float:
    """ROUGE-L F1 of two texts; two empty ones agree fully, one empty one not at all."""
    a, b = a.strip(), b.strip()
    return 1.0 if not a and not b else round(rouge_l_f1(a, b), 4)


def _blank(n: int) -> list[list[float | None]]:
    return [[1.0 if i == j else None for j in range(n)] for i in range(n)]


def rouge_agreement(groups: list[Group]) -> list[Result]:
    """ROUGE-L F1 of every pair (symmetric); two empty texts agree fully, one empty one not at all."""
    out = []
    for texts in groups:
        m = _blank(len(texts))
        for i, j in combinations(range(len(texts)), 2):
            m[i][j] = m[j][i] = _plain(texts[i], texts[j])
        out.append((m, {}, None))
    return out


def tem_agreement(judge: Any, groups: list[Group]) -> list[Result]:
    """Symmetric TEM of every pair of each group, with a note naming the events one side has and the other
    lacks, and the events they contradict.  The judge is asked once for all events and once for all pairs,
    so an LLM judge batches its calls."""
    flat = [t for g in groups for t in g]
    events = judge.extract_events(flat) if flat else []
    offsets, k = [], 0
    for g in groups:
        offsets.append(k)
        k += len(g)
    asked: list[tuple[int, int, int]] = []  # (group, i, j) of the pairs the judge is asked about
    pairs = []
    for gi, g in enumerate(groups):
        for i, j in combinations(range(len(g)), 2):
            ei, ej = events[offsets[gi] + i], events[offsets[gi] + j]
            if isinstance(ei, list) and isinstance(ej, list) and ei and ej:
                asked.append((gi, i, j))
                pairs.append((ei, ej))
    rels = judge.relations(pairs) if pairs else []
    found = {key: r for key, r in zip(asked, rels)}
    return [_group(judge, g, [events[offsets[gi] + i] for i in range(len(g))], found, gi) for gi, g in enumerate(groups)]


def _group(judge: Any, texts: Group, events: list[Any], found: dict, gi: int) -> Result:
    m, notes, errors = _blank(len(texts)), {}, []
    for i, j in combinations(range(len(texts)), 2):
        ei, ej = events[i], events[j]
        bad = next((e for e in (ei, ej) if isinstance(e, Exception)), None)
        if bad is not None:
            errors.append(f"events: {bad}")
            continue
        if not ei and not ej:
            m[i][j] = m[j][i] = _plain(texts[i], texts[j])
            continue
        if not ei or not ej:
            m[i][j] = m[j][i] = 0.0
            notes[(i, j)] = _note(ei, ej, None, judge)
            continue
        rel = found.get((gi, i, j))
        if isinstance(rel, Exception) or rel is None:
            errors.append(f"relations: {rel}")
            continue
        there = tem_score(rel, len(ei), len(ej)).tem
        back = tem_score([list(r) for r in zip(*rel)], len(ej), len(ei)).tem
        m[i][j] = m[j][i] = round((there + back) / 2, 4)
        notes[(i, j)] = _note(ei, ej, rel, judge)
    return m, notes, ("; ".join(dict.fromkeys(errors))[:300] if errors else None)


def _note(a: list[str], b: list[str], rel: list[list[str]] | None, judge: Any) -> str:
    """Where two versions differ, in the events the judge read: what they say in opposite ways, and what only
    one of them says.  An event the other side also says is no contradiction, even when the other side says
    its opposite too ("opens and closes" against "opens and closes")."""
    rel = rel or [["none"] * len(b) for _ in a]
    lone_a = [i for i in range(len(a)) if not any(r == SAME for r in rel[i])]
    lone_b = [j for j in range(len(b)) if not any(rel[i][j] == SAME for i in range(len(a)))]
    opposite = [(i, j) for i in lone_a for j in lone_b if rel[i][j] == OPPOSITE]
    said = {i for i, _ in opposite}, {j for _, j in opposite}
    parts = []
    if opposite:
        parts.append("opposite: " + "; ".join(f"{a[i]} ⟷ {b[j]}" for i, j in opposite))
    if only_a := [str(a[i]) for i in lone_a if i not in said[0]]:
        parts.append("only in A: " + "; ".join(only_a))
    if only_b := [str(b[j]) for j in lone_b if j not in said[1]]:
        parts.append("only in B: " + "; ".join(only_b))
    return " · ".join(parts) if parts else "the same events in both"
