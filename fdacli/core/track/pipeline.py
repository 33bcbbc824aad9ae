"""The dynamic video face tracking module (paper §4.2.2): one video in, one tracks record out.

16-fps resampling → face detection with landmarks → shot boundaries → identity features →
StrongSORT-style tracking within each shot → tracks that are not faces dropped → tracks linked into
identities across shots and re-entries → per-identity (area, similarity) → 2-means main-character
split → key frames showing the main character → optional face crops and a contact sheet.
Detection runs at an analysis size (long side ``max_side``); everything written out is in source pixels.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from fdacli.core.media.fingerprint import fingerprint
from fdacli.core.media.schedule import analysis_size, effective_fps, resample_indices
from fdacli.core.media.video import Decoding, VideoError, iter_frames, probe
from fdacli.core.run.inputs import VideoItem, safe_relpath
from fdacli.core.run.records import Record, error_record
from fdacli.core.track.config import TrackOptions
from fdacli.core.track.faceness import is_face_track
from fdacli.core.track.identities import link_identities
from fdacli.core.track.keyframes import select_key_frames
from fdacli.core.track.main_character import select_main, track_stats
from fdacli.core.track.shots import shot_spans, with_shots
from fdacli.core.track.tracker import Tracker


FaceHook = Callable[[int, np.ndarray, list, tuple], None]


class FaceTrackingModule:
    """Holds the loaded models (once per process) and turns VideoItems into records."""

    def __init__(self, opts: TrackOptions) -> None:
        from fdacli.core.faces import make_detector, make_embedder

        self.opts = opts
        detectors = [make_detector(opts.detector, opts.det_threshold, opts.min_face) for _ in range(max(1, opts.detect_threads))]
        self.detector = detectors[0]
        self.embedder = make_embedder("sface")
        # one more model per extra thread: a frame's features are computed in parts, side by side (_embed)
        self._embedders = [self.embedder, *(make_embedder("sface") for _ in range(max(1, opts.embed_threads) - 1))]
        self._free: queue.SimpleQueue = queue.SimpleQueue()  # detectors not in use by a detection thread
        for d in detectors:
            self._free.put(d)
        if opts.threads > 0:
            _limit_threads(opts.threads)
        elif opts.detect_threads > 1:
            # The detection threads, the decoding thread and the tracker are the parallelism; OpenCV's own pool
            # on top of them (two threads by default on two cores) only adds hand-overs and spinning: 1-3 % of
            # the CPU of a busy 720p clip, the same records (docs/benchmarks.md, issue 24).
            import cv2

            cv2.setNumThreads(1)

    def __call__(self, item: VideoItem, on_faces: FaceHook | None = None) -> Record:
        """The video's tracks record (an error record for a video that cannot be tracked).

        ``on_faces(index, frame, faces, source_size)``, when given, sees every analysed frame's detections as the
        record will hold them — ``(box, score, five points)`` in source pixels — with the frame at the analysis
        size, on the detection threads: what another stage measures on tracking's own decoding (`fda track
        --actions`) without this one knowing what it is."""
        t0 = time.perf_counter()
        try:
            rec = self._track(item, on_faces)
        except VideoError as exc:
            return error_record(item.id, str(exc), video=item.video, seconds=round(time.perf_counter() - t0, 3))
        except Exception as exc:  # a bug or a library failure on one video must not end the batch
            return error_record(item.id, exc, video=item.video, seconds=round(time.perf_counter() - t0, 3))
        rec["seconds"] = round(time.perf_counter() - t0, 3)
        return rec

    def _track(self, item: VideoItem, on_faces: FaceHook | None = None) -> Record:
        o = self.opts
        info = probe(item.video)
        sampled = resample_indices(info, o.fps, item.start, item.end)
        if not sampled:
            raise VideoError(
                f"no frames between start={item.start} and end={item.end} (video is {info.duration:.2f} s long)"
            )
        aw, ah = analysis_size(info, o.max_side)
        decoding = Decoding()
        tracker = Tracker(o.tracker)
        starts: list[int] = []  # positions in `sampled` where a shot begins
        changes: list[float] = []  # content change from the previous analysed frame, within a shot
        suspicious = o.shots.suspicious * o.shots.threshold
        sx, sy = info.width / aw, info.height / ah
        seen = None if on_faces is None else (
            lambda idx, frame, faces: on_faces(idx, frame, [_as_recorded(f, sx, sy) for f in faces], (info.width, info.height)))
        frames = self._detections(iter_frames(item.video, sampled, size=(aw, ah), chunk=decode_chunk(aw, ah), decoding=decoding),
                                  seen, ahead=detect_ahead(aw, ah, o.detect_threads))
        with ThreadPoolExecutor(max_workers=len(self._embedders) - 1 or 1) as helpers:
            for idx, frame, faces, shot in with_shots(frames, o.shots):
                if shot.boundary:
                    tracker.new_shot()
                    starts.append(shot.index)
                elif shot.index > 0:
                    changes.append(shot.change)
                embed = lambda ids, fr=frame, fs=faces: self._embed(helpers, fr, [fs[i] for i in ids])  # noqa: E731
                tracker.step(idx, faces, embed, patches=face_patches(frame, faces), changed=shot.change >= suspicious)

        found = tracker.finished_tracks()
        tracks = [t for t in found if is_face_track(t.scores, t.landmarks, t.boxes, o.faceness)]
        frame_area = float(aw * ah)
        stats = [track_stats(t.boxes, t.features, frame_area) for t in tracks]
        labels = link_identities([t.features for t in tracks], [t.frames for t in tracks], o.link_sim)
        people = _identities(tracks, labels, frame_area)
        main_people = select_main([p["stats"] for p in people])
        shots = shot_spans(sampled, starts)
        # Renumbered 1..K in order of appearance: internal ids have gaps left by discarded tentative tracks.
        out_tracks = [
            _track_json(k, t, s, labels[k - 1] + 1, main_people[labels[k - 1]], _shot_of(t.frames[0], shots), sx, sy)
            for k, (t, s) in enumerate(zip(tracks, stats), start=1)
        ]
        main_tracks = [t for t in out_tracks if t["is_main"]]
        with_main = {f for t in main_tracks for f in t["frames"]}
        key_frames = select_key_frames(sampled, with_main, o.key_frames)

        rec: Record = {
            "id": item.id,
            "video": item.video,
            "status": "ok",
            "error": None,
            "fps": round(info.fps, 4),
            "num_frames": info.num_frames,
            "width": info.width,
            "height": info.height,
            "start": item.start,
            "end": item.end,
            "sample_fps": round(effective_fps(info, o.fps), 4),
            "analysis_size": [aw, ah],
            "detector": self.detector.name,
            "decoder": decoding.decoder,
            "video_fingerprint": fingerprint(item.video),
            "sampled_frames": sampled,
            "shots": shots,
            "picture_change": picture_change(changes),
            "faces": tracker.detections,
            "embedded_faces": tracker.embedded,
            "embedded_why": dict(sorted(tracker.reasons.items())),
            "rejected_tracks": len(found) - len(tracks),
            "tracks": out_tracks,
            "identities": [
                {"identity": k, "track_ids": [t["track_id"] for t in out_tracks if t["identity"] == k], "is_main": m,
                 "area": round(p["stats"].area, 5), "similarity": round(p["stats"].similarity, 5)}
                for k, (p, m) in enumerate(zip(people, main_people), start=1)
            ],
            "main_track_ids": [t["track_id"] for t in main_tracks],
            "key_frames": key_frames,
            "key_frame_boxes": [_main_box_at(main_tracks, f) for f in key_frames],
        }
        if decoding.fallback:
            rec["decoder_fallback"] = decoding.fallback
        if item.extra:
            rec["meta"] = item.extra
        if o.crops_dir or o.viz_dir:
            self._write_images(item, rec)
        return rec

    def _embed(self, helpers: ThreadPoolExecutor, frame: np.ndarray, faces: list) -> np.ndarray:
        """Identity features of ``faces``, in parts on ``embed_threads`` threads when there are several.

        They come in bursts — every face after a cut, every face on a refresh frame — on the tracker's thread,
        which waits for them; on two cores the other core then idled once detection had run as far ahead as it
        may (issue 24: the broadcast clip was bound by its tracker thread).  Each part is the same computation
        by its own copy of the model, so the features are the same, bit for bit, however they are split."""
        k = min(len(self._embedders), len(faces))
        if k < 2:
            return self.embedder.embed(frame, faces)
        parts = np.array_split(np.arange(len(faces)), k)
        others = [helpers.submit(e.embed, frame, [faces[i] for i in part]) for e, part in zip(self._embedders[1:], parts[1:])]
        mine = self.embedder.embed(frame, [faces[i] for i in parts[0]])
        return np.concatenate([mine, *(f.result() for f in others)])

    def _detections(self, frames: Iterator[tuple[int, np.ndarray]], seen: Callable | None = None, ahead: int = 16
                    ) -> Iterator[tuple[int, np.ndarray, list]]:
        """(index, frame, faces) in frame order, detecting ahead on worker threads.

        Detection does not depend on the tracker, so it runs ahead while the tracker (and the identity
        features it asks for) works on the current frame; OpenCV and torch release the GIL.  Measured
        10-20% faster on two cores than detecting inline (docs/benchmarks.md).  ``seen`` (the caller's
        face hook) runs on the same threads, after detection.

        A feeding thread hands frames to the detection threads as they are decoded, up to ``ahead`` frames
        ahead of the tracker (``detect_ahead``), whatever the tracker is doing.  The tracker's identity
        features come in bursts (every face after a cut, every face on a refresh frame: 100-300 ms at ~30 ms a
        face); when the tracker's own thread handed the frames over, detection stopped a few frames into
        every burst and a core idled for the rest of it.
        """
        n = max(1, self.opts.detect_threads)
        if n == 1:
            for idx, frame in frames:
                yield idx, frame, self._detect_here(idx, frame, seen)
            return
        slots = threading.Semaphore(max(n, ahead))  # frames handed to detection, not yet to the tracker
        handed: queue.SimpleQueue = queue.SimpleQueue()  # (index, frame, future) in frame order; None at the end
        stop = threading.Event()

        def feed(pool: ThreadPoolExecutor) -> None:
            try:
                for idx, frame in frames:
                    while not slots.acquire(timeout=0.05):
                        if stop.is_set():
                            return
                    if stop.is_set():
                        return
                    handed.put((idx, frame, pool.submit(self._detect_here, idx, frame, seen)))
                handed.put(None)
            except BaseException as exc:  # a decoding error: raised on the tracker's thread, in order
                handed.put(exc)
            finally:
                close = getattr(frames, "close", None)
                if close is not None:
                    close()  # the decoding thread and its readers end with the feeder

        with ThreadPoolExecutor(max_workers=n) as pool:
            feeder = threading.Thread(target=feed, args=(pool,), name="fda-track-feed", daemon=True)
            feeder.start()
            try:
                while (got := handed.get()) is not None:
                    if isinstance(got, BaseException):
                        raise got
                    idx, frame, fut = got
                    faces = fut.result()
                    slots.release()
                    yield idx, frame, faces
            finally:
                stop.set()
                feeder.join()

    def _detect_here(self, idx: int, frame: np.ndarray, seen: Callable | None) -> list:
        det = self._free.get()  # a detector no other thread is using (they are not thread-safe)
        try:
            faces = det.detect(frame)
        finally:
            self._free.put(det)
        if seen is not None:
            seen(idx, frame, faces)
        return faces

    def _write_images(self, item: VideoItem, rec: Record) -> None:
        from fdacli.core.media import crops
        from fdacli.core.track import viz
        from fdacli.core.media.video import read_frames

        frames = read_frames(item.video, rec["key_frames"])
        if self.opts.crops_dir:
            rec["crops"] = crops.write_key_frame_crops(
                frames, rec, Path(self.opts.crops_dir) / safe_relpath(item.id), self.opts.crop_margin, self.opts.crop_size
            )
        if self.opts.viz_dir:
            path = Path(self.opts.viz_dir) / f"{safe_relpath(item.id)}.png"
            viz.write_contact_sheet(frames, rec, path)
            rec["viz"] = str(path)


def picture_change(changes: list[float]) -> float:
    """How much the picture moves: the mean content change between consecutive analysed frames of a shot (the
    shot detector's measure, 0-255), cuts left out.  Recorded because nothing else in the record sees the
    background: `fda screen` tells a still scene (about 0.2 for a photograph under compression noise) from a
    moving one with it."""
    return round(float(np.mean(changes)), 3) if changes else 0.0


def face_patches(frame: np.ndarray, faces: list) -> np.ndarray | None:
    """A 16×16 colour patch per face: what the tracker compares to notice a different face at the same
    place between identity features (same face, consecutive frames: mean |Δ| ≤ 15 on the test media, the
    real carphone clip included; another person: 47)."""
    if not faces:
        return None
    import cv2

    h, w = frame.shape[:2]
    out = np.zeros((len(faces), 16, 16, 3), np.float32)
    for k, f in enumerate(faces):
        x1, y1, x2, y2 = (int(round(float(v))) for v in f.box)
        crop = frame[max(0, y1):min(h, y2), max(0, x1):min(w, x2)]
        if crop.size:
            p = cv2.resize(crop, (16, 16), interpolation=cv2.INTER_AREA)
            out[k] = p if p.ndim == 3 else p[..., None]
    return out


DETECT_AHEAD_BYTES = 12 << 20


def detect_ahead(width: int, height: int, threads: int) -> int:
    """Frames detection may run ahead of the tracker: about 12 MB of frames, 2 to 16 per detection thread (28
    at 512×288, ~0.2 s of YuNet's work: a burst of identity features after a cut lasts up to 0.3 s)."""
    n = max(1, threads)
    return max(2 * n, min(16 * n, DETECT_AHEAD_BYTES // max(1, width * height * 3)))


DECODE_CHUNK_BYTES = 24 << 20


def decode_chunk(width: int, height: int) -> int:
    """Frames to ask the decoder for at a time: about 24 MB of frames, 32 to 128 of them.

    The decoder works one request ahead of the tracker (media/video.py), so two requests are all the frames
    ever held, whatever the video's length.  Fewer, larger requests cost less thread hand-over; the bytes
    bound keeps a 4K analysis size from holding gigabytes.  (With decord, whose reader kept decoding while it
    waited, small requests also wasted CPU: 2.4 s against 0.6 s for the same 320 frames.)"""
    return max(32, min(128, DECODE_CHUNK_BYTES // max(1, width * height * 3)))


def _identities(tracks: list, labels: list[int], frame_area: float) -> list[dict]:
    """Per identity (by label): the paper's two features over all of that person's tracks."""
    people = []
    for k in range(max(labels, default=-1) + 1):
        mine = [t for t, lab in zip(tracks, labels) if lab == k]
        boxes = [b for t in mine for b in t.boxes]
        feats = [f for t in mine for f in t.features]
        people.append({"stats": track_stats(boxes, feats, frame_area)})
    return people


def _shot_of(frame: int, shots: list[list[int]]) -> int:
    """1-based index of the shot holding a source frame (tracks never cross a shot boundary)."""
    for k, (first, last) in enumerate(shots, start=1):
        if first <= frame <= last:
            return k
    return len(shots)


def _track_json(track_id: int, t, stats, identity: int, is_main: bool, shot: int, sx: float, sy: float) -> Record:
    return {
        "track_id": track_id,
        "identity": identity,
        "shot": shot,
        "is_main": is_main,
        "frames": list(t.frames),
        "boxes": [_box_out(b, sx, sy) for b in t.boxes],
        "scores": [_score_out(s) for s in t.scores],
        "landmarks": [_points_out(lm, sx, sy) for lm in t.landmarks],
        "area": round(stats.area, 5),
        "similarity": round(stats.similarity, 5),
    }


def _box_out(b: np.ndarray, sx: float, sy: float) -> list[float]:
    """A box in analysis pixels as the record holds it: source pixels, 0.1 px."""
    return [round(float(v), 1) for v in b * np.array([sx, sy, sx, sy], np.float32)]


def _score_out(s: float) -> float:
    return round(float(s), 4)


def _points_out(lm: np.ndarray, sx: float, sy: float) -> list[list[float]]:
    return [[round(float(x * sx), 1), round(float(y * sy), 1)] for x, y in lm]


def _as_recorded(face, sx: float, sy: float) -> tuple[list[float], float, list[list[float]]]:
    """A detection as the tracks record will hold it (what a face hook is shown, so that what it measures on the
    frame matches what a later stage reading the record would measure)."""
    return _box_out(face.box, sx, sy), _score_out(face.score), _points_out(face.landmarks, sx, sy)


def _main_box_at(main_tracks: list[Record], frame: int) -> list[float] | None:
    """The largest main-character box at ``frame`` (several main tracks can share a frame)."""
    best, best_area = None, -1.0
    for t in main_tracks:
        if frame in t["frames"]:
            b = t["boxes"][t["frames"].index(frame)]
            a = (b[2] - b[0]) * (b[3] - b[1])
            if a > best_area:
                best, best_area = b, a
    return best


def _limit_threads(n: int) -> None:
    """Cap the math libraries' thread pools so N worker processes don't oversubscribe the cores."""
    import sys

    import cv2

    cv2.setNumThreads(n)
    if "torch" in sys.modules:  # only the MTCNN backend loads torch; don't import it for YuNet
        sys.modules["torch"].set_num_threads(n)
