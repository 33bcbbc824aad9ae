"""`fda actions` on real media: carphone's talking man, a photograph tilted by known angles (and its
mirror image), a clip without a face, and the faults every command must survive."""

from __future__ import annotations

import json

import numpy as np
import pytest

import media
from runfda import fda, records


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """carphone, the tilting photograph, its mirror and a faceless clip: tracked once, measured once."""
    d = tmp_path_factory.mktemp("actions")
    clips = [media.carphone(), media.tilting(d / "tilt.mp4"), media.tilting(d / "tilt_mirror.mp4", mirror=True),
             media.compose(d / "empty.mp4", [], seconds=1.5), media.tilting(d / "left.mp4", swings=0.5),
             media.tilting(d / "left_mirror.mp4", swings=0.5, mirror=True)]
    fda("track", *clips, "-o", d / "tracks.jsonl", "-q", check=0)
    p = fda("actions", d / "tracks.jsonl", "-o", d / "actions.jsonl", "--plot", d / "plots", check=0)
    return d, records(d / "actions.jsonl"), p


def test_carphone_mouth_opens_and_closes_while_he_speaks(measured):
    d, recs, p = measured
    rec = recs["carphone_pristine"]
    assert rec["status"] == "ok" and rec["main_face"] and rec["mean_quality"] > 0.4
    opens = [e for e in rec["events"] if (e["region"], e["action"]) == ("mouth", "open")]
    closes = [e for e in rec["events"] if (e["region"], e["action"]) == ("mouth", "close")]
    assert len(opens) >= 2 and len(closes) >= 1
    assert all(1.5 <= e["start"] <= 4.0 and e["magnitude"] > 0.2 for e in opens)  # he speaks in the second half
    assert all(any(abs(c["start"] - o["end"]) < 1e-6 for c in closes) for o in opens if o["end"] < rec["times"][-1])
    assert len(rec["frames"]) == len(rec["signals"]["mouth_open"]) == len(rec["quality"])
    from fdacli.core.text.grammar import ACTIONS, DIRECTIONS, REGIONS

    for r in recs.values():  # measured events speak the caption grammar's words
        assert all(e["region"] in REGIONS and e["action"] in ACTIONS and set(e["directions"]) <= set(DIRECTIONS)
                   for e in r.get("events", []))
    assert (d / "plots" / "carphone_pristine.png").stat().st_size > 20000
    assert "mouth open" in p.stderr and "events by kind" in p.stderr


def test_measured_roll_follows_the_tilted_photograph(measured):
    d, recs, _ = measured
    rec = recs["tilt"]
    n = 75  # 3 s at 25 fps
    truth = np.array([media.roll_at(f / (n - 1)) for f in rec["frames"]])
    roll = np.array(rec["signals"]["roll"], float)
    good = np.array(rec["quality"]) >= 0.5
    assert good.sum() >= 30
    err = np.abs(roll[good] - truth[good])
    assert err.mean() < 2.0 and err.max() < 5.0, (err.mean(), err.max())
    tilts = [(e["directions"][0], e["magnitude"]) for e in rec["events"] if e["action"] == "tilt"]
    assert [t for t, _ in tilts] == ["left", "right"] and all(17 < abs(m) < 23 for _, m in tilts)
    assert not any(e["action"] in ("turn", "nod") for e in rec["events"])  # a photograph only rolls


def test_a_mirrored_clip_flips_left_and_right(measured):
    _, recs, _ = measured
    def tilts(r):
        return [e["directions"][0] for e in r["events"] if e["action"] == "tilt"]
    assert tilts(recs["tilt_mirror"]) == ["right", "left"] == tilts(recs["tilt"])[::-1]


def test_a_clip_without_a_main_face_gives_an_empty_timeline(measured):
    _, recs, _ = measured
    rec = recs["empty"]
    assert rec["status"] == "ok" and rec["main_face"] is False and rec["events"] == [] and rec["frames"] == []


def test_rerun_resumes_and_bad_input_is_reported(measured, tmp_path):
    d, recs, _ = measured
    out = d / "actions.jsonl"
    before = out.read_text()
    p = fda("actions", d / "tracks.jsonl", "-o", out, check=0)
    assert "6 clip(s) already done, 0 to go" in p.stderr and out.read_text() == before
    # a tracks record whose video is gone, one whose tracking failed, and a malformed line
    tracks = [json.loads(x) for x in (d / "tracks.jsonl").read_text().splitlines()]
    gone = dict(tracks[1], id="gone", video=str(tmp_path / "missing.mp4"))
    failed = {"id": "failed", "video": str(tmp_path / "x.mp4"), "status": "error", "error": "cannot decode"}
    (tmp_path / "t.jsonl").write_text(json.dumps(gone) + "\n" + json.dumps(failed) + "\n")
    p = fda("actions", tmp_path / "t.jsonl", "-o", tmp_path / "a.jsonl", check=1)
    r = records(tmp_path / "a.jsonl")
    assert "file not found" in r["gone"]["error"] and "cannot decode" in r["failed"]["error"]
    assert "Traceback" not in p.stderr
    (tmp_path / "bad.jsonl").write_text(json.dumps(gone) + "\n{not json\n")
    p = fda("actions", tmp_path / "bad.jsonl", "-o", tmp_path / "b.jsonl", check=2)
    assert "bad.jsonl:2" in p.stderr and not (tmp_path / "b.jsonl").exists()


def test_grounding_checks_captions_against_the_measured_face(measured, tmp_path):
    d, recs, _ = measured
    assert [e["directions"] for e in recs["left"]["events"] if e["action"] == "tilt"] == [["left"]]
    assert [e["directions"] for e in recs["left_mirror"]["events"] if e["action"] == "tilt"] == [["right"]]
    faithful = {"carphone_pristine": "The man opens his mouth and closes it as he speaks, then looks to the left.",
                "left": "The man tilts his head to the left.", "left_mirror": "The man tilts his head to the right.",
                "empty": "She smiles."}
    wrong = {"carphone_pristine": "The man smiles broadly and raises his eyebrows.",
             "left": "The man tilts his head to the right.", "left_mirror": "The man tilts his head to the left.",
             "empty": "She frowns."}
    for name, caps in (("faithful", faithful), ("wrong", wrong)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps({"id": i, "caption": c}) + "\n" for i, c in caps.items()))
    out = tmp_path / "g.json"
    p = fda("score", tmp_path / "faithful.jsonl", tmp_path / "wrong.jsonl", "--grounding", d / "actions.jsonl", "-o", out, check=0)
    assert "Grounded" in p.stderr and "Contra." in p.stderr  # no --refs: grounding alone
    res = json.loads(out.read_text())
    good, bad = res["models"]["faithful"], res["models"]["wrong"]
    assert good["summary"]["grounded_precision"] == 1.0 and good["summary"]["contradiction_rate"] == 0.0
    assert bad["summary"]["grounded_precision"] == 0.0 and bad["summary"]["contradiction_rate"] == 1.0
    by = {s["id"]: s["grounding"] for s in bad["samples"]}
    verdicts = {(e[1].split(" (")[0], e[2]) for e in by["left"]["events"]}
    assert verdicts == {("head · tilt · right", "contradicted")}
    assert "the opposite was measured: head · tilt · left" in by["left"]["events"][0][3]
    assert {e[2] for e in by["carphone_pristine"]["events"]} == {"contradicted"}  # nothing moved there
    assert by["empty"]["not_measurable"] == 1 and by["empty"]["supported"] == by["empty"]["contradicted"] == 0
    carphone = {s["id"]: s["grounding"] for s in good["samples"]}["carphone_pristine"]["events"]
    assert [e[2] for e in carphone if "speak" in e[1]] == ["supported"]  # he speaks: his mouth was seen opening
    look = [e for e in carphone if "gaze" in e[1]]
    assert look and look[0][2] == "not measurable"
    assert res["refs"] is None and res["grounding"]["version"] == ["actions-v2"]
    # with references too, both kinds of columns; a file that is not an actions file stops with file:line
    refs = tmp_path / "refs.jsonl"
    refs.write_text("".join(json.dumps({"id": i, "caption": c}) + "\n" for i, c in faithful.items()))
    res = json.loads((fda("score", tmp_path / "wrong.jsonl", "-r", refs, "--grounding", d / "actions.jsonl", "-o", out,
                          "--metrics", "tem,rouge", check=0), out.read_text())[1])
    assert res["models"]["wrong"]["summary"]["tem"] < 0.5 and res["models"]["wrong"]["summary"]["grounded_precision"] == 0.0
    p = fda("score", tmp_path / "wrong.jsonl", "--grounding", d / "tracks.jsonl", "-o", out, check=2)
    assert "tracks.jsonl:1: not an `fda actions` record" in p.stderr


def test_the_timeline_captioner_writes_what_was_measured(measured, tmp_path):
    d, recs, _ = measured
    out = tmp_path / "timeline.jsonl"
    p = fda("caption", "--backend", "timeline", "--actions", d / "actions.jsonl", "-o", out, check=1)
    caps = records(out)
    assert set(caps) == set(recs) and all(c["status"] == "ok" for i, c in caps.items() if i != "empty")
    # a clip without a face did not show stillness: no caption claims it did
    assert caps["empty"]["status"] == "error" and "no reliable main face" in caps["empty"]["error"] and "empty" in p.stderr
    assert "the head tilts to the left. As the video progresses, the head tilts to the right" in caps["tilt"]["caption"]
    assert "the mouth opens" in caps["carphone_pristine"]["caption"]
    # every measurable thing it says is supported by the video it came from
    res = json.loads((fda("score", out, "--grounding", d / "actions.jsonl", "-o", tmp_path / "g.json", "-q", check=0),
                      (tmp_path / "g.json").read_text())[1])
    assert res["models"]["timeline"]["summary"]["grounded_precision"] == 1.0
    again = fda("caption", "--backend", "timeline", "--actions", d / "actions.jsonl", "-o", out, "-q")
    assert out.read_text().count("\n") == len(recs) and again.returncode == 0  # resumed: nothing written twice
    p = fda("caption", "--backend", "timeline", "-o", tmp_path / "x.jsonl", check=2)
    assert "needs --actions" in p.stderr


def test_preannotate_hints_put_the_measured_timeline_in_a_versioned_prompt(measured, tmp_path):
    from fake_openai import FakeOpenAI

    d, _, _ = measured
    tracks = [json.loads(x) for x in (d / "tracks.jsonl").read_text().splitlines()]
    one = tmp_path / "t.jsonl"
    one.write_text(json.dumps(next(t for t in tracks if t["id"] == "tilt")) + "\n")
    with FakeOpenAI(responder=lambda body: ("ok", "The man tilts his head.")) as srv:
        fda("preannotate", one, "-o", tmp_path / "plain.jsonl", "--base-url", srv.base_url, "--no-cache", "-q", check=0)
        fda("preannotate", one, "-o", tmp_path / "hinted.jsonl", "--hints", d / "actions.jsonl", "--base-url", srv.base_url,
            "--no-cache", "-q", check=0)
        plain, hinted = (r["messages"][0]["content"][0]["text"] for r in srv.requests)
    assert "Measured facial movements" not in plain
    assert "Measured facial movements" in hinted and "s: the head tilts to the left" in hinted and hinted.startswith(plain)
    assert records(tmp_path / "plain.jsonl")["tilt"]["prompt_version"] == "fda-preannotate-v1"
    rec = records(tmp_path / "hinted.jsonl")["tilt"]
    assert rec["prompt_version"] == "fda-preannotate-v1+timeline-hints-v1" and rec["hints"] is True


def test_grounding_leaves_states_brief_and_slight_things_unjudged(measured):
    from fdacli.core.score.grounding import ground

    _, recs, _ = measured
    rec = recs["left"]  # tilts left and back; nothing else moves
    verdicts = {e[0]: e[2] for e in ground("His mouth is slightly open. He blinks. He smiles slightly. He does not tilt his "
                                           "head. He raises his eyebrows. His head is tilted to the left.", rec)["events"]}
    assert verdicts["the mouth is slightly open"] == "not measurable"  # a held state, not a change
    assert verdicts["the person blinks"] == "not measurable"  # a missed blink is no proof at 16 fps
    assert verdicts["the person smiles slightly"] == "not measurable"
    assert verdicts["the person does not tilt the head"] == "contradicted"  # it was measured
    assert verdicts["the person raises the eyebrows"] == "contradicted"
    assert verdicts["the head is tilted to the left"] == "not measurable"


def test_signals_do_not_run_across_an_absent_face_and_one_person_is_measured():
    from fdacli.core.actions.events import detect
    from fdacli.core.actions.measure import main_face
    from fdacli.core.actions.signals import SIGNALS, Series

    n = 40
    times = [k / 16 for k in range(20)] + [6 + k / 16 for k in range(20)]  # the face away from 1.25 s to 6 s
    values = {name: [0.0] * n for name in SIGNALS}
    for k in range(10, 20):  # the mouth opens just before the face leaves
        values["mouth_open"][k] = 0.3
    s = Series(times, list(range(n)), values, [1.0] * n, {name: 0.0 for name in SIGNALS}, breaks=[20])
    events = detect(s)
    opens = [e for e in events if e.action == "open"]
    assert len(opens) == 1 and opens[0].end < 1.3  # not to 6 s
    assert not [e for e in events if e.action == "close"]  # it was lost, not seen closing
    # two identities marked main: the larger face is the one measured, never a mix of both
    rec = {"identities": [{"identity": 1, "is_main": True, "area": 1.0}, {"identity": 2, "is_main": True, "area": 3.0}],
           "tracks": [{"identity": 1, "is_main": True, "frames": [0, 1], "boxes": [[0, 0, 90, 90]] * 2},
                      {"identity": 2, "is_main": True, "frames": [1, 2], "boxes": [[100, 0, 150, 50]] * 2}]}
    assert [(f, box[0]) for f, box, *_ in main_face(rec)] == [(1, 100), (2, 100)]


def test_a_clip_cut_from_a_longer_video_counts_time_from_its_start(tmp_path):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "cut", "video": str(media.carphone()), "start": 2.0, "end": 4.0}) + "\n")
    fda("track", "--manifest", manifest, "-o", tmp_path / "t.jsonl", "-q", check=0)
    fda("actions", tmp_path / "t.jsonl", "-o", tmp_path / "a.jsonl", "-q", check=0)
    rec = records(tmp_path / "a.jsonl")["cut"]
    assert rec["times"][0] < 0.2 and rec["times"][-1] <= 2.05 and abs(rec["duration"] - 2.0) < 0.05
    assert all(0 <= e["start"] <= 2.05 for e in rec["events"])
