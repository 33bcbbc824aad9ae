"""Faults and hostile input, as a user meets them: an output that is an input, a second run onto the same
output, an output another command wrote, ids that clean to one path, a pair of splits cut by a kill, a
full disk, a read-only or impossible output path, and a parent process killed under --workers.

Each test runs the real command (a subprocess) on real files; docs/reliability.md lists the promise each
one holds."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fake_openai import FakeOpenAI, fec_judge

FDA = [sys.executable, "-m", "fdacli.cli"]
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fdacli" / "data" / "sample.mp4"
REFS = Path(__file__).parent / "data" / "fec_bench_refs_slice.json"


def fda(*args, preexec=None, timeout=300, **env):
    return subprocess.run([*FDA, *map(str, args)], capture_output=True, text=True, timeout=timeout, preexec_fn=preexec,
                          env={**os.environ, "COLUMNS": "200", **env})


def one_line(p) -> str:
    return " ".join(p.stderr.split())


def preds_refs(tmp_path, n=3):
    refs = json.loads(REFS.read_text())[:n]
    (tmp_path / "refs.json").write_text(json.dumps(refs))
    (tmp_path / "preds.jsonl").write_text("".join(json.dumps({"id": r["id"], "caption": r["caption"]}) + "\n" for r in refs))
    return tmp_path / "preds.jsonl", tmp_path / "refs.json"


# ---------------------------------------------------------------- an output that is an input
def test_an_output_that_is_an_input_is_refused_and_the_input_kept(tmp_path):
    preds, refs = preds_refs(tmp_path)
    (tmp_path / "link.jsonl").symlink_to(preds)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "a", "video": str(SAMPLE)}) + "\n")
    ann = tmp_path / "ann.jsonl"
    ann.write_text(json.dumps({"id": "a", "video": str(SAMPLE), "caption": "The man smiles."}) + "\n")
    before = {p: p.read_bytes() for p in (preds, refs, manifest, ann)}
    runs = [
        ("score", preds, "-r", refs, "-o", preds, "--metrics", "rouge"),
        ("score", preds, "-r", refs, "-o", tmp_path / "link.jsonl", "--metrics", "rouge"),  # through a link
        ("score", preds, "-r", refs, "-o", refs, "--metrics", "rouge"),
        ("build-instructions", ann, "-o", ann),
        ("track", "--manifest", manifest, "-o", manifest),
        ("track", "--manifest", manifest, "-o", manifest, "--overwrite"),
    ]
    for args in runs:
        p = fda(*args)
        assert p.returncode == 2 and "is also an input" in one_line(p) and "Traceback" not in p.stderr, (args, p.stderr)
    assert all(p.read_bytes() == data for p, data in before.items())


# ---------------------------------------------------------------- resume only onto this command's output
def test_resume_goes_only_onto_an_output_this_command_wrote(tmp_path):
    stranger = tmp_path / "t.jsonl"
    stranger.write_text(json.dumps({"id": "sample", "video": "x.mp4"}) + "\n")  # a JSONL with ids, not ours
    p = fda("track", SAMPLE, "-o", stranger)
    assert p.returncode == 2 and "is not an output of fda track" in one_line(p) and "--overwrite" in one_line(p)
    assert json.loads(stranger.read_text()) == {"id": "sample", "video": "x.mp4"}
    legacy = tmp_path / "legacy.jsonl"  # written before markers existed: records with an id and a status
    legacy.write_text(json.dumps({"id": "earlier", "video": "e.mp4", "status": "ok"}) + "\n")
    assert fda("track", SAMPLE, "-o", legacy).returncode == 0
    assert [json.loads(line)["id"] for line in legacy.read_text().splitlines()] == ["earlier", "sample"]
    out = tmp_path / "ok.jsonl"
    assert fda("track", SAMPLE, "-o", out).returncode == 0
    p = fda("track", SAMPLE, "-o", out)  # our own output: resumed, nothing to do
    assert p.returncode == 0 and "already done" in p.stderr
    # a tracks file is not a pre-annotation file to resume onto
    with FakeOpenAI(responder=lambda body: ("ok", "calm")) as srv:
        p = fda("preannotate", out, "-o", out.with_name("ok2.jsonl"), "--base-url", srv.base_url, "--no-cache")
        assert p.returncode == 0, p.stderr
    p = fda("track", SAMPLE, "-o", out.with_name("ok2.jsonl"))
    assert p.returncode == 2 and "was written by fda preannotate, not fda track" in one_line(p)
    assert fda("track", SAMPLE, "-o", out.with_name("ok2.jsonl"), "--overwrite").returncode == 0


# ---------------------------------------------------------------- one run at a time per output
def test_a_second_run_onto_the_same_output_stops_at_once_naming_the_first(tmp_path):
    out = tmp_path / "t.jsonl"
    videos = [tmp_path / f"v{i}.mp4" for i in range(4)]
    for v in videos:
        v.symlink_to(SAMPLE)
    first = subprocess.Popen([*FDA, "track", *map(str, videos), "-o", str(out), "-q"], stderr=subprocess.PIPE, text=True)
    marker = tmp_path / ".t.jsonl.fda"
    deadline = time.monotonic() + 120
    while not (marker.exists() and str(first.pid) in marker.read_text()):  # until the first run holds the output
        assert time.monotonic() < deadline and first.poll() is None, "the first run never took the output"
        time.sleep(0.05)
    t0 = time.monotonic()
    second = fda("track", *videos, "-o", out, "-q")
    assert second.returncode == 2 and time.monotonic() - t0 < 30
    assert f"being written by another run: fda track (pid {first.pid}" in one_line(second)
    assert first.wait(timeout=300) == 0
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert sorted(ids) == ["v0", "v1", "v2", "v3"]  # each once


def test_score_output_and_report_folder_are_held_for_the_run(tmp_path):
    from fdacli.core.run import outputs

    preds, refs = preds_refs(tmp_path)
    for held, args in ((tmp_path / "s.json", ()), (tmp_path / "report", ("--report", tmp_path / "report"))):
        with outputs.claim(held, "score", resume=False):
            p = fda("score", preds, "-r", refs, "-o", tmp_path / "s.json", "--metrics", "rouge", *args)
        assert p.returncode == 2 and "being written by another run: fda score" in one_line(p), p.stderr
    assert fda("score", preds, "-r", refs, "-o", tmp_path / "s.json", "--metrics", "rouge").returncode == 0


# ---------------------------------------------------------------- per-id paths
def test_ids_that_clean_to_one_path_keep_their_own_crops_and_contact_sheets(tmp_path):
    ids = ["DFEW/0001", "DFEW\\0001", "x", "./x"]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(json.dumps({"id": i, "video": str(SAMPLE), "start": 0.0, "end": 1.0}) + "\n" for i in ids))
    p = fda("track", "--manifest", manifest, "-o", tmp_path / "t.jsonl", "--crops", tmp_path / "crops", "--viz", tmp_path / "viz")
    assert p.returncode == 0, p.stderr
    recs = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    crops = {r["id"]: [c for c in r["crops"] if c] for r in recs}
    dirs = {i: {str(Path(c).parent) for c in cs} for i, cs in crops.items()}
    assert all(len(d) == 1 for d in dirs.values()) and len({d.pop() for d in dirs.values()}) == len(ids)
    assert all(Path(c).exists() for cs in crops.values() for c in cs)
    assert len({r["viz"] for r in recs}) == len(ids) == len(list((tmp_path / "viz").rglob("*.png")))  # none overwritten


def test_preannotate_saved_grids_are_per_id(tmp_path):
    tracks = tmp_path / "tracks.jsonl"
    tracks.write_text("".join(json.dumps({"id": i, "video": str(SAMPLE), "status": "ok", "key_frames": [0, 4, 8, 12]}) + "\n"
                              for i in ("x", "./x", "../x")))
    with FakeOpenAI(responder=lambda body: ("ok", "calm")) as srv:
        p = fda("preannotate", tracks, "-o", tmp_path / "pre.jsonl", "--base-url", srv.base_url, "--no-cache",
                "--save-grids", tmp_path / "grids")
    assert p.returncode == 0, p.stderr
    grids = [json.loads(line)["grids"] for line in (tmp_path / "pre.jsonl").read_text().splitlines()]
    assert len({str(Path(g[0]).parent) for g in grids}) == 3 and all(Path(g[0]).exists() for g in grids)


# ---------------------------------------------------------------- outputs that belong together
def test_a_train_test_pair_cut_between_its_renames_is_detected_and_redone(tmp_path):
    from fdacli.core.run.records import RecordError, atomic_write_pair, read_jsonl

    train, test = tmp_path / "train.jsonl", tmp_path / "test.jsonl"
    atomic_write_pair({train: b'{"id": "old-train"}\n', test: b'{"id": "old-test"}\n'})
    # a real SIGKILL between the two renames of the next pair
    script = f"""
import os, signal
from pathlib import Path
from fdacli.core.run import records
real = os.replace
def replace(src, dst):
    if str(dst) == {str(test)!r}:
        os.kill(os.getpid(), signal.SIGKILL)
    real(src, dst)
records.os.replace = replace
records.atomic_write_pair({{Path({str(train)!r}): b'{{"id": "new-train"}}\\n', Path({str(test)!r}): b'{{"id": "new-test"}}\\n'}})
"""
    assert subprocess.run([sys.executable, "-c", script]).returncode == -signal.SIGKILL
    assert "new-train" in train.read_text() and "old-test" in test.read_text()  # the mix the issue found...
    for f in (train, test):  # ...is refused by every reader, naming the pair
        with pytest.raises(RecordError, match="half-written.*run it again"):
            list(read_jsonl(f))
    ann = tmp_path / "ann.jsonl"
    ann.write_text("".join(json.dumps({"id": str(i), "video": "v.mp4", "caption": "The man smiles."}) + "\n" for i in range(10)))
    p = fda("build-instructions", ann, "-o", train, "--test-out", test, "--test-size", "3")
    assert p.returncode == 0, p.stderr
    assert len(list(read_jsonl(train))) == 7 and len(list(read_jsonl(test))) == 3
    assert not list(tmp_path.glob(".*pending")) and not list(tmp_path.glob(".*.tmp*"))


# ---------------------------------------------------------------- full disk, read-only, impossible paths
def limit_file_size(nbytes: int):
    def preexec():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG, like a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
    return preexec


def test_a_full_disk_ends_in_one_line_and_leaves_no_temporary_files(tmp_path):
    preds, refs = preds_refs(tmp_path, 10)
    for attempt in range(2):  # a rerun on the still-full disk adds no .tmp file either
        p = fda("score", preds, "-r", refs, "-o", tmp_path / "s.json", "--metrics", "rouge", preexec=limit_file_size(500))
        assert p.returncode == 2 and "cannot write" in one_line(p) and "Traceback" not in p.stderr, p.stderr
    assert not list(tmp_path.glob(".*tmp*")) and not (tmp_path / "s.json").exists()
    # records: what was written before the disk filled up is kept whole, and the rerun resumes from it
    videos = [tmp_path / f"v{i}.mp4" for i in range(3)]
    for v in videos:
        v.symlink_to(SAMPLE)
    out = tmp_path / "t.jsonl"
    p = fda("track", *videos, "-o", out, "-q", preexec=limit_file_size(3000))
    assert p.returncode == 2 and "cannot write" in one_line(p) and "Traceback" not in p.stderr, p.stderr
    p = fda("track", *videos, "-o", out, "-q")
    assert p.returncode == 0, p.stderr
    assert sorted(json.loads(line)["id"] for line in out.read_text().splitlines()) == ["v0", "v1", "v2"]


@pytest.fixture
def tiny_tmpfs(tmp_path):
    """A 64 KiB tmpfs (needs mount rights; skipped where the test runner has none)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("no rights to mount a tmpfs here")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_a_real_full_filesystem_and_a_read_only_one(tiny_tmpfs, tmp_path):
    preds, refs = preds_refs(tmp_path, 3)
    (tiny_tmpfs / "filler").write_bytes(b"\0" * (64 * 1024 - 4096))  # nearly full
    p = fda("score", preds, "-r", refs, "-o", tiny_tmpfs / "s.json", "--metrics", "rouge")
    assert p.returncode == 2 and "no space left" in one_line(p), p.stderr
    (tiny_tmpfs / "filler").unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_tmpfs)], check=True)
    p = fda("score", preds, "-r", refs, "-o", tiny_tmpfs / "s.json", "--metrics", "rouge")
    assert p.returncode == 2 and "read-only" in one_line(p), p.stderr


def test_impossible_outputs_are_refused_before_any_work(tmp_path):
    preds, refs = preds_refs(tmp_path)
    (tmp_path / "afile").write_text("x")
    (tmp_path / "adir").mkdir()
    with FakeOpenAI(responder=fec_judge) as srv:
        for out, message in ((tmp_path / "adir", "is a directory"), (tmp_path / "afile" / "s.json", "is a file, not a folder")):
            p = fda("score", preds, "-r", refs, "-o", out, "--judge", "openai:j", "--base-url", srv.base_url, "--no-cache")
            assert p.returncode == 2 and message in one_line(p) and "Traceback" not in p.stderr, p.stderr
        assert srv.requests == []  # refused before the first judge call, not after all the scoring
    for args in (("track", SAMPLE, "-o", tmp_path / "adir"), ("track", SAMPLE, "-o", tmp_path / "t.jsonl", "--viz", tmp_path / "afile"),
                 ("build-instructions", preds, "-o", tmp_path / "afile" / "x.jsonl")):
        p = fda(*args)
        assert p.returncode == 2 and "Traceback" not in p.stderr and p.stderr.count("\n") <= 3, (args, p.stderr)


# ---------------------------------------------------------------- processes
def children(pid: int) -> set[int]:
    out = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out |= {int(c) for c in text}
    return out


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_their_parent_and_the_output_resumes(tmp_path, sig):
    videos = [tmp_path / f"v{i}.mp4" for i in range(8)]
    for v in videos:
        v.symlink_to(SAMPLE)
    out = tmp_path / "t.jsonl"
    parent = subprocess.Popen([*FDA, "track", *map(str, videos), "-o", str(out), "--workers", "2", "-q"],
                              stderr=subprocess.PIPE, text=True)
    kids: set[int] = set()
    for _ in range(600):  # until both workers run
        time.sleep(0.05)
        kids = children(parent.pid) if alive(parent.pid) else kids
        if len(kids) >= 3:  # the resource tracker and two workers
            break
    time.sleep(1.0)
    parent.send_signal(sig)
    code = parent.wait(timeout=60)
    if sig == signal.SIGTERM:
        assert code == 130 and "stopped: what was written is kept" in " ".join(parent.stderr.read().split())
    deadline = time.monotonic() + 15
    while any(alive(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert kids and not [k for k in kids if alive(k)]  # no worker or tracker left holding memory
    p = fda("track", *videos, "-o", out, "-q")
    assert p.returncode == 0, p.stderr
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert sorted(ids) == sorted(v.stem for v in videos)  # every id exactly once


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_during_llm_calls_in_flight_ends_at_once(tmp_path, sig):
    preds, refs = preds_refs(tmp_path, 6)
    with FakeOpenAI(responder=lambda body: ("sleep", 30.0, "{}")) as srv:
        proc = subprocess.Popen([*FDA, "score", str(preds), "-r", str(refs), "-o", str(tmp_path / "s.json"), "--judge",
                                 "openai:j", "--base-url", srv.base_url, "--no-cache", "--metrics", "tem"],
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while len(srv.requests) < 4:  # four calls in flight, each answered only after 30 s
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.poll() is not None else ""
            time.sleep(0.05)
        t0 = time.monotonic()
        proc.send_signal(sig)
        code = proc.wait(timeout=60)
        took = time.monotonic() - t0
    assert code == 130 and took < 10, took  # not after the calls in flight (30 s) or their retries
    assert "stopped: what was written is kept" in " ".join(proc.stderr.read().split())
