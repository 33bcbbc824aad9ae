"""Bad input: every failure is a clear per-record reason, and the batch goes on."""

import wave

import numpy as np
import pytest

import media
from fdacli.core.run.inputs import VideoItem


def rec_for(module, path):
    return module(VideoItem(id="v", video=str(path)))


def test_missing_file(tracker_module, tmp_path):
    r = rec_for(tracker_module(), tmp_path / "nope.mp4")
    assert r["status"] == "error" and "file not found" in r["error"]


def test_empty_file(tracker_module, tmp_path):
    p = tmp_path / "empty.mp4"
    p.write_bytes(b"")
    r = rec_for(tracker_module(), p)
    assert r["status"] == "error" and "empty file" in r["error"]


def test_text_file_is_not_a_video(tracker_module, tmp_path):
    p = tmp_path / "notes.mp4"
    p.write_text("this is not a video\n" * 100)
    r = rec_for(tracker_module(), p)
    assert r["status"] == "error" and "cannot decode" in r["error"]


def test_truncated_mp4(tracker_module, clips, tmp_path):
    data = clips["one"].read_bytes()
    p = tmp_path / "truncated.mp4"
    p.write_bytes(data[: len(data) // 2])
    r = rec_for(tracker_module(), p)
    assert r["status"] == "error" and r["error"]


def test_zero_frame_clip(tracker_module, tmp_path):
    import cv2

    p = tmp_path / "zero.mp4"
    w = cv2.VideoWriter(str(p), cv2.VideoWriter_fourcc(*"mp4v"), 25, (64, 64))
    w.release()
    r = rec_for(tracker_module(), p)
    assert r["status"] == "error"


def test_audio_only_file_has_no_video_stream(tracker_module, tmp_path):
    p = tmp_path / "audio.wav"
    with wave.open(str(p), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.sin(np.arange(16000) / 5) * 8000).astype(np.int16).tobytes())
    r = rec_for(tracker_module(), p)
    assert r["status"] == "error" and r["error"]


def test_grayscale_video(tracker_module, tmp_path):
    p = media.compose(tmp_path / "gray.mp4", media.ONE_PERSON, seconds=1.5, gray=True)
    r = rec_for(tracker_module(), p)
    assert r["status"] == "ok" and len(r["main_track_ids"]) == 1


def test_4k_video_boxes_in_source_pixels(tracker_module, tmp_path):
    """A 4K clip is analysed at 512 px but reported in source pixels: 6x the boxes of the 640 px clip."""
    uhd = media.compose(tmp_path / "uhd.mp4", media.ONE_PERSON, seconds=1.0, fps=16, size=(3840, 2160))
    small = media.compose(tmp_path / "small.mp4", media.ONE_PERSON, seconds=1.0, fps=16, size=(640, 360))
    r, r_small = rec_for(tracker_module(), uhd), rec_for(tracker_module(), small)
    assert r["status"] == "ok", r.get("error")
    assert (r["width"], r["height"]) == (3840, 2160) and r["analysis_size"] == [512, 288]
    (t,), (t_small,) = r["tracks"], r_small["tracks"]
    for b, b_small in zip(t["boxes"], t_small["boxes"]):
        np.testing.assert_allclose(b, np.array(b_small) * 6, rtol=0.1, atol=30)


def test_start_past_the_end(tracker_module, clips):
    r = tracker_module()(VideoItem(id="v", video=str(clips["one"]), start=100.0))
    assert r["status"] == "error" and "no frames between" in r["error"]


@pytest.mark.parametrize("name", ["one"])
def test_trimmed_clip_only_analyses_the_window(tracker_module, clips, name):
    r = tracker_module()(VideoItem(id="v", video=str(clips[name]), start=1.0, end=2.0))
    assert r["status"] == "ok"
    assert all(25 <= f < 50 for f in r["sampled_frames"]) and len(r["sampled_frames"]) == 16
