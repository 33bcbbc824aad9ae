"""Main vs background characters: per-trajectory features and 2-means clustering (paper §4.2.2).

The pipeline (core/track/pipeline.py) applies it to identities — all tracks of one person pooled — since on
edited footage one person is many trajectories; on a clip without cuts or exits the two coincide.

Features per trajectory: total area — the sum over its frames of box area / frame area, so it grows
with both time on screen and face size — and the mean pairwise cosine similarity of its identity
features (a clean single-identity track is self-similar).  K-means with 2 clusters splits them; the
cluster with the larger mean total area is "main".

The paper does not say how the two features are scaled.  Raw total area is unbounded (it counts
frames) while similarity lives in [-1, 1], so here the area is divided by the largest area in the
clip: both features then span comparable ranges and the split is invariant to clip length.
Degenerate cases are decided explicitly, not left to K-means:
  * no track: no main character;   * one track: it is main;
  * all tracks with (near-)identical features: all are main — nothing tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TrackStats:
    area: float
    similarity: float


def track_stats(boxes: list[np.ndarray], features: list[np.ndarray], frame_area: float) -> TrackStats:
    """Total normalised area and mean pairwise cosine similarity of one trajectory."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    area = float(np.sum(np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)) / frame_area)
    if len(features) < 2:
        sim = 1.0  # one observation is trivially consistent with itself
    else:
        f = np.asarray(features, np.float64)
        f /= np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)
        g = f @ f.T
        n = len(f)
        sim = float((g.sum() - np.trace(g)) / (n * (n - 1)))
    return TrackStats(area=area, similarity=sim)


def select_main(stats: list[TrackStats], seed: int = 0) -> list[bool]:
    """Which trajectories are main characters; deterministic for a given input."""
    n = len(stats)
    if n == 0:
        return []
    if n == 1:
        return [True]
    areas = np.array([s.area for s in stats])
    x = np.column_stack([areas / max(areas.max(), 1e-12), [s.similarity for s in stats]])
    if np.ptp(x, axis=0).max() < 1e-6:
        return [True] * n
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    # A few dozen points: OpenMP's threads cost far more than they share.  In the tracking process (OpenCV,
    # FFmpeg and two BLAS libraries loaded) one clip's split took 155 ms of CPU with scikit-learn's default two
    # threads — spinning at the barrier of every Lloyd iteration — and 6 ms on one; the same labels (under 256
    # points scikit-learn's Lloyd works on one chunk, on one thread, either way).
    with threadpool_limits(limits=1, user_api="openmp"):
        labels = KMeans(n_clusters=2, n_init=10, random_state=seed).fit_predict(x)
    if len(set(labels.tolist())) < 2:
        return [True] * n
    mean_area = [areas[labels == k].mean() for k in (0, 1)]
    main = int(np.argmax(mean_area))
    return [bool(lab == main) for lab in labels]
