"""Identities: the tracks of one person, linked across shots and across exits and re-entries.

A track ends at every shot boundary and whenever a person leaves for longer than the tracker's
``max_age``; on edited footage one person is therefore many tracks.  Tracks are linked by appearance
with average-linkage agglomerative clustering over their mean identity features, under one constraint
scikit-learn's clustering cannot express: two tracks visible on the same frame are two people, so
clusters that share a frame never merge.  Merging stops when the closest pair of clusters has a mean
cosine similarity under ``link_sim``.  Tracks per clip are few (tens), so the O(n³) loop is
immaterial next to detection.

The default ``link_sim`` (0.4) was chosen by measurement (bench/identities.py, docs/benchmarks.md): SFace
mean features of one person at face sizes from 60 to 250 px are ≥ 0.73 similar, of two people ≤ 0.16,
and single frames of the real carphone clip are ≥ 0.40 similar to each other.
"""

from __future__ import annotations

import numpy as np


def mean_feature(features: list[np.ndarray]) -> np.ndarray | None:
    if not features:
        return None
    m = np.mean(np.asarray(features, np.float64), axis=0)
    n = np.linalg.norm(m)
    return (m / n) if n > 1e-12 else None


def link_identities(features: list[list[np.ndarray]], frames: list[list[int]], link_sim: float = 0.4) -> list[int]:
    """An identity label per track (0-based, numbered by first track), from the tracks' features
    and the frames each track is visible on."""
    n = len(features)
    means = [mean_feature(f) for f in features]
    clusters: list[list[int]] = [[i] for i in range(n)]
    seen = [set(f) for f in frames]
    sim = np.full((n, n), -np.inf)
    for i in range(n):
        for j in range(i + 1, n):
            if means[i] is not None and means[j] is not None and not (seen[i] & seen[j]):
                sim[i, j] = sim[j, i] = float(means[i] @ means[j])
    while True:
        best, pair = link_sim, None
        for a in range(len(clusters)):
            for b in range(a + 1, len(clusters)):
                s = _average(sim, clusters[a], clusters[b])
                if s >= best:
                    best, pair = s, (a, b)
        if pair is None:
            break
        a, b = pair
        clusters[a] = sorted(clusters[a] + clusters.pop(b))
    clusters.sort(key=lambda c: c[0])
    labels = [0] * n
    for k, members in enumerate(clusters):
        for i in members:
            labels[i] = k
    return labels


def _average(sim: np.ndarray, a: list[int], b: list[int]) -> float:
    """Mean similarity between two clusters; -inf when any two of their tracks share a frame."""
    block = sim[np.ix_(a, b)]
    return -np.inf if np.isneginf(block).any() else float(block.mean())
