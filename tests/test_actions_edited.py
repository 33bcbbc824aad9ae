"""`fda actions` and `fda caption` on edited footage (issue 22): the real talking man (carphone) in two shots with a
large near-profile close-up of another face between them, and in two shots from two camera angles.  Whom to
measure, frames the landmark model cannot fit, the rest pose per shot, captions without a model, long ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import media
from runfda import fda, records


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """Both edited clips, tracked once and measured once."""
    d = tmp_path_factory.mktemp("edited")
    clips = [media.talking_with_cutaway(d / "cutaway.mp4"), media.talking_two_angles(d / "angles.mp4")]
    fda("track", *clips, "-o", d / "tracks.jsonl", "-q", check=0)
    fda("actions", d / "tracks.jsonl", "-o", d / "actions.jsonl", "--plot", d / "plots", "-q", check=0)
    return d, records(d / "tracks.jsonl"), records(d / "actions.jsonl")


def shot_at(t: float, rec: dict, tracks: dict) -> int:
    """1-based shot of a clip time."""
    frame = round(t * rec["fps"])
    return next(k for k, (first, last) in enumerate(tracks["shots"], 1) if frame <= last)


def test_the_talking_man_is_the_subject_not_the_larger_profile_close_up(edited):
    from fdacli.core.actions.measure import main_identities, main_identity

    d, tracks, acts = edited
    t, rec = tracks["cutaway"], acts["cutaway"]
    assert len(t["shots"]) == 3 and len(main_identities(t)) == 2  # fda track marks both people main
    talker = next(tr["identity"] for tr in t["tracks"] if tr["frames"][0] == 0)
    assert main_identity(t) != talker  # the largest face area would have chosen the close-up, as in the issue
    assert rec["identity"] == rec["subject"]["identity"] == talker
    assert "most reliably measured time" in rec["subject"]["why"] and f"identity {talker}:" in rec["subject"]["why"]
    assert rec["mean_quality"] > 0.5 and rec["left_out"] == []
    # his mouth opens while he speaks, in his own shots (1 and 3), never in the close-up's
    opens = [e for e in rec["events"] if (e["region"], e["action"]) == ("mouth", "open")]
    assert len(opens) >= 2 and all(shot_at(e["start"], rec, t) in (1, 3) for e in opens)
    assert all(shot_at(e["start"], rec, t) == shot_at(e["end"], rec, t) for e in rec["events"])  # never across a cut
    # the other person is measured apart and reported unmeasurable: every frame left out with its reason, no
    # wild angles in the signals, no events
    (other,) = rec["others"]
    assert other["identity"] != talker and other["reliable_seconds"] == 0.0 and other["events"] == []
    assert sum(r["frames"] for r in other["left_out"]) == len(other["frames"]) >= 16
    assert all("turned past the landmark model's range" in r["reason"] for r in other["left_out"])
    assert all(x is None for x in other["signals"]["yaw"]) and set(other["quality"]) == {0.0}
    assert (d / "plots" / "cutaway.png").stat().st_size > 20000


def test_a_second_camera_angle_gets_its_own_rest_pose(edited):
    from fdacli.core.actions import events as ev
    from fdacli.core.actions.measure import series_of

    _, tracks, acts = edited
    rec, same = acts["angles"], acts["cutaway"]
    first, second = rec["rest"]
    assert first["own"] and second["own"]
    assert 10.0 < second["neutral"]["roll"] - first["neutral"]["roll"] < 20.0  # the camera rolled by 15 degrees
    head = lambda es, shot, r, t: sorted((e["action"], tuple(e["directions"]))  # noqa: E731
                                         for e in es if e["region"] == "head" and e["action"] in ("tilt", "turn")
                                         and shot_at(e["start"], r, t) == shot)
    # the same footage measures the same head movements whether or not the camera rolled in between
    assert head(rec["events"], 1, rec, tracks["angles"]) == head(same["events"], 1, same, tracks["cutaway"])
    assert head(rec["events"], 2, rec, tracks["angles"]) == head(same["events"], 3, same, tracks["cutaway"])
    assert ("tilt", ("left",)) not in head(rec["events"], 1, rec, tracks["angles"])
    # one rest for the whole clip would have read the rolled camera as a head tilted all through the first shot
    series = series_of(rec)
    series.rest = []
    whole = [e.as_dict() for e in ev.detect(series)]
    assert ("tilt", ("left",)) in head(whole, 1, rec, tracks["angles"])


def test_caption_without_a_model_tracks_measures_and_says_so(edited, tmp_path):
    d, tracks, acts = edited
    p = fda("caption", d / "cutaway.mp4", check=0)
    assert "the mouth opens" in p.stdout
    assert "no --model given: captioning from the measured timeline" in p.stderr and "--model CHECKPOINT" in p.stderr
    out = tmp_path / "caps.jsonl"
    fda("caption", d / "cutaway.mp4", d / "angles.mp4", "-o", out, "--tracks", d / "tracks.jsonl", check=0)
    caps = records(out)
    assert caps["cutaway"]["caption"] == p.stdout.strip()  # tracked now or read from --tracks: the same caption
    for rid, cap in caps.items():
        assert cap["status"] == "ok" and cap["backend"] == "timeline" and "--model CHECKPOINT" in cap["note"]
        assert cap["person"] == acts[rid]["identity"] and cap["model"] == "timeline (actions-v2)"
    again = fda("caption", d / "cutaway.mp4", d / "angles.mp4", "-o", out, "-q", check=0)
    assert out.read_text().count("\n") == 2 and "Traceback" not in again.stderr  # resumed
    p = fda("caption", d / "cutaway.mp4", "--model", tmp_path / "ckpt", "--backend", "timeline", check=2)
    assert "not both" in p.stderr


def test_a_300_character_id_gets_the_digest_path(tmp_path):
    from fdacli.core.run.inputs import safe_relpath

    rid = "clip-" + "x" * 295
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": rid, "video": str(media.carphone()), "end": 2.0}) + "\n")
    fda("track", "--manifest", manifest, "-o", tmp_path / "t.jsonl", "--viz", tmp_path / "viz", "--crops", tmp_path / "crops",
        "-q", check=0)
    rec = records(tmp_path / "t.jsonl")[rid]
    path = safe_relpath(rid)
    assert rec["status"] == "ok" and len(path.encode()) < 100 and "~" in path
    assert Path(rec["viz"]) == tmp_path / "viz" / f"{path}.png" and Path(rec["viz"]).is_file()
    assert all(Path(c).is_file() for c in rec["crops"] if c)
    fda("actions", tmp_path / "t.jsonl", "-o", tmp_path / "a.jsonl", "--plot", tmp_path / "plots", "-q", check=0)
    assert (tmp_path / "plots" / f"{path}.png").is_file()


def test_long_path_parts_are_cut_and_told_apart():
    from fdacli.core.run.inputs import safe_relpath

    a, b = "set/" + "y" * 200 + "a", "set/" + "y" * 200 + "b"
    assert safe_relpath(a) != safe_relpath(b) and all(len(p.encode()) <= 100 for p in safe_relpath(a).split("/"))
    assert safe_relpath("set/" + "é" * 60).startswith("set/" + "é" * 40 + "~")  # cut on a character boundary
    assert safe_relpath("set/" + "y" * 100) == "set/" + "y" * 100  # a part that fits is kept as it is


def test_untrusted_fits_are_told_by_the_tracker_and_by_the_fit():
    from fdacli.core.actions import trust

    frontal = [[100, 100], [140, 100], [121, 125], [105, 150], [137, 150]]
    profile = [[100, 100], [140, 100], [145, 125], [105, 150], [137, 150]]
    assert trust.before_fit([80, 60, 160, 180], frontal) is None
    assert "too small" in trust.before_fit([80, 60, 110, 90], frontal)
    assert "turned past" in trust.before_fit([80, 60, 160, 180], profile)
    assert "disagrees" in trust.after_fit(0.7, {"yaw": 5.0, "pitch": 0.0})
    assert "past the landmark model's range (yaw 60" in trust.after_fit(0.2, {"yaw": 60.0, "pitch": 0.0})
    assert trust.after_fit(0.2, {"yaw": 30.0, "pitch": -10.0}) is None
    runs = trust.runs([0.0, 0.1, 0.2, 0.3, 0.4], [None, "face too small for 68 landmarks (30 px < 40)",
                                                  "face too small for 68 landmarks (20 px < 40)", None,
                                                  "68-point fit disagrees with the tracker's five points (0.70 eye distances)"])
    assert [(r["start"], r["end"], r["frames"], r["reason"]) for r in runs] == [
        (0.1, 0.2, 2, "face too small for 68 landmarks"), (0.4, 0.4, 1, "68-point fit disagrees with the tracker's five points")]
    assert runs[0]["worst"].endswith("(30 px < 40)")


def test_the_subject_is_the_most_reliably_measured_time_not_the_most_frames():
    from fdacli.core.actions.measure import choose_subject

    def person(identity, quality, left=0):
        return {"identity": identity, "frames": list(range(len(quality))), "mean_quality": round(sum(quality) / len(quality), 3),
                "reliable_seconds": sum(quality[left:]) / 16, "left_out": [{"frames": left}] if left else []}

    profile = person(3, [0.0] * 40, left=40)  # more frames, none of them measurable
    frontal = person(1, [0.8] * 30)
    blurry = person(2, [0.2] * 35)
    subject, why = choose_subject([profile, blurry, frontal])
    assert subject is frontal and why.index("identity 1:") < why.index("identity 2:") < why.index("identity 3:")
    assert "40 left out" in why and choose_subject([]) == (None, "no main person")


def test_a_short_shot_borrows_the_clip_rest():
    from fdacli.core.actions.signals import SIGNALS, shot_rest

    frames = list(range(0, 20)) + list(range(30, 35))  # 20 frames in shot 1, 5 in shot 2
    values = {n: [0.0] * 20 + [10.0] * 5 for n in SIGNALS}
    clip = {n: 0.0 for n in SIGNALS}
    first, second = shot_rest(frames, values, [1.0] * 25, [[0, 19], [20, 29], [30, 40]], clip)
    assert (first["shot"], first["own"], second["shot"], second["own"]) == (1, True, 3, False)  # shot 2 had no face
    assert second["neutral"]["roll"] == 0.0  # 5 frames are too few for a rest of their own


def test_a_caption_is_grounded_against_the_person_it_is_about(edited, tmp_path):
    from fdacli.core.score.grounding import ground

    d, _, acts = edited
    rec = acts["cutaway"]
    other = rec["others"][0]["identity"]
    preds = tmp_path / "p.jsonl"
    preds.write_text(json.dumps({"id": "cutaway", "caption": "The man opens his mouth."}) + "\n")
    about_other = tmp_path / "q.jsonl"
    about_other.write_text(json.dumps({"id": "cutaway", "caption": "The man opens his mouth.", "person": other}) + "\n")
    out = tmp_path / "g.json"
    fda("score", preds, about_other, "--grounding", d / "actions.jsonl", "-o", out, "-q", check=0)
    res = json.loads(out.read_text())["models"]
    assert res["p"]["samples"][0]["grounding"]["supported"] == 1  # the subject, the talking man, opened it
    assert res["q"]["samples"][0]["grounding"]["not_measurable"] == 1  # the profile close-up: nothing measurable
    # another main person who was measured is judged on their own events
    two = {**rec, "others": [{**rec["others"][0], "mean_quality": 0.8, "left_out": [],
                              "events": [{"region": "face", "action": "smile", "directions": [], "start": 2.1,
                                          "end": 2.6, "magnitude": 0.1, "signal": "smile"}]}]}
    assert ground("He smiles broadly.", two, other)["supported"] == 1
    assert ground("He smiles broadly.", two)["contradicted"] == 1  # the talking man did not smile


def _without_seconds(recs: dict[str, dict]) -> dict[str, dict]:
    return {k: {f: v for f, v in r.items() if f != "seconds"} for k, r in recs.items()}


def test_one_pass_writes_what_the_two_passes_wrote(edited, tmp_path):
    """`fda track --actions` measures on tracking's own decoding (issue 22, item 4): the same tracks and actions
    records as `fda track` then `fda actions`, on the edited clips and on the real carphone clip."""
    d, tracks, acts = edited
    car = media.carphone()
    fda("track", car, "-o", tmp_path / "car_tracks.jsonl", "-q", check=0)
    fda("actions", tmp_path / "car_tracks.jsonl", "-o", tmp_path / "car_actions.jsonl", "-q", check=0)
    tracks, acts = {**tracks, **records(tmp_path / "car_tracks.jsonl")}, {**acts, **records(tmp_path / "car_actions.jsonl")}

    one_t, one_a = tmp_path / "tracks.jsonl", tmp_path / "actions.jsonl"
    p = fda("track", d / "cutaway.mp4", d / "angles.mp4", car, "-o", one_t, "--actions", one_a, check=0)
    assert "fda track → " in p.stderr and "fda actions → " in p.stderr  # both summaries
    assert _without_seconds(records(one_t)) == _without_seconds(tracks)
    assert _without_seconds(records(one_a)) == _without_seconds(acts)
    assert len(acts["cutaway"]["events"]) >= 10 and acts["cutaway"]["others"]  # not two empty records alike

    # killed between its two writes: the tracks record is there, the actions record is not; the rerun redoes that
    # clip and writes only what is missing
    lines = one_a.read_text().splitlines()
    one_a.write_text("\n".join(lines[:-1]) + "\n")
    lost = json.loads(lines[-1])["id"]
    p = fda("track", d / "cutaway.mp4", d / "angles.mp4", car, "-o", one_t, "--actions", one_a, check=0)
    assert "2 video(s) already done, 1 to go" in p.stderr
    assert len(one_t.read_text().splitlines()) == 3 and _without_seconds(records(one_t)) == _without_seconds(tracks)
    assert _without_seconds(records(one_a))[lost] == _without_seconds(acts)[lost]
    # the actions file is `fda actions`' own kind: it resumes it (nothing left to do) and the other way round
    p = fda("actions", one_t, "-o", one_a, check=0)
    assert "3 clip(s) already done, 0 to go" in p.stderr


def test_one_pass_refuses_to_write_both_to_one_file(edited, tmp_path):
    d, _, _ = edited
    p = fda("track", d / "angles.mp4", "-o", tmp_path / "t.jsonl", "--actions", tmp_path / "t.jsonl", check=2)
    assert "error:" in p.stderr and "Traceback" not in p.stderr
    assert "name the same file" in p.stderr and list(tmp_path.iterdir()) == []  # nothing claimed, nothing left


def test_screen_judges_the_person_actions_named(edited, tmp_path):
    """With actions, `fda screen` judges the face size and movement of the subject (the talking man), not of the
    larger close-up the tracks record alone would point at — the same person the facial changes are of."""
    from fdacli.core.screen import measures as m

    d, tracks, acts = edited
    t, talker = tracks["cutaway"], acts["cutaway"]["identity"]
    assert m.main_identity(t) != talker  # from the tracks alone: the close-up, the largest face
    fda("screen", d / "tracks.jsonl", "--actions", d / "actions.jsonl", "-o", tmp_path / "with.jsonl", "-q")
    fda("screen", d / "tracks.jsonl", "-o", tmp_path / "without.jsonl", "-q")
    with_a, without = records(tmp_path / "with.jsonl")["cutaway"], records(tmp_path / "without.jsonl")["cutaway"]
    assert with_a["criteria"]["face_size"]["value"] == round(m.face_share(t, talker), 4)
    assert without["criteria"]["face_size"]["value"] == round(m.face_share(t), 4)
    assert with_a["criteria"]["face_size"]["value"] < without["criteria"]["face_size"]["value"]  # his face is smaller
    assert with_a["criteria"]["static"]["value"]["face_motion"] == round(m.face_motion(t, talker), 4)


def test_faces_fitted_in_batches_or_afterwards_give_the_same_record(edited):
    """The one pass fits faces a batch at a time, and leaves a face smaller than another on its frame for later;
    a face left for later that turns out to be main is fitted on its frames decoded again.  However the fits are
    split, the record is the two-pass one: here every face is left for later (share above 1), or fitted one at a
    time, or five at a time."""
    from fdacli.core.actions.measure import ActionMeter, SeenFaces, items_from_tracks
    from fdacli.core.run.inputs import VideoItem
    from fdacli.core.track.pipeline import FaceTrackingModule, TrackOptions

    d, tracks, acts = edited
    tracker, meter = FaceTrackingModule(TrackOptions()), ActionMeter()
    item = VideoItem("cutaway", str(d / "cutaway.mp4"))
    want = {k: v for k, v in acts["cutaway"].items() if k != "seconds"}
    for batch, share, refit in [(16, 2.0, True), (1, 0.5, False), (5, 0.5, False)]:
        seen = SeenFaces(meter, batch=batch, share=share)
        rec = tracker(item, on_faces=seen)
        got = meter(items_from_tracks([rec])[0], seen=seen)
        assert {k: v for k, v in got.items() if k != "seconds"} == want, (batch, share)
        kept = sum(q > 0 for q in got["quality"])  # the subject's frames that were fitted and trusted
        assert (seen.refitted >= kept > 0 and seen.fitted == 0) if refit else (seen.refitted == 0 and seen.fitted >= kept)
