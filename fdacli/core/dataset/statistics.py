"""Dataset statistics in the manner of the paper's Fig. 2: tokens and facial-action keywords per caption,
and clip durations, per source dataset — as table rows and as histograms."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fdacli.core.media.images import save_figure
from fdacli.core.text.actions import ACTIONS


@dataclass
class Stats:
    """Fig. 2-style dataset statistics, per source."""

    tokens: dict[str, list[int]] = field(default_factory=dict)
    keywords: dict[str, list[int]] = field(default_factory=dict)
    durations: dict[str, list[float]] = field(default_factory=dict)
    top_keywords: Counter = field(default_factory=Counter)

    def add(self, source: str, caption: str, duration: float | None) -> None:
        words = caption.split()
        kws = [m.group(0) for m in ACTIONS.finditer(caption.lower())]
        self.tokens.setdefault(source, []).append(len(words))
        self.keywords.setdefault(source, []).append(len(kws))
        self.top_keywords.update(kws)
        if duration is not None:
            self.durations.setdefault(source, []).append(duration)

    def rows(self) -> list[list[Any]]:
        out = []
        for src in sorted(self.tokens):
            t, k, d = self.tokens[src], self.keywords[src], self.durations.get(src, [])
            out.append([src, len(t), round(sum(t) / len(t), 1), round(sum(k) / len(k), 1),
                        round(sum(d) / len(d), 2) if d else None])
        return out


def source_of(video: str) -> str:
    """The dataset a clip comes from: the first folder of its relative path (e.g. ``DFEW/videos/1.mp4``)."""
    parts = [p for p in re.split(r"[\\/]", video) if p and p not in (".", "..")]
    return parts[0] if len(parts) > 1 else "(none)"


def plot(st: Stats, out: Path) -> list[Path]:
    """One histogram PNG per statistic, sources overlaid; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for key, label in (("tokens", "tokens per caption"), ("keywords", "facial-action keywords per caption"), ("durations", "clip duration (s)")):
        data = getattr(st, key)
        if not data:
            continue
        fig, ax = plt.subplots(figsize=(6, 3.4))
        for src, vals in sorted(data.items()):
            ax.hist(vals, bins=30, alpha=0.6, label=f"{src} (n={len(vals)})")
        ax.set_xlabel(label)
        ax.set_ylabel("clips")
        ax.legend(fontsize=8)
        fig.tight_layout()
        save_figure(fig, out / f"{key}.png", dpi=120)
        plt.close(fig)
        written.append(out / f"{key}.png")
    return written
