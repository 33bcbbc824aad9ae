"""`fda preannotate` against a real loopback server: the grid images, resume after a kill, failures."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from fake_openai import FakeOpenAI
from fdacli.core.media.grids import decode_data_url, make_grids

COLOURS = [(230, 30, 30), (30, 230, 30), (30, 30, 230), (230, 230, 30), (230, 30, 230), (30, 230, 230), (240, 240, 240)]
FDA = [sys.executable, "-m", "fdacli.cli"]


@pytest.fixture(scope="module")
def colour_clip(tmp_path_factory):
    import cv2

    path = tmp_path_factory.mktemp("pre") / "colours.mp4"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 8, (160, 96))
    for rgb in COLOURS:
        for _ in range(2):  # two frames per colour: key frames 0, 2, 4, ... are one colour each
            w.write(np.full((96, 160, 3), rgb[::-1], np.uint8))
    w.release()
    return path


def tracks_file(tmp_path, clip, ids, n_key=6):
    p = tmp_path / "tracks.jsonl"
    box = [40.0, 20.0, 100.0, 80.0]
    p.write_text("".join(json.dumps({"id": i, "video": str(clip), "status": "ok", "key_frames": [2 * k for k in range(n_key)],
                                     "key_frame_boxes": [box] * n_key}) + "\n" for i in ids))
    return p


def run(args, env=None, **kw):
    return subprocess.run([*FDA, *map(str, args)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "150", **(env or {})}, **kw)


def quadrant_means(img):
    h, w = img.shape[0] // 2, img.shape[1] // 2
    return [img[r * h + h // 4 : r * h + 3 * h // 4, c * w + w // 4 : c * w + 3 * w // 4].reshape(-1, 3).mean(0)
            for r in (0, 1) for c in (0, 1)]


def test_grids_sent_in_order_with_black_padding(tmp_path, colour_clip):
    tracks = tracks_file(tmp_path, colour_clip, ["c1"])
    out = tmp_path / "pre.jsonl"
    with FakeOpenAI(responder=lambda body: ("ok", "The person looks calm.")) as srv:
        p = run(["preannotate", tracks, "-o", out, "--model", "vision-x", "--base-url", srv.base_url, "--no-cache",
                 "--save-grids", tmp_path / "grids"])
        assert p.returncode == 0, p.stderr
        (req,) = srv.requests
    content = req["messages"][0]["content"]
    assert content[0]["type"] == "text" and "2x2 grid" in content[0]["text"] and req["model"] == "vision-x"
    images = [decode_data_url(c["image_url"]["url"]) for c in content[1:]]
    assert len(images) == 2  # 6 key frames -> 2 grids
    expected = [COLOURS[0], COLOURS[1], COLOURS[2], COLOURS[3], COLOURS[4], COLOURS[5], (0, 0, 0), (0, 0, 0)]
    got = quadrant_means(images[0]) + quadrant_means(images[1])
    for g, e in zip(got, expected):
        assert np.abs(g - np.array(e)).max() < 25, (g, e)
    rec = json.loads(out.read_text())
    assert rec["text"] == "The person looks calm." and rec["model"] == "vision-x" and rec["prompt_version"]
    assert rec["usage"]["prompt_tokens"] == 10 and len(rec["grids"]) == 2


def test_face_crops_add_grids(tmp_path, colour_clip):
    tracks = tracks_file(tmp_path, colour_clip, ["c1"], n_key=4)
    with FakeOpenAI(responder=lambda body: ("ok", "ok")) as srv:
        p = run(["preannotate", tracks, "-o", tmp_path / "o.jsonl", "--base-url", srv.base_url, "--no-cache", "--face-crops"])
        assert p.returncode == 0, p.stderr
        content = srv.requests[0]["messages"][0]["content"]
    assert len(content) == 1 + 2 and "face" in content[0]["text"]  # one frame grid + one face-crop grid
    crop_grid = decode_data_url(content[2]["image_url"]["url"])
    assert crop_grid.shape[:2] == (448, 448)


@pytest.mark.slow
def test_killed_run_resumes_each_clip_once(tmp_path, colour_clip):
    ids = [f"clip{i}" for i in range(6)]
    tracks = tracks_file(tmp_path, colour_clip, ids)
    out = tmp_path / "pre.jsonl"
    with FakeOpenAI(responder=lambda body: ("sleep", 0.4, "draft")) as srv:
        # no cache: the six clips send identical images, so cache hits would finish clips 2-6 at once and the
        # kill could land after the last one
        args = ["preannotate", tracks, "-o", out, "--base-url", srv.base_url, "--concurrency", "1", "-q", "--no-cache"]
        proc = subprocess.Popen([*FDA, *map(str, args)], env=os.environ.copy())
        deadline = time.time() + 120
        while time.time() < deadline and (not out.exists() or len(out.read_text().splitlines()) < 2):
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        before = len(out.read_text().splitlines())
        assert 2 <= before < 6
        p = run(args)
        assert p.returncode == 0, p.stderr
    got = [json.loads(x)["id"] for x in out.read_text().splitlines()]
    assert sorted(got) == ids


def test_failures_are_reported_and_nothing_lost(tmp_path, colour_clip):
    tracks = tracks_file(tmp_path, colour_clip, ["a", "b"])
    out = tmp_path / "pre.jsonl"
    with FakeOpenAI(responder=lambda body: ("ok", "   ")) as srv:  # an endpoint that returns empty replies
        p = run(["preannotate", tracks, "-o", out, "--base-url", srv.base_url, "--no-cache", "--max-retries", "0"])
    assert p.returncode == 1 and "error a" in p.stderr
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert {r["id"] for r in recs} == {"a", "b"} and all(r["status"] == "error" and "empty reply" in r["error"] for r in recs)
    with FakeOpenAI(responder=lambda body: ("status", 503)) as srv:
        p = run(["preannotate", tracks, "-o", out, "--base-url", srv.base_url, "--no-cache", "--max-retries", "1", "--retry-errors"])
    assert p.returncode == 1 and "InternalServerError 503" in p.stderr
    assert len(out.read_text().splitlines()) == 2
    with FakeOpenAI(responder=lambda body: ("ok", "fine now")) as srv:
        p = run(["preannotate", tracks, "-o", out, "--base-url", srv.base_url, "--no-cache", "--retry-errors"])
    assert p.returncode == 0 and all(json.loads(x)["text"] == "fine now" for x in out.read_text().splitlines())


def test_missing_key_or_refused_key_stops_before_any_record(tmp_path, colour_clip):
    tracks = tracks_file(tmp_path, colour_clip, ["a", "b", "c"])
    out = tmp_path / "pre.jsonl"
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    p = subprocess.run([*FDA, "preannotate", str(tracks), "-o", str(out)], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 2 and "set the environment variable OPENAI_API_KEY" in p.stderr and not out.exists()
    with FakeOpenAI(responder=lambda body: ("status", 401)) as srv:
        p = run(["preannotate", tracks, "-o", out, "--base-url", srv.base_url, "--no-cache", "--concurrency", "1"])
        assert len(srv.requests) == 1
    assert p.returncode == 2 and "stopped" in p.stderr and "refused the credentials" in p.stderr
    assert not out.exists()  # no clip was marked failed, no empty file left: a rerun with a good key does them all


def test_relative_video_paths_resolve_against_the_tracks_file(tmp_path, colour_clip):
    import shutil

    d = tmp_path / "project"
    d.mkdir()
    shutil.copy(colour_clip, d / "clip.mp4")
    (d / "tracks.jsonl").write_text(json.dumps({"id": "r", "video": "clip.mp4", "status": "ok", "key_frames": [0, 2],
                                                "key_frame_boxes": [None, [40, 20, 100, 80]]}) + "\n")
    with FakeOpenAI(responder=lambda body: ("ok", "ok")) as srv:
        p = run(["preannotate", d / "tracks.jsonl", "-o", tmp_path / "o.jsonl", "--base-url", srv.base_url, "--no-cache",
                 "--face-crops"], cwd=tmp_path)
        assert p.returncode == 0, p.stderr
        content = srv.requests[0]["messages"][0]["content"]
    crops = decode_data_url(content[2]["image_url"]["url"])
    assert crops[:224, :224].max() < 30 and crops[:224, 224:].mean() > 30  # no box -> a black cell, in step


def test_make_grids_pads_with_black():
    frames = [np.full((10, 20, 3), v, np.uint8) for v in (50, 100, 150, 200, 250)]
    grids = make_grids(frames, cell=20)
    assert len(grids) == 2 and grids[0].shape == (20, 40, 3)
    assert grids[1][0, 0, 0] == 250 and grids[1][0, 25].max() == 0 and grids[1][15].max() == 0
