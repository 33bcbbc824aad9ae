"""fda track on edited footage: shot cuts, one person per track, identities across shots and exits,
and detections that are not faces.  Clips are composed from public-domain photos with hard cuts."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import media
from media import Person, Shot
from fdacli.core.run.inputs import VideoItem
from fdacli.core.track.faceness import FacenessConfig
from fdacli.core.track.pipeline import FaceTrackingModule, TrackOptions
from fdacli.core.track.shots import ShotConfig


def still(face: str, size: int, x: float = 0.5, y: float = 0.5, **kw) -> Person:
    """A person drifting slowly right (as a talking head does), centred at (x, y)."""
    return Person(face, size, (x - 0.015, y), (x + 0.015, y), **kw)


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    d = tmp_path_factory.mktemp("edited")
    return {
        # B appears exactly where A's face was, right after a cut (backgrounds differ)
        "swap": media.compose_shots(d / "swap.mp4", [Shot([still("obama", 170)], 2.0, 1), Shot([still("biden", 170)], 2.0, 2)]),
        # the same, but the cut keeps the background: no shot boundary to see, only the face changes
        # (2.1 s: the swap falls between the tracker's refresh frames, at source frame 52)
        "swap_same_bg": media.compose_shots(d / "swap_bg.mp4", [Shot([still("obama", 170)], 2.1, 1), Shot([still("biden", 170)], 2.0, 1)]),
        # A (close-up) / B / A (smaller, elsewhere): A returns after a cut
        "aba": media.compose_shots(d / "aba.mp4", [
            Shot([still("obama", 200, 0.4)], 1.5, 1), Shot([still("biden", 110, 0.6, 0.4)], 1.5, 2),
            Shot([still("obama", 140, 0.55, 0.55)], 1.5, 3)]),
        # a face, then a cut to a background with nobody in it
        "to_empty": media.compose_shots(d / "empty.mp4", [Shot([still("hopper", 160)], 2.0, 5), Shot([], 2.0, 6)]),
    }


def exit_clip(path, away: float):
    """The main face walks out of the picture for ``away`` of a 5 s clip and comes back; a bystander stays."""
    out, back = 0.35, 0.35 + away
    return media.compose_shots(path, [Shot([
        Person("obama", 160, (0.30, 0.5), (0.60, 0.5), t_in=0.0, t_out=out),
        Person("obama", 160, (0.30, 0.5), (0.60, 0.5), t_in=back, t_out=1.0),
        Person("hopper", 70, (0.85, 0.2), (0.86, 0.2)),
    ], 5.0, 4)])


_modules: dict = {}


def track(path, **kw) -> dict:
    key = repr(sorted(kw.items()))
    if key not in _modules:
        opts = TrackOptions()
        for k, v in kw.items():
            setattr(opts.tracker if hasattr(opts.tracker, k) else opts, k, v)
        _modules[key] = FaceTrackingModule(opts)
    rec = _modules[key](VideoItem(id=str(path), video=str(path)))
    assert rec["status"] == "ok", rec.get("error")
    return rec


def long_tracks(rec, n=8):
    return [t for t in rec["tracks"] if len(t["frames"]) >= n]


def test_cut_to_another_person_in_the_same_place_gives_two_people(edited):
    rec = track(edited["swap"])
    assert len(rec["shots"]) == 2
    cut = rec["shots"][1][0]
    assert abs(cut - 50) <= 2  # 2 s at 25 fps; to within one analysed frame
    tracks = long_tracks(rec)
    assert len(tracks) == 2 and len({t["identity"] for t in tracks}) == 2
    assert all(t["frames"][-1] < cut or t["frames"][0] >= cut for t in rec["tracks"])  # no track crosses the cut
    assert [t["shot"] for t in tracks] == [1, 2]
    assert all(t["similarity"] > 0.8 for t in tracks)


@pytest.mark.parametrize("shots", [True, False])
def test_identity_guard_splits_a_face_swap_without_a_visible_cut(edited, shots):
    """Same background: the shot detector sees (almost) nothing; the identity feature must."""
    rec = track(edited["swap_same_bg"], shots=ShotConfig(enabled=shots))
    tracks = long_tracks(rec)
    assert len(tracks) == 2 and len({t["identity"] for t in tracks}) == 2, [(t["frames"][0], t["frames"][-1]) for t in tracks]
    assert tracks[0]["frames"][-1] < 52 <= tracks[1]["frames"][0] <= 54  # split at the swap, not at the next refresh


def test_without_the_guard_the_swap_fuses_two_people(edited):
    """The failure the guard exists for, reproduced: no shots, no identity check → one track, two people."""
    rec = track(edited["swap_same_bg"], shots=ShotConfig(enabled=False), min_identity_sim=-1.0, max_patch_change=1e9)
    assert len(long_tracks(rec)) == 1 and long_tracks(rec)[0]["similarity"] < 0.6


def test_person_returning_after_a_cut_is_one_identity_and_main(edited):
    rec = track(edited["aba"])
    assert len(rec["shots"]) == 3
    tracks = long_tracks(rec)
    assert len(tracks) == 3
    a1, b, a2 = tracks
    assert a1["identity"] == a2["identity"] != b["identity"]
    assert a1["is_main"] and a2["is_main"] and not b["is_main"]
    assert sorted(rec["main_track_ids"]) == sorted([a1["track_id"], a2["track_id"]])
    people = {p["identity"]: p for p in rec["identities"]}
    assert people[a1["identity"]]["track_ids"] == [a1["track_id"], a2["track_id"]] and people[a1["identity"]]["is_main"]
    # key frames show A wherever A can be shown
    assert all(any(k in t["frames"] for t in (a1, a2)) for k in rec["key_frames"])


@pytest.mark.parametrize("away", [0.2, 0.5])  # 1 s (within max_age) and 2.5 s (a new track)
def test_main_face_leaves_and_returns_as_one_identity(tmp_path, away):
    rec = track(exit_clip(tmp_path / "exit.mp4", away))
    assert len(rec["shots"]) == 1
    obama = [t for t in long_tracks(rec) if t["is_main"]]
    assert len({t["identity"] for t in obama}) == 1
    assert len(obama) == (1 if away < 0.3 else 2)
    gap = [f for f in rec["sampled_frames"] if all(f not in t["frames"] for t in obama)]
    assert len(gap) >= away * 80 * 0.8  # nobody was tracked as obama while he was away
    assert len(rec["identities"]) == 2


def test_cut_to_a_shot_without_faces(edited):
    rec = track(edited["to_empty"])
    assert len(rec["shots"]) == 2
    (t,) = rec["tracks"]
    assert t["is_main"] and t["frames"][-1] < rec["shots"][1][0]
    # a key frame in the empty shot is replaced by the nearest frame that shows the main face
    assert all(k in t["frames"] for k in rec["key_frames"])


def test_a_false_detection_does_not_become_main(tmp_path):
    """At a lowered detection threshold a face-like drawing (larger than the real face) is detected on
    every frame: without the faceness check it becomes the main character."""
    p = media.compose(tmp_path / "drawing.mp4", [Person("obama", 150, (0.3, 0.5), (0.35, 0.5)),
                                                  Person("drawing", 200, (0.72, 0.5), (0.72, 0.5))], seconds=3)
    naive = track(p, det_threshold=0.3, faceness=FacenessConfig(enabled=False))
    assert len(naive["tracks"]) == 2 and not naive["tracks"][0]["is_main"]  # the drawing won
    rec = track(p, det_threshold=0.3)
    assert rec["rejected_tracks"] == 1 and len(rec["tracks"]) == 1
    assert rec["tracks"][0]["is_main"] and np.mean(rec["tracks"][0]["scores"]) > 0.9


def test_cli_records_and_contact_sheet_show_shots_and_people(edited, tmp_path):
    out, viz = tmp_path / "t.jsonl", tmp_path / "viz"
    p = subprocess.run([sys.executable, "-m", "fdacli.cli", "track", str(edited["aba"]), "-o", str(out), "--viz", str(viz)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "people" in p.stderr and "shots" in p.stderr
    rec = json.loads(out.read_text())
    assert len(rec["shots"]) == 3 and len(rec["identities"]) == 2 and rec["decoder"] in ("decord", "opencv")
    import cv2

    sheet = cv2.imread(str(viz / "aba.png"))
    strip = sheet[-40:]  # the timeline: main identity's bars in green
    green = (strip[..., 1] > 150) & (strip[..., 0] < 120) & (strip[..., 2] < 120)
    assert green.sum() > 500
    q = subprocess.run([sys.executable, "-m", "fdacli.cli", "track", str(edited["aba"]), "-o", str(tmp_path / "n.jsonl"),
                        "--no-shots", "-q"], capture_output=True, text=True)
    assert q.returncode == 0, q.stderr
    assert json.loads((tmp_path / "n.jsonl").read_text())["shots"] == [[0, 113]]
