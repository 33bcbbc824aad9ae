"""Each measure's distribution over the screened clips with its threshold drawn in, one PNG per measure, so a
user picks thresholds by looking at where their clips fall rather than by guessing."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fdacli.core.run.records import Record, atomic_write_bytes


@dataclass(frozen=True)
class Measure:
    """One plotted measure: where its value and threshold sit in a screen record, and which side drops."""

    name: str  # the file name and the option it is set by
    title: str
    criterion: str
    value: Callable[[Any], Any]
    threshold: Callable[[Any], Any]
    drops: str  # which side of the threshold drops, in words
    integer: bool = False
    log: bool = False


MEASURES = (
    Measure("face_area", "main face's share of the frame (--min-face-area)", "face_size", lambda v: v, lambda t: t, "below"),
    Measure("people_at_once", "people at once (--max-people-at-once)", "people", lambda v: v["at_once"], lambda t: t["at_once"], "above", integer=True),
    Measure("people", "people in the clip (--max-people)", "people", lambda v: v["total"], lambda t: t["total"], "above", integer=True),
    Measure("cuts_per_second", "cuts per second (--max-cuts-per-second)", "perspective_switches", lambda v: v["cuts_per_second"],
            lambda t: t["cuts_per_second"], "above"),
    Measure("shortest_shot", "shortest shot between cuts, s (--min-shot)", "perspective_switches", lambda v: v["shortest_shot"],
            lambda t: t["shortest_shot"], "below"),
    Measure("picture_change", "picture change per frame, 0-255 (--still-picture)", "static", lambda v: v["picture_change"],
            lambda t: t["picture_change"], "still below (static: picture and face still)", log=True),
    Measure("face_motion", "main face movement, face widths (--still-face)", "static", lambda v: v["face_motion"],
            lambda t: t["face_motion"], "still below (static: picture and face still)", log=True),
    Measure("changes_per_second", "facial changes per second (--min-changes, --max-changes)", "facial_change",
            lambda v: v["per_second"], lambda t: (t["min_per_second"], t["max_per_second"]), "outside"),
    Measure("strongest_change", "strongest change, x its detection threshold (--min-strength)", "facial_change",
            lambda v: v["strongest"], lambda t: t["min_strength"], "below"),
)


def values_of(records: list[Record], m: Measure) -> tuple[list[float], Any]:
    """The measure's values over the clips where it was measured, and the threshold the records were screened with."""
    values, threshold = [], None
    for rec in records:
        crit = (rec.get("criteria") or {}).get(m.criterion)
        if not crit or crit.get("value") is None:
            continue
        v = m.value(crit["value"])
        if v is not None:
            values.append(float(v))
            threshold = m.threshold(crit["threshold"])
    return values, threshold


def plot_measures(records: list[Record], folder: Path) -> list[Path]:
    """Write ``FOLDER/<measure>.png`` for every measure measured on at least one clip; return the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    written = []
    for m in MEASURES:
        values, threshold = values_of(records, m)
        if not values:
            continue
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        _histogram(ax, values, m)
        for t in (threshold if isinstance(threshold, tuple) else (threshold,)):
            ax.axvline(_shown(t, m), color="tab:red", lw=1.5)
        words = m.drops if m.drops.startswith("still") else f"drop {m.drops}"
        ax.set_title(f"{m.title}\n{len(values)} clip(s); red: threshold, {words}", fontsize=9)
        ax.set_ylabel("clips")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        plt.close(fig)
        path = folder / f"{m.name}.png"
        atomic_write_bytes(path, buf.getvalue())  # a kill leaves the old figure or the new one, never half of one
        written.append(path)
    return written


def _shown(x: float, m: Measure) -> float:
    """On a log axis zero has no place: it is drawn at the axis floor."""
    return max(x, 1e-4) if m.log else x


def _histogram(ax: Any, values: list[float], m: Measure) -> None:
    import numpy as np

    v = np.asarray([_shown(x, m) for x in values])
    if m.integer:
        bins = np.arange(v.min() - 0.5, v.max() + 1.5)
    elif m.log:
        bins = np.geomspace(max(v.min(), 1e-4), max(v.max(), v.min() * 10, 1e-3), 30)
        ax.set_xscale("log")
    else:
        bins = 30 if np.ptp(v) > 0 else 1
    ax.hist(v, bins=bins, color="tab:blue", alpha=0.8)
