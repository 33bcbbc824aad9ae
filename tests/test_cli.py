"""The `fda` command end to end, as a user runs it: real processes, real files."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


FDA = [sys.executable, "-m", "fdacli.cli"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "120"}


def fda(*args, check=None, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run([*FDA, *map(str, args)], capture_output=True, text=True, env=ENV, timeout=600, **kw)
    if check is not None:
        assert p.returncode == check, p.stderr[-3000:]
    return p


def records(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def test_help_is_fast_and_imports_nothing_heavy():
    code = "import sys, fdacli.cli; print(sorted(m for m in ('torch','cv2','decord','sklearn','transformers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    p = fda("--help", check=0)
    for name in ("sample", "track", "preannotate", "build-instructions", "finetune", "caption", "score"):  # all seven
        assert name in p.stdout
    assert fda("--version", check=0).stdout.startswith("fda ")
    assert "--detector" in fda("track", "--help", check=0).stdout


def test_usage_errors(tmp_path):
    p = fda("track", "-o", tmp_path / "o.jsonl")
    assert p.returncode == 2 and "give video files" in p.stderr
    p = fda("track", tmp_path, "-o", tmp_path / "o.jsonl")
    assert p.returncode == 2 and "no video files found" in p.stderr
    p = fda("track", tmp_path / "x.mp4", "-o", tmp_path / "o.jsonl", "--detector", "dlib")
    assert p.returncode == 2 and "unknown detector" in p.stderr
    bad = tmp_path / "m.jsonl"
    bad.write_text('{"id": "a", "video": "a.mp4"}\nnot json\n')
    p = fda("track", "--manifest", bad, "-o", tmp_path / "o.jsonl")
    assert p.returncode == 2 and "m.jsonl:2" in p.stderr


def test_batch_with_bad_files_reports_and_resumes(tmp_path, clips):
    d = tmp_path / "videos"
    d.mkdir()
    shutil.copy(clips["one"], d / "good.mp4")
    (d / "broken.mp4").write_text("not a video")
    (d / "empty.mp4").write_bytes(b"")
    out = tmp_path / "tracks.jsonl"
    p = fda("track", d, d / "missing.mp4", "-o", out, "--viz", tmp_path / "viz", "--crops", tmp_path / "crops")
    assert p.returncode == 1, p.stderr  # errors are reported through the exit code ...
    recs = {r["id"]: r for r in records(out)}
    assert set(recs) == {"good", "broken", "empty", "missing"}  # ... but the batch went on
    assert recs["good"]["status"] == "ok" and recs["missing"]["status"] == "error"
    assert "file not found" in recs["missing"]["error"]
    assert "main tracks" in p.stderr and "error missing: file not found" in p.stderr  # summary and reasons
    assert "video_reader.cc" not in p.stderr  # the decoder's own C++ log lines stay out of the terminal
    # crops and the contact sheet
    import cv2

    sheet = cv2.imread(recs["good"]["viz"])
    assert sheet is not None and sheet.shape[1] == 4 * 320
    crops = [c for c in recs["good"]["crops"] if c]
    assert len(crops) == 16 and cv2.imread(crops[0]).shape == (224, 224, 3)
    # rerun: nothing to do, nothing written twice; --retry-errors runs only the failures again
    p = fda("track", d, d / "missing.mp4", "-o", out)
    assert "4 video(s) already done" in p.stderr
    assert len(records(out)) == 4
    # the rerun's summary covers the whole output, and the failures still in it set the exit code
    assert p.returncode == 1 and "error missing: file not found" in p.stderr and "0 video(s) tracked now, 4 done before" in p.stderr
    p = fda("track", d, d / "missing.mp4", "-o", out, "--retry-errors")
    assert len(records(out)) == 4 and "1 video(s) already done" in p.stderr


def test_workers_give_the_same_records(tmp_path, clips):
    vids = tmp_path / "v"
    vids.mkdir()
    for name in ("one", "two", "none"):
        shutil.copy(clips[name], vids / f"{name}.mp4")
    fda("track", vids, "-o", tmp_path / "a.jsonl", "-q", check=0)
    fda("track", vids, "-o", tmp_path / "b.jsonl", "-q", "--workers", "2", check=0)
    strip = lambda r: {k: v for k, v in r.items() if k != "seconds"}  # noqa: E731
    a = {r["id"]: strip(r) for r in records(tmp_path / "a.jsonl")}
    b = {r["id"]: strip(r) for r in records(tmp_path / "b.jsonl")}
    assert a == b


@pytest.mark.slow
def test_killed_run_resumes_with_every_record_once(tmp_path, clips):
    vids = tmp_path / "v"
    vids.mkdir()
    for i in range(6):
        shutil.copy(clips["one"], vids / f"clip{i}.mp4")
    out = tmp_path / "tracks.jsonl"
    proc = subprocess.Popen([*FDA, "track", str(vids), "-o", str(out), "-q"], env=ENV)
    deadline = time.time() + 300
    while time.time() < deadline and (not out.exists() or len(out.read_text().splitlines()) < 2):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = len(records(out))
    assert 2 <= before < 6, "the kill must land mid-run"
    fda("track", vids, "-o", out, "-q", check=0)
    ids = [r["id"] for r in records(out)]
    assert sorted(ids) == [f"clip{i}" for i in range(6)]  # each exactly once


@pytest.mark.slow
def test_accelerate_launch_shards_and_merges(tmp_path, clips):
    accelerate = shutil.which("accelerate")
    assert accelerate, "accelerate is a dependency"
    vids = tmp_path / "v"
    vids.mkdir()
    for i, name in enumerate(["one", "two", "none", "one", "three"]):
        shutil.copy(clips[name], vids / f"c{i}.mp4")
    out = tmp_path / "tracks.jsonl"
    env = {**ENV, "ACCELERATE_USE_CPU": "true"}
    cmd = [accelerate, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
           "--dynamo_backend", "no", "--main_process_port", "29613", "-m", "fdacli.cli", "track", str(vids), "-o", str(out)]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "3/3" in p.stderr  # rank 0's progress: its shard is items 0, 2, 4 of the 5
    ids = sorted(r["id"] for r in records(out))
    assert ids == [f"c{i}" for i in range(5)]
    assert not list(tmp_path.glob("tracks.jsonl.part*"))  # parts merged and removed
    # --overwrite under launch: rank 0 clears the output before any rank looks at it
    p = subprocess.run([*cmd, "--overwrite", "-q"], capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    assert sorted(r["id"] for r in records(out)) == [f"c{i}" for i in range(5)]


def test_ids_are_never_read_as_markup(tmp_path, clips):
    """An id like `a[/]b[bold]` must not kill the progress display or lose the summary."""
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "evil[/]id[bold]", "video": str(clips["one"])}) + "\n")
    p = fda("track", "--manifest", manifest, "-o", tmp_path / "t.jsonl")
    assert p.returncode == 0, p.stderr
    assert "evil[/]id[bold]: ok" in p.stderr and "main tracks" in p.stderr
    assert records(tmp_path / "t.jsonl")[0]["id"] == "evil[/]id[bold]"


def test_every_option_is_described_and_help_reads_at_80_columns():
    import typer.main

    from fdacli import cli

    cli._register()
    group = typer.main.get_command(cli.app)
    missing = [f"{name} {p.opts[0]}" for name, cmd in group.commands.items() for p in cmd.params
               if getattr(p, "help", None) in (None, "") and p.param_type_name == "option"]
    assert not missing, missing
    env = {**ENV, "COLUMNS": "80"}
    ft = subprocess.run([*FDA, "finetune", "--help"], capture_output=True, text=True, env=env).stdout
    assert "mistralai/Mistral-7B-Instruct-v0.2]" in ft and "<bool>" not in ft  # defaults in full, flags bare
    bi = subprocess.run([*FDA, "build-instructions", "--help"], capture_output=True, text=True, env=env).stdout
    assert "bracketed [inference] spans" in bi  # help text is not read as markup
    assert max(len(line) for line in (ft + bi).splitlines()) <= 80


def test_one_meaning_per_short_flag_across_the_suite():
    import typer.main

    from fdacli import cli

    cli._register()
    meaning: dict[str, set[str]] = {}
    for cmd in typer.main.get_command(cli.app).commands.values():
        for p in cmd.params:
            longs = [o for o in p.opts if o.startswith("--")]
            for short in [o for o in p.opts + p.secondary_opts if len(o) == 2]:
                meaning.setdefault(short, set()).update(longs)
    assert {s: m for s, m in meaning.items() if len(m) > 1} == {}


def test_a_video_given_where_jsonl_is_expected_is_one_clear_line(tmp_path):
    video = Path(__file__).resolve().parents[1] / "fdacli" / "data" / "sample.mp4"
    for args in (["preannotate", video, "-o", tmp_path / "x.jsonl", "--base-url", "http://127.0.0.1:9/v1"],
                 ["score", video, "--refs", video, "-o", tmp_path / "s.json", "--metrics", "cider"],
                 ["build-instructions", video, "-o", tmp_path / "t.jsonl"],
                 ["track", "--manifest", video, "-o", tmp_path / "t2.jsonl"]):
        p = fda(*args)
        assert p.returncode == 2 and "not a JSON/JSONL file" in p.stderr and "Traceback" not in p.stderr, (args, p.stderr)
