"""Accuracy of the whole tracking module on real media (the issue's acceptance cases)."""

import numpy as np
import pytest

from fdacli.core.run.inputs import VideoItem


def run(module, path, vid="v"):
    rec = module(VideoItem(id=vid, video=str(path)))
    assert rec["status"] == "ok", rec.get("error")
    return rec


def x_centres(track):
    return np.array([(b[0] + b[2]) / 2 for b in track["boxes"]])


@pytest.mark.parametrize("detector", ["yunet", "mtcnn"])
def test_carphone_one_main_track(tracker_module, carphone, detector):
    rec = run(tracker_module(detector), carphone, "carphone")
    assert rec["fps"] == pytest.approx(29.97, abs=0.01) and len(rec["sampled_frames"]) == 65  # 4.004 s at 16 fps
    assert len(rec["tracks"]) == 1, "a single talking man must give a single track (no identity switch)"
    (t,) = rec["tracks"]
    assert t["is_main"] and rec["main_track_ids"] == [t["track_id"]]
    assert len(t["frames"]) >= 0.95 * len(rec["sampled_frames"])
    assert len(rec["key_frames"]) == 16 and all(k in t["frames"] for k in rec["key_frames"])
    x1, y1, x2, y2 = t["boxes"][0]
    assert 0 <= x1 < x2 <= rec["width"] and 0 <= y1 < y2 <= rec["height"]
    assert len(t["landmarks"][0]) == 5 and 0.3 < t["similarity"] <= 1.0


@pytest.mark.parametrize("detector,embed_every", [("yunet", 16), ("yunet", 1), ("mtcnn", 16)])
def test_two_people_crossing_keep_identities(tracker_module, clips, detector, embed_every):
    rec = run(tracker_module(detector, embed_every=embed_every), clips["two"])
    tracks = [t for t in rec["tracks"] if len(t["frames"]) >= 10]
    assert len(tracks) == 2, [len(t["frames"]) for t in rec["tracks"]]
    n = len(rec["sampled_frames"])
    by_dir = {}
    for t in tracks:
        xs = x_centres(t)
        assert len(t["frames"]) >= 0.85 * n
        # The composed paths are straight lines: a switch would reverse the direction mid-track.
        steps = np.diff(xs)
        assert np.all(steps > -3) or np.all(steps < 3), "identity switch at the crossing"
        by_dir["right" if xs[-1] > xs[0] else "left"] = t
    assert set(by_dir) == {"left", "right"}
    assert by_dir["right"]["is_main"] and not by_dir["left"]["is_main"]  # obama (larger) moves right


def test_three_people_big_face_is_main(tracker_module, clips):
    rec = run(tracker_module("yunet"), clips["three"])
    assert len(rec["tracks"]) == 3
    main = [t for t in rec["tracks"] if t["is_main"]]
    assert len(main) == 1
    big = max(rec["tracks"], key=lambda t: np.mean([(b[2] - b[0]) * (b[3] - b[1]) for b in t["boxes"]]))
    assert main[0] is big
    late = min(rec["tracks"], key=lambda t: t["frames"][0] if t["frames"] else 0)
    assert late["frames"][0] == rec["sampled_frames"][0]
    assert all(k in big["frames"] for k in rec["key_frames"])


def test_no_face_clip(tracker_module, clips):
    rec = run(tracker_module("yunet"), clips["none"])
    assert rec["tracks"] == [] and rec["main_track_ids"] == [] and rec["faces"] == 0
    s = rec["sampled_frames"]
    assert rec["key_frames"] == [s[i] for i in np.round(np.linspace(0, len(s) - 1, 16)).astype(int)]
    assert rec["key_frame_boxes"] == [None] * 16
