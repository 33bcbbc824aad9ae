"""One tracks record in, one actions record out: every main person's landmarks, signals and events, and the
subject the record speaks for.

The frames analysed are the ones `fda track` analysed (16 fps) where a main person's track has a box.  Every
identity `fda track` marked main is measured on its own (two people's faces mixed frame by frame would make
signals of nobody); the record's subject — whose events grounding, hints and the timeline captioner read —
is the one with the most reliably measured time (choose_subject), the others are kept beside it.  Frames
whose fit cannot be trusted (trust.py) are left out of signals and events, with a reason.  The costs are
decoding (one decoding serves all people; `fda track --actions` shares tracking's, SeenFaces) and the fits:
1.2-1.5 ms a face when fits run one after another, three times that between other work (the model's trees
leave the cache).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from fdacli.core.actions import events as ev
from fdacli.core.actions import landmarks as lm
from fdacli.core.actions import trust
from fdacli.core.actions.signals import SIGNALS, Series, frame_signals, neutral_levels, quality, shot_rest
from fdacli.core.media.fingerprint import changed_since
from fdacli.core.media.video import VideoError, iter_frames
from fdacli.core.run.inputs import resolve_video
from fdacli.core.run.records import Record, error_record

Face = tuple[int, list[float], "float | None", "list | None"]  # frame, box, detection score, tracker's five points


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


def main_identities(rec: Record) -> list[int | None]:
    """Every identity `fda track` marked main, largest total face area first (the order ties are broken in)."""
    mains = [i for i in rec.get("identities", []) if i.get("is_main")]
    if mains:
        return [i["identity"] for i in sorted(mains, key=lambda i: (-(i.get("area") or 0.0), i["identity"]))]
    ids = {t.get("identity") for t in rec.get("tracks", []) if t.get("is_main")}
    return sorted(ids, key=lambda x: (x is None, x))


def main_identity(rec: Record) -> int | None:
    """The main identity with the largest total face area (what `fda actions` measured before v2, and what a
    tracks record alone says; the measured subject is choose_subject's)."""
    ids = main_identities(rec)
    return ids[0] if ids else None


def main_face(rec: Record, who: int | None = None) -> list[Face]:
    """(frame, box, detection score, tracker's five landmarks) of one main person's face (``who``; by default
    main_identity), frame by frame: the larger box where two of that person's tracks share a frame."""
    who = main_identity(rec) if who is None else who
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


def seconds_per_frame(rec: Record) -> float:
    """How much of the clip one analysed frame stands for (1/16 s at track's default rate)."""
    fps = float(rec.get("fps") or 25.0)
    sampled = rec.get("sampled_frames") or []
    if len(sampled) >= 2:
        return float(np.median(np.diff(sampled))) / fps
    return 1.0 / 16.0


def choose_subject(people: list[Record]) -> tuple[Record | None, str]:
    """The person the record speaks for, and why: the most reliably measured time — the sum over analysed
    frames of their quality (frames left out count nothing) in seconds.  A large face seen briefly in profile
    loses to a smaller face measured frontally for the whole clip, which the largest face area did not."""
    if not people:
        return None, "no main person"
    ranked = sorted(people, key=lambda p: (-p["reliable_seconds"], -len(p["frames"]), p["identity"] is None, p["identity"] or 0))
    best = ranked[0]
    def line(p: Record) -> str:
        left = sum(r["frames"] for r in p["left_out"])
        return (f"identity {p['identity']}: {p['reliable_seconds']:.2f} s reliably measured ({len(p['frames'])} frames, "
                f"{left} left out, mean quality {p['mean_quality'] if p['mean_quality'] is not None else '–'})")
    why = "the most reliably measured time (frames × quality): " + "; ".join(line(p) for p in ranked)
    return best, why


class ActionMeter:
    """Measures clips; holds the landmark model (built once per worker)."""

    def __init__(self, threads: int = 2) -> None:
        self.landmarker = lm.Landmarker()
        self.threads = max(1, threads)

    def __call__(self, item: ActionItem, seen: "SeenFaces | None" = None) -> Record:
        """The clip's actions record (an error record for a clip that cannot be measured).  ``seen``: the fits
        made while `fda track --actions` decoded the clip, so nothing is decoded again."""
        t0 = time.perf_counter()
        rec = item.tracks
        try:
            if rec.get("status", "ok") != "ok":
                raise VideoError(f"the tracks record failed: {rec.get('error')}")
            out = self.measure(item.video, rec) if seen is None else self.measure_seen(item.video, rec, seen)
        except (VideoError, OSError, ValueError) as exc:
            return error_record(item.id, str(exc) if isinstance(exc, VideoError) else exc, video=item.video,
                                seconds=round(time.perf_counter() - t0, 3))
        out["seconds"] = round(time.perf_counter() - t0, 3)
        return out

    def measure(self, video: str, rec: Record) -> Record:
        faces = _main_faces(rec)
        return self.assemble(video, rec, faces, self._fit(video, rec, faces) if faces else {})

    def measure_seen(self, video: str, rec: Record, seen: "SeenFaces") -> Record:
        """What ``measure`` gives, from fits made during tracking's own decoding (the same frames, the same boxes
        as the tracks record holds them: the same numbers, one decoding fewer)."""
        faces = _main_faces(rec)
        seen.flush()
        got = {who: {f: fit for f, box, _, five in face if (fit := seen.fit_of(f, box, five)) is not None}
               for who, face in faces.items()}
        # faces left for later while tracking (smaller than another face on their frame) that turned out to be
        # main are fitted now, on their frames decoded again as `fda actions` decodes them: the same pixels as
        # tracking's wherever decoding is exact (a clip past SEEK_FROM is reached by a seek that is checked
        # against decord, within a mean of 1 level; a clip tracking read with decord starts with OpenCV here)
        later = {who: [x for x in face if x[0] not in got[who]] for who, face in faces.items()}
        later = {who: face for who, face in later.items() if face}
        for who, fits in (self._fit(video, rec, later) if later else {}).items():
            got[who].update((f, tuple(fit)) for f, *fit in fits)
            seen.refitted += len(fits)
        return self.assemble(video, rec, faces, {who: [(f, *got[who][f]) for f, *_ in face] for who, face in faces.items()})

    def assemble(self, video: str, rec: Record, faces: dict[Any, list[Face]], fits: dict[Any, list[tuple]]) -> Record:
        """The actions record from each main person's fits: their measurements, the subject and why."""
        fps = float(rec["fps"])
        start = float(rec.get("start") or 0.0)
        duration = (float(rec["end"]) if rec.get("end") is not None else (rec.get("num_frames") or 0) / fps) - start
        people = [self._person(who, fits[who], rec) for who in faces]
        subject, why = choose_subject(people)
        base = {"id": rec["id"], "video": video, "status": "ok", "error": None, "version": ev.VERSION, "fps": fps,
                "duration": round(max(duration, 0.0), 3)}
        if subject is None:
            subject = self._person(None, [], rec)
        others = [p for p in people if p is not subject]
        return {**base, **{k: v for k, v in subject.items() if k not in ("identity", "reliable_seconds")},
                "main_face": bool(faces), "identity": subject["identity"] if faces else None,
                "subject": {"identity": subject["identity"], "reliable_seconds": subject["reliable_seconds"], "why": why}
                if faces else None,
                "others": others, "thresholds": {k: list(v) for k, v in ev.THRESHOLDS.items()}, "trust": dict(trust.LIMITS)}

    def _fit(self, video: str, rec: Record, faces: dict[Any, list[Face]]) -> dict[Any, list[tuple]]:
        """Per person, (frame, signals, quality, reason or None) for each of their frames, from one decoding of the
        union of their frames.  Frames the tracker's own view already rules out are not fitted."""
        if not Path(video).is_file():
            raise VideoError(f"file not found: {video}")
        if why := changed_since(rec, video):
            raise VideoError(why)
        width, height = int(rec["width"]), int(rec["height"])
        # decoded at the size tracking analysed (faces stay well above the ~100 px dlib needs, decoding is cheaper)
        aw, ah = rec.get("analysis_size") or (width, height)
        sx, sy = aw / width, ah / height
        size = (int(aw), int(ah)) if (aw, ah) != (width, height) else None
        wanted: dict[int, list[tuple]] = {}
        for who, face in faces.items():
            for f, box, score, five in face:
                wanted.setdefault(f, []).append((who, box, score, five))

        def one(f: int, img: np.ndarray) -> list[tuple]:
            return [(who, f, *self.fit_face(img, *in_analysis(box, five, sx, sy), score)) for who, box, score, five in wanted[f]]

        fits: dict[Any, list[tuple]] = {who: [] for who in faces}
        # fits run in a small thread pool beside the decoding thread (they overlap with decoding, and with each
        # other where dlib lets go of the GIL), a chunk of frames at a time: a long clip is never held whole
        decoded = iter_frames(video, sorted(wanted), size=size)
        with ThreadPoolExecutor(self.threads) as pool:
            while chunk := list(islice(decoded, 32)):
                for results in pool.map(lambda fi: one(*fi), chunk):
                    for who, *fit in results:
                        fits[who].append(tuple(fit))
        return fits

    def fit_face(self, img: np.ndarray, box: list[float], five: list | None, score: float | None
                 ) -> tuple[dict[str, float], float, str | None]:
        """(signals, quality, None) of one face in one analysed frame, or (no signals, 0, the reason) when its fit
        cannot be trusted: a face the tracker already saw too small or turned away is not fitted at all."""
        why = trust.before_fit(box, five)
        if why is not None:
            return dict(UNMEASURED), 0.0, why
        return self.fit_crop(lm.crop_face(img, box), box, five, score)

    def fit_crop(self, crop: lm.FaceCrop, box: list[float], five: list | None, score: float | None
                 ) -> tuple[dict[str, float], float, str | None]:
        """``fit_face`` once the face is cut out of its frame, for fits made later."""
        points = self.landmarker.fit_crop(crop)
        error = lm.fit_error(points, five)
        sig = frame_signals(points, *crop.frame)
        why = trust.after_fit(error, sig)
        if why is None:
            return sig, quality(box, score, error), None
        return dict(UNMEASURED), 0.0, why

    def _person(self, who: int | None, fits: list[tuple], rec: Record) -> Record:
        """One person's measurement: signals (None where a frame was left out), rest per shot, events, and the
        frames left out with their reasons."""
        fps, start = float(rec["fps"]), float(rec.get("start") or 0.0)
        frames = [f for f, *_ in fits]
        values = {name: [sig[name] for _, sig, _, _ in fits] for name in SIGNALS}
        qual = [q for _, _, q, _ in fits]
        times = [round(f / fps - start, 3) for f in frames]  # from the clip's start, as captions count
        neutral = neutral_levels(values, qual)
        series = Series(times, frames, values, qual, neutral, breaks_of(frames, rec))
        series.rest = shot_rest(frames, values, qual, rec.get("shots") or [], neutral)
        found = ev.detect(series)
        kept = [q for q, (*_, why) in zip(qual, fits) if why is None]
        return {
            "identity": who, "frames": frames, "times": times, "breaks": series.breaks, "quality": qual,
            "mean_quality": round(float(np.mean(qual)), 3) if qual else None,
            "reliable_seconds": round(float(sum(kept)) * seconds_per_frame(rec), 3),
            "left_out": trust.runs(times, [why for *_, why in fits]),
            "signals": {k: [None if not np.isfinite(x) else round(float(x), 4) for x in v] for k, v in values.items()},
            "neutral": {k: round(v, 4) for k, v in neutral.items()}, "rest": series.rest,
            "events": [e.as_dict() for e in found], "summary": ev.summary(found),
        }


UNMEASURED = {name: float("nan") for name in SIGNALS}


def in_analysis(box: list[float], five: list | None, sx: float, sy: float) -> tuple[list[float], list | None]:
    """A face as the tracks record holds it (source pixels) in the analysed frame's pixels — the one conversion
    both ways of measuring use, so that they fit the same numbers."""
    return [box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy], [[x * sx, y * sy] for x, y in five] if five else None


def _main_faces(rec: Record) -> dict[Any, list[Face]]:
    """Every main person's face per frame (people without a frame left out), after checking the record has what
    measuring needs."""
    missing = [k for k in ("fps", "width", "height") if not rec.get(k)]
    if missing:
        raise ValueError(f"the tracks record lacks {', '.join(missing)}: track the clip again with `fda track`")
    faces = {who: main_face(rec, who) for who in main_identities(rec)}
    return {who: face for who, face in faces.items() if face}


class SeenFaces:
    """The fits of every face `fda track --actions` detects, made while tracking decodes the clip, for
    ``ActionMeter.measure_seen`` once tracking has said who the main people are.

    Tracking calls it from its detection threads with the faces as the tracks record will hold them.  What is
    kept per face is its signals as one small array, its quality and why it was left out — a few hundred bytes,
    like the record's own box and points; faces the tracker's view already rules out (too small, turned away)
    keep nothing and get their reason again when asked.

    Faces are cut out (grey, a few kB) as they come and fitted ``batch`` at a time.  dlib's 68-point model is
    ~100 MB of regression trees; a fit between two detections finds them pushed out of the cache by YuNet and
    SFace and cost 3.2 ms of CPU, against 1.5 ms a fit in a batch of 16 (1.2 ms in a loop of fits alone).  The
    fits are the same: the same crop, the same numbers.

    A face under ``share`` (half) of the area of the largest face on its frame is left for later: such a face
    is rarely main (a passer-by beside a speaker), and fitting every one doubled the fits on busy clips (on the
    handheld benchmark clip, fits per main-face frame: 2.0 fitting all, 1.5 leaving a third, 1.0 leaving half).
    When one does turn out to be main, ``measure_seen`` decodes its frames again and fits them there — the
    same fits, so the records never depend on this guess, only the time does."""

    def __init__(self, meter: ActionMeter, batch: int = 16, share: float = 0.5) -> None:
        self.meter = meter
        self.batch = max(1, batch)
        self.share = share
        self._fits: dict[tuple, tuple[np.ndarray, float, str | None]] = {}
        self._waiting: list[tuple] = []  # (key, crop, box, five, score) cut out, not fitted yet
        self._lock = threading.Lock()
        self._scale: tuple[float, float] | None = None  # analysed frame pixels per source pixel
        self.fitted = 0  # faces fitted (for the benchmark: the price of fitting before knowing who is main)
        self.refitted = 0  # main people's faces left for later, fitted after tracking on frames decoded again

    def __call__(self, index: int, frame: np.ndarray, faces: list[tuple], source_size: tuple[int, int]) -> None:
        sx, sy = self._scale = frame.shape[1] / source_size[0], frame.shape[0] / source_size[1]
        largest = max(((b[2] - b[0]) * (b[3] - b[1]) for b, _, _ in faces), default=0.0)
        cut = []
        for box, score, five in faces:
            near = in_analysis(box, five, sx, sy)
            big = (box[2] - box[0]) * (box[3] - box[1]) >= self.share * largest  # smaller ones: later, if main
            if big and trust.before_fit(*near) is None:
                cut.append(((index, tuple(box)), lm.crop_face(frame, near[0]), *near, score))
        if cut:
            with self._lock:
                self._waiting += cut
                ready, self._waiting = (self._waiting, []) if len(self._waiting) >= self.batch else ([], self._waiting)
            self._fit(ready)

    def flush(self) -> None:
        """Fit the faces still waiting for a batch (tracking has ended)."""
        with self._lock:
            ready, self._waiting = self._waiting, []
        self._fit(ready)

    def _fit(self, ready: list[tuple]) -> None:
        for key, crop, box, five, score in ready:
            sig, q, why = self.meter.fit_crop(crop, box, five, score)
            self._fits[key] = (np.array([sig[k] for k in SIGNALS]), q, why)
        with self._lock:
            self.fitted += len(ready)

    def fit_of(self, frame: int, box: list[float], five: list | None) -> tuple[dict[str, float], float, str | None] | None:
        """(signals, quality, reason) of the face at ``box`` on ``frame``; None when it was not fitted (left for
        later, or never shown)."""
        got = self._fits.get((frame, tuple(box)))
        if got is not None:
            values, q, why = got
            return dict(zip(SIGNALS, (float(v) for v in values))), q, why
        why = trust.before_fit(*in_analysis(box, five, *self._scale)) if self._scale else None
        return None if why is None else (dict(UNMEASURED), 0.0, why)


def series_of(rec: Record) -> Series:
    """The signals of an actions record, back as a Series (for plots and re-detection)."""
    values = {k: [np.nan if x is None else x for x in v] for k, v in rec["signals"].items()}
    return Series(rec["times"], rec["frames"], values, rec["quality"], dict(rec.get("neutral", {})), list(rec.get("breaks", [])),
                  list(rec.get("rest", [])))
