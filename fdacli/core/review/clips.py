"""Clips a browser plays: each clip's window as H.264 (yuv420p) MP4, sound kept, optionally with the main face boxed.

Browsers play H.264 and VP9 but not MPEG-4 Part 2 (OpenCV's ``mp4v``) or HEVC, and OpenCV's wheel cannot
write H.264; PyAV's FFmpeg build can (libx264), and also carries the sound, which annotators use to tell
speech from other mouth movements.  A clip is written to a temporary name and renamed, so a killed push
leaves no half clip, and an existing clip is not encoded again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from fdacli.core.run.records import temp_path

MAX_SIDE = 720  # annotators watch, they do not measure: a 4K source costs minutes per clip at full size
BOX_COLOUR = (0, 220, 0)


class ClipError(RuntimeError):
    """A clip that could not be exported (missing, unreadable); the message is one line."""


@dataclass(frozen=True)
class ClipWindow:
    source: str
    start: float | None = None  # seconds into the source (a manifest window), None: its beginning
    end: float | None = None
    boxes: tuple[tuple[int, tuple[float, float, float, float]], ...] = ()  # (source frame, main-face box), sorted


def boxes_from_tracks(rec: dict[str, Any]) -> tuple[tuple[int, tuple[float, float, float, float]], ...]:
    """The main face's box at every analysed frame of a tracks record (source-pixel coordinates)."""
    main = set(rec.get("main_track_ids") or [])
    out = {}
    for t in rec.get("tracks") or []:
        if t.get("track_id") in main:
            for f, b in zip(t.get("frames") or [], t.get("boxes") or []):
                out[int(f)] = tuple(float(v) for v in b)
    return tuple(sorted(out.items()))


def export(window: ClipWindow, dst: Path, draw_box: bool = False, max_side: int = MAX_SIDE) -> bool:
    """Write ``dst`` (an .mp4) unless it is already there; return whether it was written."""
    if dst.is_file() and dst.stat().st_size > 0:
        return False
    if not Path(window.source).is_file():
        raise ClipError(f"video not found: {window.source}")
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(dst)  # a killed push's half clip is removed by the next one
    try:
        _encode(window, tmp, draw_box, max_side)
        os.replace(tmp, dst)
    except ClipError:
        tmp.unlink(missing_ok=True)
        raise
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, (KeyboardInterrupt, SystemExit, MemoryError)):
            raise
        raise ClipError(f"cannot export {Path(window.source).name}: {' '.join(str(exc).split())[:200]}") from None
    return True


def _size(w: int, h: int, max_side: int) -> tuple[int, int]:
    s = min(1.0, max_side / max(w, h))
    return max(2, int(round(w * s / 2)) * 2), max(2, int(round(h * s / 2)) * 2)


def _encode(window: ClipWindow, dst: Path, draw_box: bool, max_side: int) -> None:
    import av

    try:
        src = av.open(window.source)
    except (av.error.FFmpegError, OSError) as exc:
        raise ClipError(f"cannot read {Path(window.source).name}: {' '.join(str(exc).split())[:200]}") from None
    with src:
        if not src.streams.video:
            raise ClipError(f"no video stream in {Path(window.source).name}")
        vin = src.streams.video[0]
        ain = src.streams.audio[0] if src.streams.audio else None
        rate = vin.average_rate or vin.guessed_rate or Fraction(25)
        w, h = _size(vin.codec_context.width, vin.codec_context.height, max_side)
        t0, t1 = window.start or 0.0, window.end
        origin = float(vin.start_time * vin.time_base) if vin.start_time is not None else 0.0  # MPEG-TS starts late
        if t0 > 0:
            src.seek(int((t0 + origin) / vin.time_base), stream=vin, backward=True, any_frame=False)
        with av.open(str(dst), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            vout = out.add_stream("libx264", rate=rate, options={"preset": "veryfast", "crf": "23"})
            vout.width, vout.height, vout.pix_fmt = w, h, "yuv420p"
            aout = out.add_stream("aac", rate=ain.codec_context.sample_rate) if ain is not None else None
            frames = 0
            for frame in src.decode(*([vin, ain] if ain is not None else [vin])):
                t = float(frame.time) - origin if frame.time is not None else 0.0  # seconds from the video's start
                if t < t0 - 1e-6 or (t1 is not None and t >= t1 - 1e-6):
                    if t1 is not None and t >= t1 + 1.0:
                        break
                    continue
                if isinstance(frame, av.AudioFrame):
                    frame.pts = None
                    for p in aout.encode(frame):
                        out.mux(p)
                    continue
                img = frame.to_ndarray(format="rgb24")
                if draw_box and window.boxes:
                    _draw(img, _box_at(window.boxes, round(t * float(rate))))
                img = _resize(img, w, h) if (w, h) != (img.shape[1], img.shape[0]) else img
                vf = av.VideoFrame.from_ndarray(img, format="rgb24")
                vf.pts = frames
                vf.time_base = Fraction(1) / rate
                for p in vout.encode(vf):
                    out.mux(p)
                frames += 1
            for stream in (vout, aout):
                if stream is not None:
                    for p in stream.encode():
                        out.mux(p)
    if frames == 0:
        raise ClipError(f"no frames of {Path(window.source).name} in the window {t0:.2f}–{t1 if t1 is not None else 'end'} s")


def _box_at(boxes: tuple, index: int) -> tuple[float, float, float, float] | None:
    """The box of the analysed frame nearest ``index`` (analysis runs at 16 fps, the clip at its own rate),
    none when the nearest analysed frame is far (the face was not there)."""
    import bisect

    keys = [b[0] for b in boxes]
    i = bisect.bisect_left(keys, index)
    best = min((j for j in (i - 1, i) if 0 <= j < len(keys)), key=lambda j: abs(keys[j] - index), default=None)
    if best is None or abs(keys[best] - index) > 3:
        return None
    return boxes[best][1]


def _draw(img: Any, box: tuple[float, float, float, float] | None) -> None:
    if box is None:
        return
    import cv2

    x0, y0, x1, y1 = (int(round(v)) for v in box)
    thick = max(2, img.shape[1] // 240)
    cv2.rectangle(img, (x0, y0), (x1, y1), BOX_COLOUR, thick)


def _resize(img: Any, w: int, h: int) -> Any:
    import cv2

    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
