"""Cost matrices and assignment for matching tracks to detections."""

from __future__ import annotations

import numpy as np

INFEASIBLE = 1e5


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of (N, 4) and (M, 4) x1y1x2y2 boxes."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    a, b = np.asarray(a, np.float64)[:, None, :], np.asarray(b, np.float64)[None, :, :]
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return inter / np.maximum(area_a + area_b - inter, 1e-9)


def cosine_distance(track_feats: np.ndarray, det_feats: np.ndarray) -> np.ndarray:
    """1 - cosine similarity of L2-normalised rows."""
    if len(track_feats) == 0 or len(det_feats) == 0:
        return np.zeros((len(track_feats), len(det_feats)))
    return 1.0 - track_feats @ det_feats.T


def assign(cost: np.ndarray, max_cost: float) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Minimum-cost assignment; pairs costlier than ``max_cost`` are left unmatched.

    Returns (matches as (row, col), unmatched rows, unmatched cols).
    """
    from scipy.optimize import linear_sum_assignment

    rows, cols = cost.shape
    if rows == 0 or cols == 0:
        return [], list(range(rows)), list(range(cols))
    r, c = linear_sum_assignment(np.minimum(cost, INFEASIBLE))
    matches = [(int(i), int(j)) for i, j in zip(r, c) if cost[i, j] <= max_cost]
    mr = {i for i, _ in matches}
    mc = {j for _, j in matches}
    return matches, [i for i in range(rows) if i not in mr], [j for j in range(cols) if j not in mc]
