"""`fda sample` on a generated dataset tree of real short clips, and movie mode."""

import json
import os
import shutil
import subprocess
import sys
from collections import Counter

import pytest

import media
from fdacli.core.sample.sampling import quotas

COUNTS = {"happy": 5, "sad": 2, "angry": 4}


def fda(*args):
    return subprocess.run([sys.executable, "-m", "fdacli.cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "150"}, timeout=600)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """dsA/<label>/*.mp4 with COUNTS clips of 1 s, one 3-s clip, one corrupt file; and a CSV index for dsB."""
    root = tmp_path_factory.mktemp("datasets")
    base = media.compose(root / "base.mp4", [], seconds=1.0, fps=10, size=(96, 64))
    long = media.compose(root / "long.mp4", [], seconds=3.0, fps=10, size=(96, 64))
    for label, n in COUNTS.items():
        (root / "dsA" / label).mkdir(parents=True)
        for i in range(n):
            (root / "dsA" / label / f"{label}{i}.mp4").write_bytes(base.read_bytes())
    (root / "dsA" / "happy" / "toolong.mp4").write_bytes(long.read_bytes())
    (root / "dsA" / "sad" / "broken.mp4").write_text("not a video")
    rows = ["path,label,duration,id"] + [f"../base.mp4,{lab},1.0,b{k}" for k, lab in enumerate(("calm", "calm", "fear"))]
    (root / "idx").mkdir()
    (root / "idx" / "dsB.csv").write_text("\n".join(rows) + "\n")
    return root


def manifest(p):
    return [json.loads(x) for x in p.read_text().splitlines()]


def test_balanced_per_dataset_with_duration_filter(tree, tmp_path):
    out = tmp_path / "m.jsonl"
    p = fda("sample", tree / "dsA", tree / "idx" / "dsB.csv", "-o", out, "--per-dataset", "7", "--max-duration", "2", "--seed", "3")
    assert p.returncode == 0, p.stderr
    recs = manifest(out)
    a = Counter(r["label"] for r in recs if r["dataset"] == "dsA")
    assert sum(a.values()) == 7 and a["sad"] == 2 and {a["happy"], a["angry"]} == {2, 3}  # 7 = 2+2+2 +1, sad short
    assert Counter(r["label"] for r in recs if r["dataset"] == "dsB") == {"calm": 2, "fear": 1}
    assert not any("toolong" in r["video"] for r in recs)
    assert all((out.parent / r["video"]).exists() for r in recs)  # relative to the manifest's folder
    assert "broken.mp4" in p.stderr and "toolong.mp4" in p.stderr and "> --max-duration" in p.stderr
    r = recs[0]
    assert set(r) >= {"id", "video", "dataset", "label", "start", "end", "duration"} and r["duration"] == pytest.approx(1.0, abs=0.05)
    assert "dataset" in p.stderr and "clips" in p.stderr  # the count table
    # the same seed gives the same sample; another seed another one
    fda("sample", tree / "dsA", "-o", tmp_path / "a.jsonl", "--per-dataset", "4", "--seed", "1")
    fda("sample", tree / "dsA", "-o", tmp_path / "b.jsonl", "--per-dataset", "4", "--seed", "1")
    fda("sample", tree / "dsA", "-o", tmp_path / "c.jsonl", "--per-dataset", "4", "--seed", "2")
    ids = lambda p: [r["id"] for r in manifest(p)]  # noqa: E731
    assert ids(tmp_path / "a.jsonl") == ids(tmp_path / "b.jsonl")
    assert any(ids(tmp_path / "a.jsonl") != ids(tmp_path / f"{x}.jsonl") for x in "c")


def test_trim_and_export(tree, tmp_path):
    out = tmp_path / "m.jsonl"
    p = fda("sample", tree / "dsA", "-o", out, "--per-dataset", "3", "--trim-head", "0.2", "--trim-tail", "0.3", "--min-duration", "0.3",
            "--export", tmp_path / "clips")
    assert p.returncode == 0, p.stderr
    recs = manifest(out)
    assert len(recs) == 3 and all(r["duration"] == pytest.approx(0.5, abs=0.05) for r in recs)
    r = recs[0]
    assert r["source_start"] == 0.2 and r["source_end"] == pytest.approx(0.7, abs=0.05)
    from fdacli.core.media.video import probe

    info = probe(out.parent / r["video"])  # paths are relative to the manifest
    assert info.num_frames == 5 and info.width == 96  # 0.2 s .. 0.7 s at 10 fps


def test_export_past_the_end_is_skipped_not_written(tree, tmp_path):
    idx = tmp_path / "idx.csv"
    idx.write_text("\ufeffpath,label,duration\n" + f"{tree / 'base.mp4'},x,9.0\n")  # lies about the duration; BOM
    p = fda("sample", idx, "-o", tmp_path / "m.jsonl", "--trim-head", "5", "--export", tmp_path / "clips")
    assert p.returncode == 0, p.stderr
    assert "nothing to export" in p.stderr and (tmp_path / "m.jsonl").read_text() == ""
    assert not list((tmp_path / "clips").rglob("*.mp4")) if (tmp_path / "clips").exists() else True


def test_dot_folder_and_unreadable_movie(tree, tmp_path):
    p = subprocess.run([sys.executable, "-m", "fdacli.cli", "sample", ".", "-o", str(tmp_path / "m.jsonl")],
                       capture_output=True, text=True, cwd=tree / "dsA", timeout=300)
    assert p.returncode == 0, p.stderr
    assert all(r["id"].startswith("dsA/") and r["dataset"] == "dsA" for r in manifest(tmp_path / "m.jsonl"))
    broken = tmp_path / "broken_movie.mp4"
    broken.write_bytes((tree / "long.mp4").read_bytes()[:3000])
    p = fda("sample", "--clips-from", broken, "-o", tmp_path / "mv.jsonl", "--clip-len", "1", "--count", "1")
    assert p.returncode == 0 and "broken_movie" in p.stderr


def test_bad_sources(tmp_path):
    bad = tmp_path / "idx.csv"
    bad.write_text("path,label\nclip.mp4,\n")
    p = fda("sample", bad, "-o", tmp_path / "m.jsonl")
    assert p.returncode == 2 and "idx.csv:2: missing 'label'" in p.stderr
    p = fda("sample", tmp_path / "nope", "-o", tmp_path / "m.jsonl")
    assert p.returncode == 2 and "no such file or folder" in p.stderr
    dup = tmp_path / "dup.jsonl"
    dup.write_text('{"id": "x", "path": "a.mp4", "label": "happy", "duration": 2}\n{"id": "x", "path": "b.mp4", "label": "sad", "duration": 2}\n')
    p = fda("sample", dup, "-o", tmp_path / "m.jsonl")
    assert p.returncode == 0 and "duplicate id 'x'" in p.stderr
    assert len((tmp_path / "m.jsonl").read_text().splitlines()) == 1


def test_movie_mode_keeps_only_clips_with_a_large_face(tmp_path):
    # 12 s: no face for the first half, a large face for the second, and a tiny face throughout
    movie = media.compose(tmp_path / "movie.mp4", [media.Person("obama", 200, (0.5, 0.5), (0.5, 0.5), t_in=0.5),
                                                  media.Person("biden", 24, (0.1, 0.1), (0.1, 0.1))], seconds=12.0, fps=10)
    out = tmp_path / "m.jsonl"
    p = fda("sample", "--clips-from", movie, "-o", out, "--clip-len", "2", "--count", "2", "--seed", "0")
    assert p.returncode == 0, p.stderr
    recs = manifest(out)
    assert len(recs) == 2 and all(r["start"] >= 5.9 for r in recs) and all(r["face_share"] > 0.05 for r in recs)
    assert all(r["end"] - r["start"] == pytest.approx(2.0) for r in recs)
    assert "of the frame (need > 5%)" in p.stderr  # faceless / tiny-face windows were rejected with a reason


def test_quotas_are_fair():
    import random

    q = quotas({"a": 10, "b": 10, "c": 10}, 10, random.Random(0))
    assert sorted(q.values()) == [3, 3, 4]
    q = quotas({"a": 1, "b": 10, "c": 10}, 9, random.Random(0))
    assert q["a"] == 1 and q["b"] + q["c"] == 8 and abs(q["b"] - q["c"]) <= 1
    assert quotas({"a": 2}, 5, random.Random(0)) == {"a": 2}


def test_folder_layouts_that_would_sample_nothing_or_mislabel(tree, tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    for f in list((tree / "dsA").rglob("*.mp4"))[:2]:
        shutil.copy(f, flat / f.name)
    p = fda("sample", flat, "-o", tmp_path / "m.jsonl")
    assert p.returncode == 2 and "sit directly in this folder" in p.stderr and not (tmp_path / "m.jsonl").exists()
    p = fda("sample", tree, "-o", tmp_path / "m.jsonl")  # one level too high: dsA/<label>/<clip> inside
    assert "note:" in p.stderr and "if they are datasets, not labels" in p.stderr and "dsA" in p.stderr
    nested = tmp_path / "actors" / "happy" / "actor01"  # <label>/<actor>/<clip> is valid: sampled, no refusal
    nested.mkdir(parents=True)
    shutil.copy(tree / "dsA" / "happy" / "happy0.mp4", nested / "c0.mp4")
    p = fda("sample", tmp_path / "actors", "-o", tmp_path / "n.jsonl")
    assert p.returncode == 0 and manifest(tmp_path / "n.jsonl")[0]["label"] == "happy", p.stderr
    (tmp_path / "empty").mkdir()
    p = fda("sample", tmp_path / "empty", "-o", tmp_path / "m.jsonl")
    assert p.returncode == 2 and "no video files" in p.stderr
