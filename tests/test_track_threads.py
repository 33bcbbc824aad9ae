"""How `fda track` spreads its work over threads (issue 24) changes nothing in what it records, and a failure on
any of them ends the video's record, not the run, and leaves no thread behind."""

from __future__ import annotations

import threading
import time

import media
from fdacli.core.media.video import VideoError
from fdacli.core.run.inputs import VideoItem
from fdacli.core.track import pipeline
from fdacli.core.track.config import TrackOptions
from fdacli.core.track.pipeline import FaceTrackingModule


def _without_seconds(rec: dict) -> dict:
    return {k: v for k, v in rec.items() if k != "seconds"}


def test_the_same_record_whatever_the_threads(tmp_path):
    # three people in two shots: features for several faces at once (after the cut, on refresh frames)
    shots = [media.Shot(media.THREE_PEOPLE, 1.5, seed=1), media.Shot(media.THREE_PEOPLE[::-1], 1.5, seed=2)]
    clip = media.compose_shots(tmp_path / "three.mp4", shots, fps=25, size=(640, 360))
    item = VideoItem(id="three", video=str(clip))
    records = []
    for detect, embed in ((1, 1), (2, 2), (3, 3)):
        rec = FaceTrackingModule(TrackOptions(detect_threads=detect, embed_threads=embed))(item)
        assert rec["status"] == "ok", rec.get("error")
        records.append(_without_seconds(rec))
    assert records[0]["embedded_faces"] >= 6 and len(records[0]["shots"]) == 2
    assert records[1] == records[0] and records[2] == records[0]


def test_a_decoding_failure_midway_is_the_video_s_error_and_no_thread_is_left(tmp_path, monkeypatch):
    clip = media.compose(tmp_path / "one.mp4", media.ONE_PERSON, seconds=3, fps=25, size=(320, 180))
    real = pipeline.iter_frames

    def failing(*args, **kwargs):
        for k, frame in enumerate(real(*args, **kwargs)):
            if k == 20:
                raise VideoError("decoding stopped at frame 40 of one.mp4")
            yield frame

    module = FaceTrackingModule(TrackOptions())
    before = threading.active_count()
    monkeypatch.setattr(pipeline, "iter_frames", failing)
    rec = module(VideoItem(id="one", video=str(clip)))
    assert rec["status"] == "error" and "decoding stopped at frame 40" in rec["error"]
    monkeypatch.setattr(pipeline, "iter_frames", real)
    assert module(VideoItem(id="one", video=str(clip)))["status"] == "ok"  # the module still works
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= before, [t.name for t in threading.enumerate()]
