"""StrongSORT-style multi-face tracking, implemented from the StrongSORT paper's description.

kalman.py — the (x, y, a, h, vx, vy, va, vh) constant-velocity filter with NSA measurement noise;
association.py — cost matrices, gating and assignment; lifecycle.py — the track lifecycle.
"""

from fdacli.core.track.tracker.lifecycle import Track, Tracker, TrackerConfig

__all__ = ["Track", "Tracker", "TrackerConfig"]
