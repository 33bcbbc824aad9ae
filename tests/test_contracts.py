"""Contracts between commands (issue 25): readers linear in what they read."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from events import CAPTION, record  # noqa: E402

from fdacli.core.score.grounding import ground  # noqa: E402
from fdacli.core.text.timeline import caption, hints  # noqa: E402


def _time(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def test_grounding_hints_and_timeline_captions_are_linear_in_events():
    """Ten times the events cost about ten times the time (a quadratic reader would take a hundred times);
    a ratio of two sizes measured in the same run, no absolute timing."""
    small, big = record(4_000), record(40_000)
    for fn in (lambda r: ground(CAPTION, r), lambda r: hints(r["events"]), lambda r: caption(r["events"], 4_000.0)):
        t_small, t_big = _time(lambda: fn(small)), _time(lambda: fn(big))
        assert t_big / max(t_small, 1e-4) < 35, (t_small, t_big)


def test_repeated_events_change_no_verdict():
    one, many = record(6), record(6_000)
    assert ground(CAPTION, one)["events"] == ground(CAPTION, many)["events"]
    assert hints(many["events"]).splitlines()[:5] == hints(one["events"]).splitlines()[:5]


# -- every output whole ----------------------------------------------------------------------------------------
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402

import pytest  # noqa: E402

from fdacli.core.run import outputs  # noqa: E402

DATA = Path(__file__).parent / "data" / "fec_bench_refs_slice.json"


def test_a_report_is_written_with_its_scores_or_not_at_all(tmp_path):
    """A failure while the report is made (here: a full disk when its plot is encoded) leaves the scores and the
    report of the earlier run together; the rerun writes both."""
    refs = json.loads(DATA.read_text())[:6]
    preds = tmp_path / "p.jsonl"
    preds.write_text("".join(json.dumps({"id": r["id"], "caption": r["caption"]}) + "\n" for r in refs))
    out, rep = tmp_path / "scores.json", tmp_path / "report"
    args = [sys.executable, "-m", "fdacli.cli", "score", str(preds), "--refs", str(DATA), "-o", str(out), "--report", str(rep)]
    assert subprocess.run(args, capture_output=True, text=True).returncode == 0
    before = {p.name: p.read_bytes() for p in [out, *rep.iterdir()]}
    preds.write_text("".join(json.dumps({"id": r["id"], "caption": refs[0]["caption"]}) + "\n" for r in refs))  # another run
    boom = ("import errno, sys, runpy; import fdacli.core.media.images as m\n"
            "def full(*a, **k): raise OSError(errno.ENOSPC, 'No space left on device')\n"
            "m.figure_bytes = full\n"
            "sys.argv = ['fda'] + sys.argv[1:]; from fdacli.cli import main; main()\n")
    p = subprocess.run([sys.executable, "-c", boom, *args[3:]], capture_output=True, text=True)
    assert p.returncode == 2 and "No space left" in p.stderr and "Traceback" not in p.stderr
    assert {p.name: p.read_bytes() for p in [out, *rep.iterdir()]} == before  # nothing of the failed run
    assert subprocess.run(args, capture_output=True, text=True).returncode == 0
    after = json.loads(out.read_text())
    assert after != json.loads(before["scores.json"]) and (rep / "report.md").read_bytes() != before["report.md"]
    assert not [p for p in tmp_path.rglob(".*") if p.is_file() and not p.name.endswith(".fda")]


def test_a_picture_is_the_old_one_or_the_new_one(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from fdacli.core.media.images import save_figure, write_image

    path = tmp_path / "plot.png"
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    save_figure(fig, path)
    old = path.read_bytes()

    class Cut:  # a figure whose drawing dies half-way, as a kill would
        def savefig(self, buf, **kw):
            buf.write(old[:100])
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        save_figure(Cut(), path)
    assert path.read_bytes() == old and [p.name for p in tmp_path.iterdir()] == ["plot.png"]
    write_image(tmp_path / "a.jpg", np.zeros((8, 8, 3), np.uint8))
    assert (tmp_path / "a.jpg").read_bytes()[:2] == b"\xff\xd8"


def test_two_links_to_one_output_share_one_lock(tmp_path):
    a = tmp_path / "tracks.jsonl"
    a.write_text('{"id": "x", "status": "ok"}\n')
    b = tmp_path / "other" / "same.jsonl"
    b.parent.mkdir()
    os.link(a, b)
    held = outputs.claim(a, "track")
    try:
        with pytest.raises(outputs.OutputError, match="another link to the same file"):
            outputs.claim(b, "track")
    finally:
        held.release()
    outputs.claim(b, "track").release()  # free again once the first run is done


# -- resume that notices -------------------------------------------------------------------------------------------
REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "fdacli" / "data" / "sample.mp4"


def fda(*args, env=None):
    return subprocess.run([sys.executable, "-m", "fdacli.cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200", **(env or {})}, timeout=600)


def test_a_rerun_with_other_settings_is_refused_with_the_differences(tmp_path, carphone):
    out = tmp_path / "tracks.jsonl"
    assert fda("track", SAMPLE, "-o", out, "-q").returncode == 0
    p = fda("track", SAMPLE, carphone, "-o", out, "-k", "4")
    assert p.returncode == 2 and "written with other settings (key_frames: 16 → 4)" in p.stderr
    assert len(out.read_text().splitlines()) == 1  # nothing added
    p = fda("track", carphone, "-o", out)  # the same settings: resumes, and says what the table leaves out
    assert p.returncode == 0 and "holds 1 more from other runs" not in p.stderr
    p = fda("track", SAMPLE, "-o", out)
    assert p.returncode == 0 and "the table covers the 1 video(s) asked for; " in p.stderr and "holds 1 more" in p.stderr
    p = fda("track", SAMPLE, "-o", out, "-k", "4", "--overwrite", "-q")
    assert p.returncode == 0 and len(json.loads(out.read_text())["key_frames"]) == 4


def test_adding_hints_on_a_rerun_of_preannotate_is_refused(tmp_path, measured_clip):
    from fake_openai import FakeOpenAI

    d, good = measured_clip
    tracks, actions, out = d / "tracks.jsonl", tmp_path / "a.jsonl", tmp_path / "pre.jsonl"
    actions.write_text(json.dumps(good) + "\n")
    with FakeOpenAI(responder=lambda body: ("ok", "He smiles.")) as srv:
        base = ["preannotate", tracks, "-o", out, "--base-url", srv.base_url, "--no-cache", "-q"]
        assert fda(*base).returncode == 0
        p = fda(*base, "--hints", actions)
    assert p.returncode == 2 and "hints: False → True" in p.stderr


# -- records checked at the door ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def measured_clip(tmp_path_factory):
    d = tmp_path_factory.mktemp("contracts")
    assert fda("track", SAMPLE, "-o", d / "tracks.jsonl", "-q").returncode == 0
    assert fda("actions", d / "tracks.jsonl", "-o", d / "actions.jsonl", "-q").returncode == 0
    rec = json.loads((d / "actions.jsonl").read_text())
    rec["events"] = [{"region": "mouth", "action": "open", "directions": [], "start": 0.5, "end": 1.0, "magnitude": 0.2,
                      "signal": "mouth_open"}]
    return d, rec


def _nan_start(r):
    r["events"][0]["start"] = float("nan")


CORRUPTIONS = {  # what issue 25 found, each a traceback or a silent lie before
    "missing events": (lambda r: r.pop("events"), "field 'events' is missing"),
    "null events": (lambda r: r.update(events=None), "field 'events' must be a valid list"),
    "string events": (lambda r: r.update(events="mouth open"), "field 'events' must be a valid list"),
    "string mean_quality": (lambda r: r.update(mean_quality="high"), "field 'mean_quality'"),
    "no mean_quality": (lambda r: r.pop("mean_quality"), "field 'mean_quality' is missing"),
    "null neutral": (lambda r: r.update(neutral=None), "must have its mean_quality and neutral levels"),
    "main_face as text": (lambda r: r.update(main_face="false"), "field 'main_face' must be a valid boolean"),
    "event without end": (lambda r: r["events"][0].pop("end"), "field 'events.0.end' is missing"),
    "unknown event": (lambda r: r["events"][0].update(region="ears", action="wiggle"), "not an event fda actions measures"),
    "NaN time": (_nan_start, "field 'events.0.start'"),
    "another version": (lambda r: r.update(version="actions-v9"), "version 'actions-v9'"),
}


def _readers(d, acts, tmp_path):
    caps = tmp_path / "caps.jsonl"
    caps.write_text(json.dumps({"id": "sample", "caption": "He opens his mouth."}) + "\n")
    return {
        "score --grounding": ["score", caps, "--grounding", acts, "-o", tmp_path / "g.json"],
        "preannotate --hints": ["preannotate", d / "tracks.jsonl", "--hints", acts, "-o", tmp_path / "p.jsonl",
                                "--base-url", "http://127.0.0.1:9/v1", "--no-cache"],
        "caption --backend timeline": ["caption", "--backend", "timeline", "--actions", acts, "-o", tmp_path / "c.jsonl"],
    }


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_a_broken_actions_record_is_refused_at_the_door_by_every_reader(measured_clip, tmp_path, case):
    d, good = measured_clip
    rec = json.loads(json.dumps(good))
    edit, words = CORRUPTIONS[case]
    edit(rec)
    acts = tmp_path / "actions.jsonl"
    acts.write_text(json.dumps(rec) + "\n")
    for name, args in _readers(d, acts, tmp_path).items():
        p = fda(*args)
        lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
        assert p.returncode == 2 and "Traceback" not in p.stderr, (name, p.stderr[-1500:])
        assert f"{acts}:1:" in lines[0] and words in p.stderr.replace("\n", " "), (name, p.stderr)


def test_other_files_and_twice_the_same_id_are_refused(measured_clip, tmp_path):
    d, good = measured_clip
    for name, args in _readers(d, d / "tracks.jsonl", tmp_path).items():
        p = fda(*args)
        assert p.returncode == 2 and "not an `fda actions` record (it looks like an `fda track` record)" in p.stderr, name
    twice = tmp_path / "twice.jsonl"
    twice.write_text(json.dumps(good) + "\n" + json.dumps(good) + "\n")
    for name, args in _readers(d, twice, tmp_path).items():
        p = fda(*args)
        assert p.returncode == 2 and f"{twice}:2:" in p.stderr and "again (first on line 1)" in p.stderr, name


# -- inputs that changed ---------------------------------------------------------------------------------------------
def test_a_video_replaced_after_tracking_is_not_measured_as_the_tracked_one(tmp_path):
    """The same name, the same size and length, mirrored: fda actions and preannotate say the video changed
    instead of measuring (or describing) another picture as the tracked one."""
    import cv2

    from fake_openai import FakeOpenAI

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(SAMPLE.read_bytes())
    tracks = tmp_path / "tracks.jsonl"
    assert fda("track", clip, "-o", tracks, "-q").returncode == 0
    rec = json.loads(tracks.read_text())
    assert rec["video_fingerprint"].startswith(f"{clip.stat().st_size}:")
    cap = cv2.VideoCapture(str(SAMPLE))
    out = cv2.VideoWriter(str(tmp_path / "m.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), cap.get(cv2.CAP_PROP_FPS),
                          (rec["width"], rec["height"]))
    while (got := cap.read())[0]:
        out.write(cv2.flip(got[1], 1))
    out.release()
    (tmp_path / "m.mp4").replace(clip)
    p = fda("actions", tracks, "-o", tmp_path / "a.jsonl")
    assert p.returncode == 1
    (err,) = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert err["status"] == "error" and "is not the video fda track analysed" in err["error"] and "track it again" in err["error"]
    with FakeOpenAI(responder=lambda body: ("ok", "He smiles.")) as srv:
        p = fda("preannotate", tracks, "-o", tmp_path / "p.jsonl", "--base-url", srv.base_url, "--no-cache", "-q")
        assert not srv.requests  # nothing was sent about the wrong picture
    assert "is not the video fda track analysed" in (tmp_path / "p.jsonl").read_text()


# -- readable at 80 columns ------------------------------------------------------------------------------------------
COMMANDS = ["sample", "track", "actions", "screen", "preannotate", "build-instructions", "finetune", "caption", "score",
            "review push", "review pull", "review consolidate"]


def test_help_at_80_columns_never_splits_an_option_name_or_a_default():
    for cmd in COMMANDS:
        p = fda(*cmd.split(), "--help", env={"COLUMNS": "80"})
        assert p.returncode == 0, cmd
        lines = p.stdout.splitlines()
        assert all(len(ln) <= 80 for ln in lines), cmd
        for a, b in zip(lines, lines[1:]):
            assert not (a.rstrip().endswith("-") and b.strip()[:1].isalnum()), (cmd, a, b)  # --save-⏎steps
            assert not a.rstrip().endswith("[default:"), (cmd, a, b)


def test_a_live_status_stays_on_one_line_at_80_columns():
    from rich.console import Console

    from fdacli.commands import display

    narrow = Console(width=80, force_terminal=True, record=True, file=open(os.devnull, "w"))
    old, display.console = display.console, narrow
    try:
        with display.progress_bar(3, "pre-annotating", status=lambda: "calls 12 done, 3 in flight, 1 retried, 0 failed, "
                                  "latency 2.1 s (p95 4.0 s)") as bar:
            bar.advance("MyDataset/happy/h2: ok")
    finally:
        display.console = old
    import re

    frames = [f for ln in narrow.export_text().splitlines() for f in re.split(r"(?=pre-annotating )", ln) if f.strip()]
    assert frames and all(len(f) <= 80 for f in frames), frames  # each refresh one line, cut with an ellipsis
    assert not any(f.strip() in ("calls", "done,", "in", "flight,") for f in frames)  # no column of single words


def test_a_tracks_file_is_checked_at_the_door(measured_clip, tmp_path):
    d, good = measured_clip
    rec = json.loads((d / "tracks.jsonl").read_text())
    bad = tmp_path / "t.jsonl"
    cases = {
        "a NaN box": (lambda r: r["key_frame_boxes"][0].__setitem__(0, float("nan")), "field 'key_frame_boxes.0"),
        "frames as text": (lambda r: r.update(key_frames="0,6,13"), "field 'key_frames' must be a valid list"),
        "twice": (None, "again (first on line 1)"),
    }
    for name, (edit, words) in cases.items():
        r = json.loads(json.dumps(rec))
        if edit:
            edit(r)
        bad.write_text(json.dumps(r) + "\n" + (json.dumps(r) + "\n" if edit is None else ""))
        for args in (["actions", bad, "-o", tmp_path / "a.jsonl"],
                     ["preannotate", bad, "-o", tmp_path / "p.jsonl", "--base-url", "http://127.0.0.1:9/v1", "--no-cache"]):
            p = fda(*args)
            assert p.returncode == 2 and str(bad) in p.stderr and words in p.stderr.replace("\n", " "), (name, p.stderr)
    p = fda("actions", d / "actions.jsonl", "-o", tmp_path / "a.jsonl")
    assert p.returncode == 2 and "not an `fda track` record (it looks like an `fda actions` record)" in p.stderr
