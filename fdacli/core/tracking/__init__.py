"""StrongSORT-style multi-face tracking, implemented from the StrongSORT paper's description.

kalman.py — the (x, y, a, h, vx, vy, va, vh) constant-velocity filter with NSA measurement noise;
association.py — cost matrices, gating and assignment; tracker.py — the track lifecycle.
"""

from fdacli.core.tracking.tracker import Track, Tracker, TrackerConfig

__all__ = ["Track", "Tracker", "TrackerConfig"]
