"""Key frames that show the main character (paper §4.2.2, last paragraph).

N frames evenly spaced over the analysed frames; one without a main face is replaced by the nearest
analysed frame that has one.  Among equally near candidates the earlier wins, and a candidate not
already chosen is preferred, so that a stretch without the main face does not collapse several key
frames onto one — unless there is nothing else to choose.
"""

from __future__ import annotations

from fdacli.core.media.schedule import uniform_positions


def select_key_frames(sampled: list[int], with_main: set[int], n: int) -> list[int]:
    """Source frame indices of ``n`` key frames, in temporal order."""
    base = [sampled[p] for p in uniform_positions(len(sampled), n)]
    candidates = [f for f in sampled if f in with_main]
    if not candidates:
        return base
    chosen: list[int] = []
    for f in base:
        if f in with_main and f not in chosen:
            chosen.append(f)
            continue
        ranked = sorted(candidates, key=lambda c: (abs(c - f), c))
        free = [c for c in ranked if c not in chosen]
        chosen.append(free[0] if free else ranked[0])
    return sorted(chosen)
