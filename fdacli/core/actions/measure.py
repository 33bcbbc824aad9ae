"""One tracks record in, one actions record out: the main face's landmarks, signals and events.

The frames analysed are the ones `fda track` analysed (16 fps) where a main-character track has a box;
where several main tracks share a frame the largest box is the face.  Decoding is the only other cost:
the landmark fit is a fraction of a millisecond per face.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from fdacli.core.actions import events as ev
from fdacli.core.actions import landmarks as lm
from fdacli.core.actions.signals import SIGNALS, Series, frame_signals, neutral_levels, quality
from fdacli.core.media.video import VideoError, changed_since, iter_frames
from fdacli.core.run.inputs import resolve_video
from fdacli.core.run.records import Record, error_record


@dataclass(frozen=True)
class ActionItem:
    """A clip to measure: its tracks record (which carries the video, the frames and the main-face boxes)."""

    id: str
    video: str
    tracks: dict[str, Any] = field(hash=False, compare=False)


def items_from_tracks(records: list[Record], base: Path | None = None) -> list[ActionItem]:
    """Clips from tracks records; a relative video path that does not exist from here is tried relative to
    the tracks file's folder (``base``), as other commands do."""
    return [ActionItem(r["id"], resolve_video(r["video"], [base] if base else []), r) for r in records]


def main_identity(rec: Record) -> int | None:
    """The one person measured: of the identities `fda track` marked main, the one with the largest face."""
    mains = [i for i in rec.get("identities", []) if i.get("is_main")]
    if mains:
        return max(mains, key=lambda i: (i.get("area") or 0.0, -i["identity"]))["identity"]
    ids = {t.get("identity") for t in rec.get("tracks", []) if t.get("is_main")}
    return min(ids, key=lambda x: (x is None, x)) if ids else None


def main_face(rec: Record) -> list[tuple[int, list[float], float | None, list | None]]:
    """(frame, box, detection score, tracker's five landmarks) of the main person's face, frame by frame.  One
    identity only: two main people's faces mixed frame by frame would make signals of nobody."""
    who = main_identity(rec)
    best: dict[int, tuple[float, list[float], float | None, list | None]] = {}
    for t in rec.get("tracks", []):
        if not t.get("is_main") or t.get("identity") != who:
            continue
        scores, fives = t.get("scores") or [], t.get("landmarks") or []
        for k, (f, box) in enumerate(zip(t["frames"], t["boxes"])):
            area = (box[2] - box[0]) * (box[3] - box[1])
            if f not in best or area > best[f][0]:
                best[f] = (area, box, scores[k] if k < len(scores) else None, fives[k] if k < len(fives) else None)
    return [(f, box, score, five) for f, (_, box, score, five) in sorted(best.items())]


def breaks_of(frames: list[int], rec: Record) -> list[int]:
    """Positions in ``frames`` after which the signal is not continuous: the face was away for more than two
    analysed frames, or a new shot began (the camera, and with it the head's angles, changed)."""
    pos = {f: k for k, f in enumerate(rec.get("sampled_frames") or frames)}  # the analysed frames, in order
    starts = {first for first, _ in (rec.get("shots") or [])[1:]}
    return [i for i in range(1, len(frames))
            if pos[frames[i]] - pos[frames[i - 1]] > 3 or any(frames[i - 1] < s <= frames[i] for s in starts)]


class ActionMeter:
    """Measures clips; holds the landmark model (built once per worker)."""

    def __init__(self, threads: int = 2) -> None:
        self.landmarker = lm.Landmarker()
        self.threads = max(1, threads)

    def __call__(self, item: ActionItem) -> Record:
        t0 = time.perf_counter()
        rec = item.tracks
        try:
            if rec.get("status", "ok") != "ok":
                raise VideoError(f"the tracks record failed: {rec.get('error')}")
            out = self.measure(item.video, rec)
        except (VideoError, OSError, ValueError) as exc:
            return error_record(item.id, str(exc) if isinstance(exc, VideoError) else exc, video=item.video,
                                seconds=round(time.perf_counter() - t0, 3))
        out["seconds"] = round(time.perf_counter() - t0, 3)
        return out

    def measure(self, video: str, rec: Record) -> Record:
        missing = [k for k in ("fps", "width", "height") if not rec.get(k)]
        if missing:
            raise ValueError(f"the tracks record lacks {', '.join(missing)}: track the clip again with `fda track`")
        face = main_face(rec)
        fps, width, height = float(rec["fps"]), int(rec["width"]), int(rec["height"])
        start = float(rec.get("start") or 0.0)
        duration = (float(rec["end"]) if rec.get("end") is not None else (rec.get("num_frames") or 0) / fps) - start
        # decoded at the size tracking analysed (faces stay well above the ~100 px dlib needs, decoding is cheaper)
        aw, ah = rec.get("analysis_size") or (width, height)
        sx, sy = aw / width, ah / height
        frames, values, qual = [], {name: [] for name in SIGNALS}, []
        if face:
            if not Path(video).is_file():
                raise VideoError(f"file not found: {video}")
            if why := changed_since(rec, video):
                raise VideoError(why)
            wanted = {f: (box, score, five) for f, box, score, five in face}
            size = (int(aw), int(ah)) if (aw, ah) != (width, height) else None

            def one(f: int, img: np.ndarray) -> tuple[int, dict[str, float], float]:
                box, score, five = wanted[f]
                box = [box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy]
                five = [[x * sx, y * sy] for x, y in five] if five else None
                points = self.landmarker.fit(img, box)
                return f, frame_signals(points, int(aw), int(ah)), quality(box, score, lm.fit_error(points, five))

            # fits run in a small thread pool beside the decoding thread (they overlap with decoding, and with each
            # other where dlib lets go of the GIL), a chunk of frames at a time: a long clip is never held whole
            decoded = iter_frames(video, sorted(wanted), size=size)
            with ThreadPoolExecutor(self.threads) as pool:
                while chunk := list(islice(decoded, 32)):
                    for f, sig, q in pool.map(lambda fi: one(*fi), chunk):
                        frames.append(f)
                        qual.append(q)
                        for name in SIGNALS:
                            values[name].append(sig[name])
        times = [round(f / fps - start, 3) for f in frames]  # from the clip's start, as captions count
        series = Series(times, frames, values, qual, breaks=breaks_of(frames, rec))
        series.neutral = neutral_levels(values, qual)
        found = ev.detect(series)
        return {
            "id": rec["id"], "video": video, "status": "ok", "error": None, "version": ev.VERSION,
            "fps": fps, "frames": frames, "times": times, "duration": round(max(duration, 0.0), 3), "main_face": bool(face),
            "identity": main_identity(rec) if face else None, "breaks": series.breaks,
            "quality": qual, "mean_quality": round(float(np.mean(qual)), 3) if qual else None,
            "signals": {k: [None if not np.isfinite(x) else round(float(x), 4) for x in v] for k, v in values.items()},
            "neutral": {k: round(v, 4) for k, v in series.neutral.items()},
            "events": [e.as_dict() for e in found], "summary": ev.summary(found),
            "thresholds": {k: list(v) for k, v in ev.THRESHOLDS.items()},
        }


def series_of(rec: Record) -> Series:
    """The signals of an actions record, back as a Series (for plots and re-detection)."""
    values = {k: [np.nan if x is None else x for x in v] for k, v in rec["signals"].items()}
    return Series(rec["times"], rec["frames"], values, rec["quality"], dict(rec.get("neutral", {})), list(rec.get("breaks", [])))
