"""`fda screen` on real media: one composed clip per criterion of the paper's screen (a crowd, a cut every half
second, a still photograph, a face under 5 % of the frame, the talking man at twice his speed) and two clips that
pass (a tilting head, the real carphone clip), each tracked by `fda track` and measured by `fda actions` once;
then the verdicts, --keep, --plot, resume and bad input."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import media

REASONS = {
    "crowd": ["too many people"],
    "cuts": ["frequent perspective switches"],
    "still": ["static scene", "too few facial changes"],  # a photograph held still has no facial changes either
    "small": ["face too small"],
    "restless": ["too many facial changes"],
    "tilting": [],
    "talking": [],
}


def fda(*args, check=None):
    p = subprocess.run([sys.executable, "-m", "fdacli.cli", *map(str, args)], capture_output=True, text=True, timeout=600,
                       env={**os.environ, "COLUMNS": "400"})  # a one-line error is not folded
    if check is not None:
        assert p.returncode == check, p.stderr[-3000:]
    return p


def records(path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, path.read_text().splitlines())}


def one_line_error(p: subprocess.CompletedProcess, *words: str) -> str:
    """The run was refused in one line that says what is wrong (no traceback)."""
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert p.returncode == 2 and len(lines) == 1 and lines[0].startswith("error:"), p.stderr[-2000:]
    assert all(w in lines[0] for w in words), lines[0]
    return lines[0]


@pytest.fixture(scope="session")
def measured(tmp_path_factory) -> dict[str, Path]:
    """The screen clips, tracked and measured once (about 15 s on two cores)."""
    d = tmp_path_factory.mktemp("screen")
    media.screen_clips(d / "clips")
    fda("track", d / "clips", "-o", d / "tracks.jsonl", "-q", check=0)
    fda("actions", d / "tracks.jsonl", "-o", d / "actions.jsonl", "-q", check=0)
    return {"dir": d, "tracks": d / "tracks.jsonl", "actions": d / "actions.jsonl"}


@pytest.fixture(scope="session")
def screened(measured, tmp_path_factory):
    d = tmp_path_factory.mktemp("screened")
    p = fda("screen", measured["tracks"], "--actions", measured["actions"], "-o", d / "screen.jsonl",
            "--keep", d / "out" / "keep.jsonl", "--plot", d / "plots", check=0)
    return {"dir": d, "records": records(d / "screen.jsonl"), "run": p}


def test_each_clip_is_kept_or_dropped_for_exactly_its_reason(screened):
    recs = screened["records"]
    assert {i: r["drop_reasons"] for i, r in recs.items()} == REASONS
    for rid, r in recs.items():
        assert r["status"] == "ok" and r["keep"] is (not REASONS[rid])
        dropped = {c["drop_reason"] for c in r["criteria"].values() if c["verdict"] == "drop"}
        assert dropped == set(REASONS[rid])
        assert r["criteria"]["violent_content"]["verdict"] == "left to annotators"
        for c in r["criteria"].values():  # every verdict explained, every threshold visible
            assert c["reason"] and c["verdict"] in ("pass", "drop", "not measured", "left to annotators")
    crowd, cuts = recs["crowd"]["criteria"], recs["cuts"]["criteria"]
    assert crowd["people"]["value"] == {"at_once": 6, "total": 6}
    assert cuts["people"]["value"]["total"] == 2  # two people, eight shots: identities, not tracks
    assert cuts["perspective_switches"]["value"]["cuts_per_second"] > 1.5
    assert 0.4 < cuts["perspective_switches"]["value"]["shortest_shot"] < 0.6
    assert recs["small"]["criteria"]["face_size"]["value"] < 0.05 < recs["tilting"]["criteria"]["face_size"]["value"]
    assert "nothing moves" in recs["still"]["criteria"]["static"]["reason"]
    talking = recs["talking"]["criteria"]["facial_change"]["value"]
    assert talking["count"] >= 5 and talking["kinds"].get("mouth open", 0) >= 2  # he speaks


def test_summary_keep_and_plots(screened, measured):
    d, err = screened["dir"], screened["run"].stderr
    assert "2 kept clip(s)" in err and "too many people" not in err  # the table names criteria, not reasons
    for label in ("face size", "people", "perspective switches", "static", "facial change", "violent content"):
        assert label in err
    kept = [json.loads(ln) for ln in (d / "out" / "keep.jsonl").read_text().splitlines()]
    tracks = records(measured["tracks"])
    assert [r["id"] for r in kept] == [i for i in tracks if i in ("tilting", "talking")]
    for r in kept:  # the tracks records themselves, with videos that resolve from the keep file's folder
        assert Path(r["video"]).is_absolute() and Path(r["video"]).is_file()
        assert {k: v for k, v in r.items() if k != "video"} == {k: v for k, v in tracks[r["id"]].items() if k != "video"}
    from fdacli.core.annotate.preannotation import items_from_tracks  # what fda preannotate reads

    specs = items_from_tracks(kept, d / "out")
    assert all(len(s.key_frames) == 16 and Path(s.video).is_file() for s in specs)
    pngs = sorted(p.name for p in (d / "plots").glob("*.png"))
    assert {"face_area.png", "people_at_once.png", "cuts_per_second.png", "picture_change.png",
            "changes_per_second.png"} <= set(pngs) and all((d / "plots" / p).stat().st_size > 5000 for p in pngs)


def test_without_actions_facial_change_is_not_measured(measured, tmp_path):
    fda("screen", measured["tracks"], "-o", tmp_path / "s.jsonl", check=0)
    recs = records(tmp_path / "s.jsonl")
    for rid, r in recs.items():
        fc = r["criteria"]["facial_change"]
        assert fc["verdict"] == "not measured" and "--actions" in fc["reason"] and fc["value"] is None
        assert r["drop_reasons"] == [x for x in REASONS[rid] if "facial changes" not in x]
    assert recs["restless"]["keep"] and recs["still"]["drop_reasons"] == ["static scene"]


def test_rerun_resumes_and_other_thresholds_are_refused(measured, tmp_path):
    out = tmp_path / "s.jsonl"
    fda("screen", measured["tracks"], "--actions", measured["actions"], "-o", out, check=0)
    p = fda("screen", measured["tracks"], "--actions", measured["actions"], "-o", out, check=0)
    assert "7 clip(s) already screened, 0 to go" in p.stderr and len(out.read_text().splitlines()) == 7
    p = fda("screen", measured["tracks"], "--actions", measured["actions"], "-o", out, "--min-face-area", "0.1")
    one_line_error(p, "other settings", "min_face_area: 0.05 → 0.1", "--overwrite")
    p = fda("screen", measured["tracks"], "-o", out)  # without --actions: facial changes would go unmeasured
    one_line_error(p, "actions: True → False")
    fda("screen", measured["tracks"], "--actions", measured["actions"], "-o", out, "--min-face-area", "0.1", "--overwrite", check=0)
    recs = records(out)
    assert "face too small" in recs["crowd"]["drop_reasons"] and recs["crowd"]["settings"]["min_face_area"] == 0.1


@pytest.mark.parametrize("option, value, words", [
    ("--min-face-area", "1.5", "--min-face-area must be at least 0 and at most 1, got 1.5"),
    ("--max-people", "0", "--max-people must be at least 1"),
    ("--max-changes", "0", "--max-changes must be more than 0"),
    ("--min-changes", "5", "--min-changes (5) must be less than --max-changes (3)"),
    ("--still-face", "nan", "--still-face must be a number"),
    ("--min-shot", "-1", "--min-shot must be at least 0"),
])
def test_thresholds_out_of_range_are_refused_in_one_line(measured, tmp_path, option, value, words):
    one_line_error(fda("screen", measured["tracks"], "-o", tmp_path / "s.jsonl", option, value), words)
    assert not (tmp_path / "s.jsonl").exists()


def test_records_of_other_commands_are_refused_in_one_line(measured, screened, tmp_path):
    one_line_error(fda("screen", measured["actions"], "-o", tmp_path / "a.jsonl"),
                   f"{measured['actions']}:1:", "not an `fda track` record", "fda actions")
    one_line_error(fda("screen", measured["tracks"], "--actions", measured["tracks"], "-o", tmp_path / "b.jsonl"),
                   f"{measured['tracks']}:1:", "not an `fda actions` record", "fda track")
    one_line_error(fda("screen", screened["dir"] / "screen.jsonl", "-o", tmp_path / "c.jsonl"), "`fda screen` record")
    refs = tmp_path / "refs.jsonl"
    refs.write_text(json.dumps({"id": "x", "video": "x.mp4", "caption": "He smiles."}) + "\n")
    one_line_error(fda("screen", refs, "-o", tmp_path / "d.jsonl"), "caption")
    assert not any((tmp_path / n).exists() for n in ("a.jsonl", "b.jsonl", "c.jsonl", "d.jsonl"))


def _edited(src: Path, dst: Path, edit) -> Path:
    recs = [json.loads(ln) for ln in src.read_text().splitlines()]
    dst.write_text("".join(json.dumps(r) + "\n" for r in edit(recs)))
    return dst


def test_malformed_records_are_refused_with_file_and_line(measured, tmp_path):
    def nan_box(recs):
        recs[2]["tracks"][0]["boxes"][3][0] = math.nan
        return recs

    bad = _edited(measured["tracks"], tmp_path / "nan.jsonl", nan_box)
    one_line_error(fda("screen", bad, "-o", tmp_path / "s.jsonl"), f"{bad}:3:", "track 1:", "four finite numbers")
    dup = _edited(measured["tracks"], tmp_path / "dup.jsonl", lambda rs: rs + rs[:1])
    one_line_error(fda("screen", dup, "-o", tmp_path / "s.jsonl"), f"{dup}:8:", "again (first on line 1)")

    def string_events(recs):
        recs[1]["events"] = "none"
        return recs

    acts = _edited(measured["actions"], tmp_path / "acts.jsonl", string_events)
    one_line_error(fda("screen", measured["tracks"], "--actions", acts, "-o", tmp_path / "s.jsonl"),
                   f"{acts}:2:", "'events' must be a valid list")


def test_failures_are_reported_not_kept_or_dropped(measured, tmp_path):
    """A clip whose tracking failed, one whose actions failed and one with no actions record: each says so."""
    def fail_one(recs):
        recs[0] = {"id": recs[0]["id"], "video": recs[0]["video"], "status": "error", "error": "cannot decode: broken file"}
        return recs

    tracks = _edited(measured["tracks"], tmp_path / "tracks.jsonl", fail_one)
    order = [json.loads(ln)["id"] for ln in tracks.read_text().splitlines()]

    def actions_fail_and_missing(recs):
        by = {r["id"]: r for r in recs}
        by[order[1]] = {"id": order[1], "video": by[order[1]]["video"], "status": "error", "error": "no landmarks"}
        del by[order[2]]
        return list(by.values())

    acts = _edited(measured["actions"], tmp_path / "acts.jsonl", actions_fail_and_missing)
    out = tmp_path / "s.jsonl"
    p = fda("screen", tracks, "--actions", acts, "--keep", tmp_path / "keep.jsonl", "-o", out, check=1)
    recs = records(out)
    assert recs[order[0]]["status"] == "error" and recs[order[0]]["error"] == "tracking failed: cannot decode: broken file"
    assert recs[order[1]]["status"] == "error" and "fda actions failed on this clip: no landmarks" in recs[order[1]]["error"]
    assert not recs[order[0]]["keep"] and not recs[order[1]]["keep"]
    missing = recs[order[2]]["criteria"]["facial_change"]
    assert missing["verdict"] == "not measured" and f"no record for this clip in {acts}" == missing["reason"]
    assert f"1 clip(s) have no record in {acts} ({order[2]})" in p.stderr.replace("\n", " ")
    assert "failed" in p.stderr and "tracking failed" in p.stderr
    kept = {json.loads(ln)["id"] for ln in (tmp_path / "keep.jsonl").read_text().splitlines()}
    assert order[0] not in kept and order[1] not in kept


def test_old_tracks_without_picture_change_leave_static_unmeasured(measured, tmp_path):
    def old(recs):
        for r in recs:
            r.pop("picture_change", None)
        return recs

    tracks = _edited(measured["tracks"], tmp_path / "old.jsonl", old)
    fda("screen", tracks, "-o", tmp_path / "s.jsonl", check=0)
    still = records(tmp_path / "s.jsonl")["still"]
    assert still["criteria"]["static"]["verdict"] == "not measured" and "track the clip again" in still["criteria"]["static"]["reason"]
    assert still["keep"]  # not measured never drops


def test_measures_on_hand_made_records():
    """What the numbers mean, where the truth is set by hand: one person in two tracks is one person; the first
    and last shots do not count as shots between cuts; each change's strength is against its own detector."""
    from fdacli.core.screen import measures as m

    box = [0.0, 0.0, 80.0, 90.0]
    track = lambda tid, who, frames, main=True: {"track_id": tid, "identity": who, "is_main": main,  # noqa: E731
                                                 "frames": frames, "boxes": [box] * len(frames)}
    rec = {"fps": 10.0, "width": 320, "height": 180, "sampled_frames": list(range(40)),
           "shots": [[0, 4], [5, 24], [25, 39]],
           "identities": [{"identity": 1, "is_main": True, "area": 2.0}, {"identity": 2, "is_main": False, "area": 0.1}],
           "tracks": [track(1, 1, list(range(0, 10))), track(2, 1, list(range(20, 40))), track(3, 2, list(range(5, 25)), False)]}
    assert m.people(rec) == (2, 2)  # person 1 left and came back: still one person
    assert m.face_share(rec) == pytest.approx(80 * 90 / (320 * 180))
    rate, shortest = m.cuts(rec)
    assert rate == pytest.approx(2 / 4.0) and shortest == pytest.approx(2.0)  # the 0.5-s first shot is the window's
    th = {"mouth_open": [0.12, 0.06, 0.12], "eyes_closed": [0.62, 0.75, 0.0], "yaw": [12.0, 7.0, 0.25]}
    ev = lambda region, action, mag: {"region": region, "action": action, "magnitude": mag}  # noqa: E731
    assert m.strength(ev("mouth", "open", 0.24), th) == pytest.approx(2.0)
    assert m.strength(ev("eyes", "blink", 0.24), th) == pytest.approx(2.0)  # openness down to 24 % of neutral
    assert m.strength(ev("head", "nod", 8.0), th) == pytest.approx(1.0)  # nods are found at an 8-degree swing
    assert m.strength(ev("head", "turn", -24.0), th) == pytest.approx(2.0)
    assert m.strength(ev("face", "frown", 1.0), th) is None
    c = m.changes({"duration": 4.0, "thresholds": th, "events": [
        {**ev("mouth", "open", 0.3), "start": 1.0, "end": 1.5}, {**ev("mouth", "close", 0.3), "start": 1.5, "end": 1.5}]})
    assert (c.count, c.per_second, c.strongest) == (1, 0.25, pytest.approx(2.5))  # a closing ends its opening
