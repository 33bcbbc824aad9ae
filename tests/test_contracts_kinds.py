"""Contracts between commands (issue 25), the kinds besides actions and tracks: manifests, predictions and references,
annotations, drafts and scores.json, each checked where a command reads it (core/run/schemas.py).

Every corruption runs the real command (a subprocess, as a user runs it) and must end in one line with the file, the
line (or a JSON list's item) and what was expected, exit code 2 — never a traceback, never a silent default.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from runfda import fda

DATA = Path(__file__).parent / "data" / "fec_bench_refs_slice.json"
REFS = json.loads(DATA.read_text())
TRACKS = {"id": "a", "video": "a.mp4", "status": "ok", "fps": 25.0, "num_frames": 100, "key_frames": [0, 5],
          "key_frame_boxes": [[1, 2, 3, 4], None], "main_track_ids": [1]}
ACTIONS = {"id": "a", "video": "a.mp4", "status": "ok", "version": "actions-v2", "main_face": True, "mean_quality": 0.9,
           "duration": 4.0, "events": [], "neutral": {}, "signals": {}, "thresholds": {}}
SCORES_LIKE = {"version": "scores-v1", "tool": "fdacli", "refs": "r.json", "metrics": ["rouge"], "lcs_norm": "pred",
               "judge": {}, "models": {}}


def write(path: Path, *recs, text: str | None = None) -> Path:
    path.write_text(text if text is not None else "".join(json.dumps(r) + "\n" for r in recs))
    return path


def refused(p, where: str, words: str) -> None:
    """One line naming the place and what was expected; exit 2; no traceback."""
    err = " ".join(p.stderr.split())
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr[-2000:]
    assert where in err and words in err, (where, words, p.stderr)
    assert len([ln for ln in p.stderr.splitlines() if ln.startswith("error:")]) == 1, p.stderr


# -- manifests: fda track --manifest and fda caption VIDEOS -----------------------------------------------------------
def _nan(key):
    return lambda r: r.update({key: math.nan})


MANIFEST_CORRUPTIONS = {  # each read before as something else, or a traceback later
    "video as a list": (lambda r: r.update(video=["a.mp4"]), "field 'video' must be a valid string"),
    "video missing": (lambda r: r.pop("video"), "missing required field 'video'"),
    "start as text": (lambda r: r.update(start="1.5"), "field 'start' must be a valid number"),
    "start true": (lambda r: r.update(start=True), "field 'start' must be a valid number"),
    "end NaN": (_nan("end"), "field 'end' must be a finite number"),
    "end Infinity": (lambda r: r.update(end=math.inf), "field 'end' must be a finite number"),
    "negative start": (lambda r: r.update(start=-1.0), "field 'start' must be greater than or equal to 0"),
    "label as a list": (lambda r: r.update(label=["happy"]), "field 'label'"),
    "duration as text": (lambda r: r.update(duration="2 s"), "field 'duration' must be a valid number"),
    "a future version": (lambda r: r.update(version="manifest-v2"), "a manifest record of version 'manifest-v2'"),
    "another kind's version": (lambda r: r.update(version="actions-v2"), "not a manifest record (it looks like an `fda actions` record"),
}


def _manifest_readers(m: Path, tmp_path: Path) -> dict[str, list]:
    return {
        "track --manifest": ["track", "--manifest", m, "-o", tmp_path / "t.jsonl"],
        "caption VIDEOS": ["caption", m, "--backend", "openai:x", "--base-url", "http://127.0.0.1:9/v1", "-o", tmp_path / "c.jsonl"],
    }


@pytest.mark.parametrize("case", sorted(MANIFEST_CORRUPTIONS))
def test_a_broken_manifest_record_is_refused_by_every_reader(tmp_path, case):
    edit, words = MANIFEST_CORRUPTIONS[case]
    rec = {"id": "a", "version": "manifest-v1", "video": "a.mp4", "dataset": "DFEW", "label": "happy", "start": 0.5,
           "end": 3.0, "duration": 2.5}
    edit(rec)
    m = write(tmp_path / "m.jsonl", {"id": "ok", "video": "b.mp4"}, rec)
    for name, args in _manifest_readers(m, tmp_path).items():
        p = fda(*args)
        refused(p, f"{m}:2:", words)
        assert not (tmp_path / "t.jsonl").exists() and not (tmp_path / "c.jsonl").exists(), name  # before any work


def test_other_files_and_one_id_twice_in_a_manifest(tmp_path):
    cases = {
        "tracks": ([TRACKS], "not a manifest record (it looks like an `fda track` record)"),
        "actions": ([ACTIONS], "not a manifest record (it looks like an `fda actions` record)"),
        "an annotation": ([{"id": "a", "record": "fda-review-annotation", "video": "/src/a.mp4", "attributes": "x"}],
                          "it looks like an annotation from `fda review pull`"),
        "one id twice": ([{"id": "a", "video": "a.mp4"}, {"id": "a", "video": "b.mp4"}], "id 'a' again (first on line 1)"),
    }
    for name, (recs, words) in cases.items():
        m = write(tmp_path / f"{name}.jsonl", *recs)
        for args in _manifest_readers(m, tmp_path).values():
            refused(fda(*args), f"{m}:{len(recs)}:", words)
    scores = write(tmp_path / "scores.json", text=json.dumps(SCORES_LIKE, indent=1))
    refused(fda("track", "--manifest", scores, "-o", tmp_path / "t.jsonl"), str(scores), "it is a scores.json from `fda score`")
    # rows written by hand may leave out everything but id and video; null times are "the whole video"
    hand = write(tmp_path / "hand.jsonl", {"id": "x", "video": "x.mp4", "start": None, "end": None, "label": 3})
    from fdacli.core.run.inputs import collect_videos

    (item,) = collect_videos([hand])
    assert (item.id, item.start, item.end, item.extra) == ("x", None, None, {"label": 3})


def test_a_broken_index_row_is_refused_by_fda_sample(tmp_path):
    """The index `fda sample` draws from: a NaN duration was a traceback when the manifest was written."""
    cases = {
        "a NaN duration": ('{"path": "a.mp4", "label": "happy", "duration": NaN}', "field 'duration' must be a finite number"),
        "a duration as text": ('{"path": "a.mp4", "label": "happy", "duration": "2.5"}', "field 'duration' must be a valid number"),
        "a label as a list": ('{"path": "a.mp4", "label": ["happy"]}', "field 'label' must be a valid string or a valid integer"),
        "a path as a list": ('{"path": ["a.mp4"], "label": "happy"}', "field 'path' must be a valid string"),
    }
    for name, (line, words) in cases.items():
        idx = write(tmp_path / "idx.jsonl", text='{"path": "b.mp4", "label": "sad", "duration": 1.0}\n' + line + "\n")
        refused(fda("sample", idx, "-o", tmp_path / "m.jsonl"), f"{idx}:2:", words)
    idx = write(tmp_path / "idx.csv", text="path,label,duration\nb.mp4,sad,1.0\na.mp4,happy,nan\n")
    refused(fda("sample", idx, "-o", tmp_path / "m.jsonl"), f"{idx}:3:", "'duration' must be a number of seconds (got 'nan')")
    assert not (tmp_path / "m.jsonl").exists()


# -- predictions and references: fda score ---------------------------------------------------------------------------
CAPTION_CORRUPTIONS = {
    "no caption field": (lambda r: r.pop("caption"), "field 'caption' is missing"),
    "caption as a list": (lambda r: r.update(caption=["He smiles."]), "field 'caption' must be a valid string"),
    "caption as a number": (lambda r: r.update(caption=5), "field 'caption' must be a valid string"),
    "caption as an object": (lambda r: r.update(caption={"text": "He smiles."}), "field 'caption' must be a valid string"),
    "person as text": (lambda r: r.update(person="1"), "field 'person' must be a valid integer"),
    "person true": (lambda r: r.update(person=True), "field 'person' must be a valid integer"),
    "person NaN": (_nan("person"), "field 'person' must be a valid integer"),
    "second caption as a list": (lambda r: r.update(caption2=["x"]), "field 'caption2' must be a valid string"),
    "a future version": (lambda r: r.update(version="captions-v2"), "a caption record of version 'captions-v2'"),
    "another kind's version": (lambda r: r.update(version="manifest-v1"), "not a caption record (it looks like a manifest record"),
}


@pytest.mark.parametrize("case", sorted(CAPTION_CORRUPTIONS))
def test_a_broken_caption_is_refused_in_predictions_and_in_references(tmp_path, case):
    edit, words = CAPTION_CORRUPTIONS[case]
    good = [{"id": r["id"], "caption": r["caption"]} for r in REFS[:3]]
    bad = json.loads(json.dumps(good))
    edit(bad[1])
    preds = write(tmp_path / "p.jsonl", *bad)
    out = tmp_path / "s.json"
    refused(fda("score", preds, "--refs", DATA, "-o", out, "--metrics", "rouge"), f"{preds}:2:", words)
    refs = write(tmp_path / "refs.json", text=json.dumps([{**b, "video": "v.mp4"} for b in bad], indent=1))  # the release format
    ok = write(tmp_path / "ok.jsonl", *good)
    refused(fda("score", ok, refs, "-o", out, "--metrics", "rouge"), f"{refs}: item 2:", words)
    assert not out.exists()


def test_other_files_given_as_captions_are_named_for_what_they_are(tmp_path):
    out = tmp_path / "s.json"
    cases = {
        "tracks": (TRACKS, "not a caption record (it looks like an `fda track` record)"),
        "actions": (ACTIONS, "not a caption record (it looks like an `fda actions` record)"),
        "annotation": ({"id": "0", "record": "fda-review-annotation", "version": "annotations-v1", "video": "v.mp4",
                        "attributes": "A man.", "facial_changes": "He smiles.", "summary": ""},
                       "not a caption record (it looks like an annotation from `fda review pull`)"),
        "training": ({"id": "0", "video": "v.mp4", "conversations": []}, "not a caption record (it looks like a training record)"),
    }
    for name, (rec, words) in cases.items():
        f = write(tmp_path / f"{name}.jsonl", rec)
        refused(fda("score", f, "--refs", DATA, "-o", out, "--metrics", "rouge"), f"{f}:1:", words)
        refused(fda("score", write(tmp_path / "p.jsonl", {"id": "0", "caption": "x"}), f, "-o", out, "--metrics", "rouge"),
                f"{f}:1:", words)
    # a scores.json given as predictions, or as references
    good = write(tmp_path / "p.jsonl", *({"id": r["id"], "caption": r["caption"]} for r in REFS[:3]))
    assert fda("score", good, "--refs", DATA, "-o", out, "--metrics", "rouge", "-q").returncode == 0
    for args in ([out, "--refs", DATA], [good, out]):
        refused(fda("score", *args, "-o", tmp_path / "s2.json", "--metrics", "rouge"), str(out), "it is a scores.json from `fda score`")


def test_one_id_twice_in_captions_keeps_the_first_and_names_both_places(tmp_path):
    rows = [{"id": r["id"], "caption": r["caption"]} for r in REFS[:3]]
    preds = write(tmp_path / "p.jsonl", *rows, {"id": REFS[0]["id"], "caption": "He frowns."})
    refs = write(tmp_path / "r.json", text=json.dumps([*REFS[:3], {**REFS[1], "caption": "Another reference."}]))
    out = tmp_path / "s.json"
    p = fda("score", preds, refs, "-o", out, "--metrics", "rouge")
    assert p.returncode == 0, p.stderr
    err = " ".join(p.stderr.split())
    assert f"{preds}:4: id '{REFS[0]['id']}' again (first on {preds}:1); the first is kept" in err
    assert f"{refs}: item 4: id '{REFS[1]['id']}' again (first on {refs}: item 1" not in err  # item 2 is the first
    assert f"{refs}: item 4: id '{REFS[1]['id']}' again (first on {refs}: item 2); the first is kept" in err
    model = json.loads(out.read_text())["models"]["p"]
    assert model["counts"]["duplicate_ids_in_predictions"] == 1
    assert model["summary"]["rouge_l"] == pytest.approx(1.0)  # the first of each was scored, against the first


def test_null_and_empty_captions_and_failed_records_stay_empty_predictions(tmp_path):
    rows = [{"id": REFS[0]["id"], "caption": None}, {"id": REFS[1]["id"], "caption": ""},
            {"id": REFS[2]["id"], "status": "error", "error": "the endpoint failed", "version": "captions-v1"},
            {"id": REFS[3]["id"], "pred": REFS[3]["caption"], "version": "my-model-2.1"}]  # another tool's names and version
    out = tmp_path / "s.json"
    p = fda("score", write(tmp_path / "p.jsonl", *rows), "--refs", DATA, "-o", out, "--metrics", "rouge")
    assert p.returncode == 0, p.stderr
    c = json.loads(out.read_text())["models"]["p"]["counts"]
    assert c["scored"] == 4 and c["empty_predictions"] == 3


# -- annotations: fda build-instructions ------------------------------------------------------------------------------
ANNOTATION_CORRUPTIONS = {
    "caption as a list": (lambda r: r.update(caption=["He smiles."]), "field 'caption' must be a valid string"),
    "attributes as a number": (lambda r: r.update(attributes=3), "field 'attributes' must be a valid string"),
    "video as a list": (lambda r: r.update(video=["a.mp4"]), "field 'video' must be a valid string"),
    "drop reasons as text": (lambda r: r.update(status="dropped", drop="violent content"), "field 'drop' must be a valid list"),
    "an unknown status": (lambda r: r.update(status="incomplete"), "field 'status'"),
    "duration NaN": (_nan("duration"), "field 'duration' must be a finite number"),
    "duration as text": (lambda r: r.update(duration="4"), "field 'duration' must be a valid number"),
    "a future version": (lambda r: r.update(version="annotations-v2"), "an annotation of version 'annotations-v2'"),
}


@pytest.mark.parametrize("case", sorted(ANNOTATION_CORRUPTIONS))
def test_a_broken_annotation_is_refused(tmp_path, case):
    edit, words = ANNOTATION_CORRUPTIONS[case]
    rec = {"id": "b", "record": "fda-review-annotation", "version": "annotations-v1", "video": "b.mp4", "status": "ok",
           "attributes": "A man.", "facial_changes": "He smiles.", "summary": "", "drop": []}
    edit(rec)
    ann = write(tmp_path / "ann.jsonl", {"id": "a", "video": "a.mp4", "caption": "He blinks."}, rec)
    out = tmp_path / "train.jsonl"
    refused(fda("build-instructions", ann, "-o", out), f"{ann}:2:", words)
    assert not out.exists()


def test_other_files_given_as_annotations_are_named_and_one_id_twice_names_the_first(tmp_path):
    cases = {
        "tracks": (TRACKS, "not an annotation (it looks like an `fda track` record)"),
        "draft": ({"id": "a", "video": "a.mp4", "status": "ok", "text": "He smiles.", "prompt_version": "v1"},
                  "not an annotation (it looks like a pre-annotation from `fda preannotate`)"),
        "versions": ({"id": "a", "record": "fda-review-versions", "video": "a.mp4", "status": "ok", "versions": []},
                     "it looks like annotators' versions from `fda review pull`, not yet consolidated); give annotations: what fda "
                     "review pull writes from the final review (after fda review consolidate)"),
        "manifest": ({"id": "a", "video": "a.mp4", "dataset": "DFEW", "label": "happy"},
                     "not an annotation (it looks like a manifest record from `fda sample`)"),
        "training": ({"id": "a", "video": "a.mp4", "conversations": []}, "not an annotation (it looks like a training record)"),
    }
    for name, (rec, words) in cases.items():
        f = write(tmp_path / f"{name}.jsonl", rec)
        refused(fda("build-instructions", f, "-o", tmp_path / "o.jsonl"), f"{f}:1:", words)
    ann = write(tmp_path / "ann.jsonl", {"id": "a", "video": "a.mp4", "status": "dropped", "drop": ["violent content"]},
                {"id": "a", "video": "a.mp4", "caption": "He smiles."})
    p = fda("build-instructions", ann, "-o", tmp_path / "o.jsonl")
    assert p.returncode == 0 and not (tmp_path / "o.jsonl").read_text().strip()  # the first (dropped) is the one kept
    assert f"{ann}:2 (a): duplicate id (the first, {ann}:1, kept)" in " ".join(p.stderr.split()), p.stderr


# -- drafts: fda review push -------------------------------------------------------------------------------------------
def test_broken_drafts_are_refused_by_review_push(tmp_path):
    tracks = write(tmp_path / "tracks.jsonl", TRACKS)
    draft = {"id": "a", "video": "a.mp4", "status": "ok", "text": "A man. He smiles.", "model": "m", "prompt_version": "v1"}
    cases = {
        "text as a list": ([{**draft, "text": ["He smiles."]}], "field 'text' must be a valid string"),
        "no text": ([{k: v for k, v in draft.items() if k != "text"}], "not a valid pre-annotation: field 'text' is missing"),
        "status as a flag": ([{**draft, "status": True}], "field 'status'"),
        "tracks": ([TRACKS], "not a pre-annotation (it looks like an `fda track` record)"),
        "one id twice": ([draft, draft], "id 'a' again (first on line 1)"),
    }
    for name, (recs, words) in cases.items():
        d = write(tmp_path / f"{name}.jsonl", *recs)
        p = fda("review", "push", d, "--tracks", tracks, "--to-files", tmp_path / "f", "--media", tmp_path / "media",
                "--media-url", "http://127.0.0.1:9/media/")
        refused(p, f"{d}:{len(recs)}:", words)
        assert not (tmp_path / "f").exists(), name


# -- scores.json --------------------------------------------------------------------------------------------------------
def test_scores_json_is_written_and_read_by_its_contract(tmp_path):
    from fdacli.core.run.records import RecordError
    from fdacli.core.run.schemas import read_scores

    preds = write(tmp_path / "p.jsonl", *({"id": r["id"], "caption": r["caption"]} for r in REFS[:4]))
    out = tmp_path / "s.json"
    assert fda("score", preds, "--refs", DATA, "-o", out, "--metrics", "tem,rouge,cider", "-q").returncode == 0
    doc = read_scores(out)
    assert doc["version"] == "scores-v1" and doc["models"]["p"]["summary"]["rouge_l"] == pytest.approx(1.0)
    cases = {
        "a NaN summary": (lambda d: d["models"]["p"]["summary"].update(tem=math.nan), "NaN is not a number"),
        "a text summary": (lambda d: d["models"]["p"]["summary"].update(tem=[0.3]), "field 'models.p.summary.tem'"),
        "a count as text": (lambda d: d["models"]["p"]["counts"].update(scored="4"), "field 'models.p.counts.scored'"),
        "no models": (lambda d: d.pop("models"), "not a scores.json"),
        "a future version": (lambda d: d.update(version="scores-v2"), "a scores.json of version 'scores-v2'"),
        "no version": (lambda d: d.pop("version"), "a scores.json without a version"),
    }
    for name, (edit, words) in cases.items():
        d = json.loads(out.read_text())
        edit(d)
        bad = write(tmp_path / "bad.json", text=json.dumps(d))
        with pytest.raises(RecordError, match=None) as exc:
            read_scores(bad)
        assert str(exc.value).startswith(str(bad)) and words in str(exc.value), (name, exc.value)
    with pytest.raises(RecordError, match="it looks like a caption"):
        read_scores(preds)
