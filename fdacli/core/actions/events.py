"""Events from a clip's signals: when the mouth opens, a smile begins, the eyes blink, the head turns.

Each signal, relative to the person's neutral level (signals.py), is smoothed (a median of three frames
removes single-frame landmark jumps) and read with hysteresis: an event starts when the signal crosses
an "on" threshold and lasts until it falls back under a lower "off" one, so noise around one threshold
cannot flicker.  Frames of low quality are left out and short gaps bridged.  Every event uses the
grammar of facial actions (core/text/grammar.py): region, action, directions — the words caption events
are parsed into — so measured and described events compare directly.

Thresholds are in eye distances (the face's own scale) and degrees; they were set on the test media
(carphone talking, a photograph rotated by known angles) and are recorded with every record.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from fdacli.core.actions.signals import Series

VERSION = "actions-v2"  # v2: every main person measured, untrusted fits left out, rest per shot
MIN_QUALITY = 0.3

# (signal, on, off, min seconds) per event kind; signals relative to neutral
THRESHOLDS = {
    "mouth_open": (0.12, 0.06, 0.12),  # inner-lip gap, eye distances
    "smile": (0.06, 0.03, 0.3),  # corner lift + half the widening, eye distances
    "brows_raise": (0.045, 0.025, 0.25),
    "brows_lower": (-0.035, -0.02, 0.25),
    "yaw": (12.0, 7.0, 0.25),  # degrees
    "roll": (8.0, 5.0, 0.25),
    "pitch": (10.0, 6.0, 0.25),
    "eyes_closed": (0.62, 0.75, 0.0),  # share of the neutral openness: below "on" is closed
    "eyes_wide": (1.22, 1.12, 0.3),
    "eyes_narrow": (0.82, 0.9, 0.5),
}
BLINK_MAX = 0.45  # seconds: a longer closure is the eyes closing


@dataclass(frozen=True)
class Measured:
    """One measured facial action, in the grammar's words."""

    region: str
    action: str
    directions: tuple[str, ...]
    start: float
    end: float
    magnitude: float  # the peak deviation from neutral, in the signal's unit
    signal: str

    def as_dict(self) -> dict:
        d = asdict(self)
        d["directions"] = list(self.directions)
        d["start"], d["end"], d["magnitude"] = round(float(self.start), 2), round(float(self.end), 2), round(float(self.magnitude), 3)
        return d


def _clean(values: np.ndarray, quality: np.ndarray) -> np.ndarray:
    """Low-quality frames out, short gaps bridged, a 3-frame median against single-frame jumps."""
    v = np.where(quality >= MIN_QUALITY, values, np.nan).astype(np.float64)
    ok = np.isfinite(v)
    if ok.sum() < 2:
        return v
    idx = np.arange(len(v))
    filled = np.interp(idx, idx[ok], v[ok])
    # never invent a signal across a long gap (more than 4 frames): those stay unknown
    gap = np.zeros(len(v), bool)
    run = 0
    for i in range(len(v)):
        run = run + 1 if not ok[i] else 0
        if run > 4:
            gap[i - run + 1 : i + 1] = True
    filled[gap] = np.nan
    out = filled.copy()
    for i in range(1, len(v) - 1):
        window = filled[i - 1 : i + 2]
        if np.isfinite(window).all():
            out[i] = np.median(window)
    return out


def _cut(signal: np.ndarray, breaks: list[int]) -> np.ndarray:
    """Where the face was away or a shot began, no event may run across: the frame before a break is unknown."""
    out = signal.copy()
    for i in breaks:
        if 0 < i <= len(out):
            out[i - 1] = np.nan
    return out


def _spans(signal: np.ndarray, times: np.ndarray, on: float, off: float, min_s: float) -> list[tuple[int, int]]:
    """Index spans where the signal rises past ``on`` and stays past ``off`` (both read as "above" when on > off
    and as "below" when on < off)."""
    above = on >= off
    spans, start = [], None
    for i, x in enumerate(signal):
        if not np.isfinite(x):
            if start is not None:
                spans.append((start, i - 1))
                start = None
            continue
        if start is None and (x >= on if above else x <= on):
            start = i
        elif start is not None and (x < off if above else x > off):
            spans.append((start, i - 1))
            start = None
    if start is not None:
        spans.append((start, len(signal) - 1))
    return [(a, b) for a, b in spans if times[b] - times[a] >= min_s - 1e-9]


def _peak(signal: np.ndarray, a: int, b: int) -> float:
    seg = signal[a : b + 1]
    seg = seg[np.isfinite(seg)]
    return float(seg[np.argmax(np.abs(seg))]) if len(seg) else 0.0


def detect(series: Series) -> list[Measured]:
    """Every event of the clip, in time order."""
    if len(series.times) < 3:
        return []
    t = np.asarray(series.times, np.float64)
    q = np.asarray(series.quality, np.float64)
    rel = {name: _cut(_clean(series.relative(name), q), series.breaks) for name in series.values}
    out: list[Measured] = []

    def add(region: str, action: str, dirs: tuple[str, ...], sig: np.ndarray, name: str, key: str, then: tuple[str, str] | None = None):
        on, off, min_s = THRESHOLDS[key]
        for a, b in _spans(sig, t, on, off, min_s):
            out.append(Measured(region, action, dirs, t[a], t[b], _peak(sig, a, b), name))
            if then and b < len(t) - 1 and np.isfinite(sig[b + 1]):  # undone before the clip ends (not the face lost)
                out.append(Measured(region, then[1], (), t[b], t[b], _peak(sig, a, b), name))

    add("mouth", "open", (), rel["mouth_open"], "mouth_open", "mouth_open", then=("mouth", "close"))
    add("face", "smile", (), rel["corner_lift"] + 0.5 * rel["mouth_width"], "smile", "smile")
    brows = (rel["brow_right"] + rel["brow_left"]) / 2
    add("brows", "raise", (), brows, "brows", "brows_raise")
    add("brows", "lower", (), brows, "brows", "brows_lower")
    for name, (region, action), (pos, neg) in (("yaw", ("head", "turn"), ("right", "left")), ("roll", ("head", "tilt"), ("right", "left"))):
        add(region, action, (pos,), rel[name], name, name)
        add(region, action, (neg,), -rel[name], name, name)
    add("head", "raise", (), rel["pitch"], "pitch", "pitch")
    add("head", "lower", (), -rel["pitch"], "pitch", "pitch")
    out += _eyes(series, t, q)
    out += _nods(rel["pitch"], t)
    out += _shakes(rel["yaw"], t)
    return sorted(out, key=lambda e: (e.start, e.end, e.region, e.action))


def _eyes(series: Series, t: np.ndarray, q: np.ndarray) -> list[Measured]:
    """Blinks (short closures), closing, widening and narrowing, from both eyes' openness over their neutral."""
    neutral = (series.level("eye_right") + series.level("eye_left")) / 2  # per frame: its shot's rest
    if not len(neutral) or not (neutral > 0).all():
        return []
    raw = (np.asarray(series.values["eye_right"], np.float64) + np.asarray(series.values["eye_left"], np.float64)) / 2
    ratio = _cut(np.where(q >= MIN_QUALITY, raw / neutral, np.nan), series.breaks)  # unsmoothed: a blink is a frame or two
    out = []
    on, off, _ = THRESHOLDS["eyes_closed"]
    for a, b in _spans(ratio, t, on, off, 0.0):
        long = t[b] - t[a] > BLINK_MAX
        out.append(Measured("eyes", "close" if long else "blink", (), t[a], t[b], float(np.nanmin(ratio[a : b + 1])), "eyes"))
    smooth = _cut(_clean(raw / neutral, q), series.breaks)
    for key, action in (("eyes_wide", "widen"), ("eyes_narrow", "narrow")):
        on, off, min_s = THRESHOLDS[key]
        for a, b in _spans(smooth, t, on, off, min_s):
            if action == "narrow" and any(e.start <= t[b] and t[a] <= e.end for e in out):
                continue  # the dip around a blink or a closing is not narrowing
            out.append(Measured("eyes", action, (), t[a], t[b], _peak(smooth, a, b), "eyes"))
    return out


def _nods(pitch: np.ndarray, t: np.ndarray) -> list[Measured]:
    """A nod: the face dips by at least 8 degrees and comes back up, within 0.6 s each way."""
    out = []
    ok = np.isfinite(pitch)
    i = 1
    while i < len(pitch) - 1:
        if ok[i] and ok[i - 1] and ok[i + 1] and pitch[i] <= pitch[i - 1] and pitch[i] < pitch[i + 1]:
            left = [j for j in range(i - 1, -1, -1) if ok[j] and t[i] - t[j] <= 0.6]
            right = [j for j in range(i + 1, len(pitch)) if ok[j] and t[j] - t[i] <= 0.6]
            if left and right:
                drop = min(max(pitch[j] for j in left), max(pitch[j] for j in right)) - pitch[i]
                if drop >= 8.0:
                    out.append(Measured("head", "nod", (), t[left[-1]], t[right[-1]], float(drop), "pitch"))
                    i = right[-1]
        i += 1
    return out


def _shakes(yaw: np.ndarray, t: np.ndarray) -> list[Measured]:
    """A head shake: the face swings left and right of its rest, past 8 degrees each way, within 1.5 s."""
    out, last_end = [], -1.0
    ok = np.isfinite(yaw)
    for i in range(len(yaw)):
        if not ok[i] or abs(yaw[i]) < 8.0 or t[i] <= last_end:
            continue
        later = [j for j in range(i + 1, len(yaw)) if ok[j] and t[j] - t[i] <= 1.5 and yaw[j] * yaw[i] < 0 and abs(yaw[j]) >= 8.0]
        if later:
            j = later[0]
            out.append(Measured("head", "shake", (), t[i], t[j], float(abs(yaw[i]) + abs(yaw[j])) / 2, "yaw"))
            last_end = t[j]
    return out


def summary(events: list[Measured]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in events:
        key = f"{e.region} {e.action}" + (f" {'+'.join(e.directions)}" if e.directions else "")
        counts[key] = counts.get(key, 0) + 1
    return counts
