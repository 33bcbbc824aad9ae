"""Contracts between commands (issue 25): readers linear in what they read."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from events import CAPTION, record  # noqa: E402

from fdacli.core.score.grounding import ground  # noqa: E402
from fdacli.core.text.timeline import caption, hints  # noqa: E402


def _time(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def test_grounding_hints_and_timeline_captions_are_linear_in_events():
    """Ten times the events cost about ten times the time (a quadratic reader would take a hundred times);
    a ratio of two sizes measured in the same run, no absolute timing."""
    small, big = record(4_000), record(40_000)
    for fn in (lambda r: ground(CAPTION, r), lambda r: hints(r["events"]), lambda r: caption(r["events"], 4_000.0)):
        t_small, t_big = _time(lambda: fn(small)), _time(lambda: fn(big))
        assert t_big / max(t_small, 1e-4) < 35, (t_small, t_big)


def test_repeated_events_change_no_verdict():
    one, many = record(6), record(6_000)
    assert ground(CAPTION, one)["events"] == ground(CAPTION, many)["events"]
    assert hints(many["events"]).splitlines()[:5] == hints(one["events"]).splitlines()[:5]
