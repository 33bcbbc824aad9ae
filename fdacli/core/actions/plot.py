"""One timeline figure per clip: the signals over time, the events shaded, key-frame faces on top."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from fdacli.core.actions.measure import main_face, series_of
from fdacli.core.media.images import save_figure
from fdacli.core.run.inputs import safe_relpath

_COLOURS = {"mouth": "tab:red", "face": "tab:orange", "eyes": "tab:blue", "brows": "tab:green", "head": "tab:purple"}


def _gapped(t: np.ndarray, breaks: list[int]):
    """A plotter that leaves a gap at every break (the face away, a cut): a line drawn across it would show a
    movement nobody measured."""
    cut = sorted(i for i in breaks if 0 < i < len(t))
    tt = np.insert(t.astype(np.float64), cut, np.nan)

    def draw(ax, y, **kw):
        ax.plot(tt, np.insert(np.asarray(y, np.float64), cut, np.nan), **kw)
    return draw


def plot_path(rec: dict[str, Any], out_dir: str | Path) -> Path:
    return Path(out_dir) / f"{safe_relpath(rec['id'])}.png"


def plot_timeline(rec: dict[str, Any], tracks: dict[str, Any], out_dir: str | Path, thumbs: int = 8) -> Path:
    """Write ``OUT/<id>.png`` and return its path."""
    import cv2
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fdacli.core.media.video import read_frames

    series = series_of(rec)
    t = np.asarray(series.times, np.float64)
    fig = plt.figure(figsize=(11, 7))
    grid = fig.add_gridspec(3, 1, height_ratios=[1.1, 2, 1.6], hspace=0.35)
    strip, face_ax, head_ax = fig.add_subplot(grid[0]), fig.add_subplot(grid[1]), fig.add_subplot(grid[2])

    face = main_face(tracks, rec.get("identity"))  # the subject's face
    if face and len(t):
        pick = [face[int(k)] for k in np.linspace(0, len(face) - 1, min(thumbs, len(face)))]
        imgs = read_frames(rec["video"], [f for f, *_ in pick])
        tiles = []
        for img, (_, box, *_) in zip(imgs, pick):
            x1, y1, x2, y2 = (int(v) for v in box)
            crop = img[max(0, y1):max(y1 + 1, y2), max(0, x1):max(x1 + 1, x2)]
            tiles.append(cv2.resize(crop, (96, 96)))
        strip.imshow(np.concatenate(tiles, axis=1))
        fps = float(rec.get("fps") or 25.0)
        strip.set_xticks([96 * k + 48 for k in range(len(tiles))], [f"{f / fps:.1f} s" for f, *_ in pick], fontsize=8)
    strip.set_yticks([])
    others = len(rec.get("others") or [])
    who = f"person {rec.get('identity')}" + (f", measured most reliably of {others + 1} main people" if others else "")
    strip.set_title(f"{rec['id']}: {who}, measured facial actions ({rec.get('version')})", fontsize=10)

    rel = {name: series.relative(name) for name in series.values}
    if len(t):
        line = _gapped(t, series.breaks)
        line(face_ax, rel["mouth_open"], color=_COLOURS["mouth"], label="mouth opening")
        line(face_ax, rel["corner_lift"] + 0.5 * rel["mouth_width"], color=_COLOURS["face"], label="smile")
        line(face_ax, (rel["brow_right"] + rel["brow_left"]) / 2, color=_COLOURS["brows"], label="brow height")
        eyes = (np.asarray(series.values["eye_right"]) + np.asarray(series.values["eye_left"])) / 2
        n = (series.level("eye_right") + series.level("eye_left")) / 2
        n = np.where(n > 0, n, 1.0)
        line(face_ax, (eyes / n - 1) * 0.3, color=_COLOURS["eyes"], label="eye openness (scaled)")
        for name, colour in (("yaw", "tab:purple"), ("pitch", "tab:brown"), ("roll", "tab:gray")):
            line(head_ax, rel[name], color=colour, label=name)
        for run in rec.get("left_out") or []:  # frames whose fit could not be trusted: hatched, not drawn
            for ax in (face_ax, head_ax):
                ax.axvspan(run["start"], max(run["end"], run["start"] + 0.04), facecolor="none", hatch="///",
                           edgecolor="grey", lw=0)
    face_ax.axhline(0, color="black", lw=0.5)
    head_ax.axhline(0, color="black", lw=0.5)
    for e in rec["events"]:
        ax = head_ax if e["region"] == "head" else face_ax
        ax.axvspan(e["start"], max(e["end"], e["start"] + 0.04), color=_COLOURS.get(e["region"], "grey"), alpha=0.15)
        label = f"{e['region']} {e['action']}" + (f" {'+'.join(e['directions'])}" if e["directions"] else "")
        ax.text(e["start"], 0.98, label, fontsize=7, rotation=90, va="top", transform=ax.get_xaxis_transform())
    face_ax.set_ylabel("vs neutral (eye distances)")
    head_ax.set_ylabel("vs neutral (degrees)")
    head_ax.set_xlabel("seconds")
    face_ax.legend(fontsize=7, loc="upper right")
    head_ax.legend(fontsize=7, loc="upper right")
    if not len(t):
        face_ax.text(0.5, 0.5, "no main face in this clip", transform=face_ax.transAxes, ha="center")
    out = plot_path(rec, out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_figure(fig, out, dpi=100)
    plt.close(fig)
    return out
