"""Contracts between commands (issue 25), the kinds besides actions and tracks: manifests, predictions and references,
annotations, drafts and scores.json, each checked where a command reads it (core/run/contracts.py).

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
    from fdacli.core.run.readers import read_scores

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


# -- annotators' versions: fda review consolidate ----------------------------------------------------------------------
def _version(who: str, changes: str) -> dict:
    return {"annotator": who, "annotation": 1, "created_at": "2026-01-05T10:00:00Z", "updated_at": None, "lead_time": 31.5,
            "attributes": "A man with short hair.", "facial_changes": changes, "summary": "He seems pleased.", "drop": [],
            "changed": {"attributes": True, "facial_changes": True, "summary": True}, "draft_unchanged": False,
            "drop_as_suggested": False, "brackets_ok": True}


VERSIONS = {"id": "a", "record": "fda-review-versions", "version": "versions-v1", "video": "/src/a.mp4", "status": "ok",
            "error": None, "project": 5, "task": 7, "media": "/data/local-files/?d=clips/a.mp4", "versions_wanted": 2,
            "draft": {"attributes": "A man.", "facial_changes": "He smiles.", "summary": ""}, "draft_model": "m",
            "versions": [_version("a@x", "He smiles."), _version("b@x", "He smiles widely.")], "cancelled": [],
            "agreement": {"attributes": 1.0, "facial_changes": 0.8, "summary": 1.0, "overall": 0.93}, "judge": "local",
            "pairs": [{"a": 0, "b": 1, "attributes": 1.0, "facial_changes": 0.8, "summary": 1.0, "differences": "how wide"}],
            "medoid": {"attributes": 0, "facial_changes": 0, "summary": 0}, "drop_votes": {}, "drop_majority": []}
# a server nobody runs: a contract error must come before it is asked anything
NO_SERVER = ["--url", "http://127.0.0.1:9", "--project", "x"]


def _set(path: str, value):
    """An edit of a nested field: ``_set("versions.1.drop", None)``; the value ``...`` removes the field."""
    def edit(rec):
        *parents, last = path.split(".")
        for p in parents:
            rec = rec[int(p)] if isinstance(rec, list) else rec[p]
        if value is ...:
            del rec[last]
        elif isinstance(rec, list):
            rec[int(last)] = value
        else:
            rec[last] = value
    return edit


VERSIONS_CORRUPTIONS = {  # each was read as something else, left out in silence, or a traceback
    "versions as text": (_set("versions", "He smiles."), "field 'versions' must be a valid list"),
    "versions missing": (_set("versions", ...), "field 'versions' is missing"),
    "a version's text as a list": (_set("versions.1.facial_changes", ["He smiles."]),
                                   "field 'versions.1.facial_changes' must be a valid string"),
    "a medoid out of range": (_set("medoid.facial_changes", 2), "the medoid of facial_changes (2) is not one of the 2 versions"),
    "a medoid as text": (_set("medoid.summary", "0"), "field 'medoid.summary' must be a valid integer"),
    "agreement NaN": (_set("agreement.facial_changes", math.nan), "field 'agreement.facial_changes' must be a finite number"),
    "agreement above 1": (_set("agreement.overall", 1.5), "field 'agreement.overall' must be less than or equal to 1"),
    "a pair's index as text": (_set("pairs.0.a", "0"), "field 'pairs.0.a' must be a valid integer"),
    "a pair out of range": (_set("pairs.0.b", 5), "pair 1 (0, 5) is not two of the 2 versions"),
    "an unknown status": (_set("status", "done"), "field 'status' must be 'ok', 'incomplete' or 'empty'"),
    "drop majority as text": (_set("drop_majority", "violent content"), "field 'drop_majority' must be a valid list"),
    "the clip URL as a list": (_set("media", ["a.mp4"]), "field 'media' must be a valid string"),
    "the project as text": (_set("project", "5"), "field 'project' must be a valid integer"),
    "a future version": (_set("version", "versions-v2"), "of version 'versions-v2'; this fda reads versions-v1"),
    "another kind's version": (_set("version", "annotations-v1"),
                               "not a record of `fda review pull` on an annotation project (it looks like an annotation"),
}


@pytest.mark.parametrize("case", sorted(VERSIONS_CORRUPTIONS))
def test_broken_versions_are_refused_by_review_consolidate_before_the_server_is_asked(tmp_path, case):
    edit, words = VERSIONS_CORRUPTIONS[case]
    rec = json.loads(json.dumps(VERSIONS))
    edit(rec)
    v = write(tmp_path / "versions.jsonl", {**VERSIONS, "id": "b"}, rec)
    refused(fda("review", "consolidate", v, *NO_SERVER), f"{v}:2:", words)


def test_other_files_and_one_id_twice_given_to_review_consolidate(tmp_path):
    annotation = {"id": "a", "record": "fda-review-annotation", "version": "annotations-v1", "video": "/src/a.mp4",
                  "status": "ok", "attributes": "A man.", "facial_changes": "He smiles.", "summary": ""}
    cases = {
        "tracks": ([TRACKS], "(it looks like an `fda track` record); give the versions.jsonl that fda review pull writes"),
        "the final annotations": ([annotation], "(it looks like an annotation from `fda review pull`)"),
        "screen records": ([SCREEN], "(it looks like an `fda screen` record)"),
        "one id twice": ([VERSIONS, VERSIONS], "id 'a' again (first on line 1)"),
    }
    for name, (recs, words) in cases.items():
        v = write(tmp_path / f"{name}.jsonl", *recs)
        refused(fda("review", "consolidate", v, "--to-files", tmp_path / "f"), f"{v}:{len(recs)}:", words)
        assert not (tmp_path / "f").exists(), name
    # what pull wrote before records said their version is read as versions-v1
    v = write(tmp_path / "v.jsonl", {k: x for k, x in VERSIONS.items() if k != "version"})
    p = fda("review", "consolidate", v, "--to-files", tmp_path / "f")
    assert p.returncode == 0, p.stderr
    (task,) = json.loads((tmp_path / "f" / "tasks.json").read_text())
    assert task["data"]["fda_id"] == "a" and task["data"]["medoid_facial_changes"] == "He smiles."


def test_a_label_studio_export_of_the_wrong_shape_is_refused_by_review_pull(tmp_path):
    task = {"id": 1, "data": {"fda_id": "a", "fda_stage": "annotate", "video": "u"}, "annotations": []}
    cases = {
        "data as text": ({**task, "data": "a.mp4"}, "field 'data' must be a valid dictionary"),
        "annotations as text": ({**task, "annotations": "none"}, "field 'annotations' must be a valid list"),
        "a task as a list": ([task], "expected a task (a JSON object), got list"),
    }
    for name, (bad, words) in cases.items():
        e = write(tmp_path / "export.json", text=json.dumps([task, bad]))
        refused(fda("review", "pull", "--export", e, "-o", tmp_path / "v.jsonl"), f"{e}: item 2:", words)
        assert not (tmp_path / "v.jsonl").exists(), name
    # a NaN lead time in an export is no time, not a traceback when the versions are written
    ann = {"id": 3, "completed_by": 1, "was_cancelled": False, "lead_time": "NaN", "created_at": "2026-01-05T10:00:00Z",
           "result": [{"from_name": "facial_changes", "type": "textarea", "value": {"text": ["He smiles."]}}]}
    e = write(tmp_path / "export.json", text=json.dumps([{**task, "annotations": [ann]}]))
    p = fda("review", "pull", "--export", e, "-o", tmp_path / "v.jsonl", "--annotators", "1")
    assert p.returncode == 0, p.stderr
    (rec,) = [json.loads(x) for x in (tmp_path / "v.jsonl").read_text().splitlines()]
    assert rec["version"] == "versions-v1" and rec["versions"][0]["lead_time"] is None


# -- screen records: fda review push --screen, and fda screen resuming onto its output --------------------------------------
SCREEN = {"id": "a", "video": "a.mp4", "version": "screen-v1", "status": "ok", "error": None, "keep": False,
          "drop_reasons": ["static scene"], "settings": {"min_face_area": 0.05, "max_people": 5, "actions": False},
          "criteria": {"face_size": {"value": 0.12, "threshold": 0.05, "verdict": "pass", "reason": "12 % of the frame"},
                       "static": {"value": {"picture_change": 0.01, "face_motion": 0.002},
                                  "threshold": {"picture_change": 0.1, "face_motion": 0.01}, "verdict": "drop",
                                  "reason": "nothing moves", "drop_reason": "static scene"}}}
DRAFT = {"id": "a", "video": "a.mp4", "status": "ok", "text": "A man. He smiles.", "model": "m", "prompt_version": "v1"}

SCREEN_CORRUPTIONS = {  # each preselected letters as drop reasons, kept a dropped clip, or passed in silence
    "drop reasons as text": (_set("drop_reasons", "static scene"), "field 'drop_reasons' must be a valid list"),
    "keep as text": (_set("keep", "no"), "field 'keep' must be a valid boolean"),
    "kept and dropped": (_set("keep", True), "'keep' is true for a clip that is dropped or failed"),
    "dropped for no reason": (_set("drop_reasons", []), "a dropped clip must name its drop_reasons"),
    "an unknown status": (_set("status", "skipped"), "field 'status' must be 'ok' or 'error'"),
    "an unknown verdict": (_set("criteria.static.verdict", "maybe"), "field 'criteria.static.verdict' must be 'pass'"),
    "a NaN value": (_set("criteria.face_size.value", math.nan), "field 'criteria.face_size.value' must hold finite numbers"),
    "an infinite threshold": (_set("settings.min_face_area", math.inf), "field 'settings.min_face_area' must be a finite number"),
    "criteria missing": (_set("criteria", ...), "a screened clip (status ok) must have its criteria"),
    "no version": (_set("version", ...), "field 'version' is missing"),
    "a future version": (_set("version", "screen-v2"), "an `fda screen` record of version 'screen-v2'; this fda reads screen-v1"),
}


def _push(tmp_path: Path, screen: Path, *more):
    tracks = write(tmp_path / "tracks.jsonl", TRACKS)
    drafts = write(tmp_path / "drafts.jsonl", DRAFT)
    return fda("review", "push", drafts, "--tracks", tracks, "--screen", screen, "--media", tmp_path / "media",
               "--media-url", "http://127.0.0.1:9/media/", *more)


@pytest.mark.parametrize("case", sorted(SCREEN_CORRUPTIONS))
def test_a_broken_screen_record_is_refused_by_review_push_before_the_server_is_asked(tmp_path, case):
    edit, words = SCREEN_CORRUPTIONS[case]
    rec = json.loads(json.dumps(SCREEN))
    edit(rec)
    s = write(tmp_path / "screen.jsonl", {**SCREEN, "id": "b", "keep": True, "drop_reasons": []}, rec)
    refused(_push(tmp_path, s, *NO_SERVER), f"{s}:2:", words)
    assert not (tmp_path / "media").exists()


def test_other_files_and_one_id_twice_given_as_screen_records(tmp_path):
    cases = {
        "tracks": ([TRACKS], "not an `fda screen` record (it looks like an `fda track` record); give the output of fda screen"),
        "actions": ([ACTIONS], "not an `fda screen` record (it looks like an `fda actions` record)"),
        "drafts": ([DRAFT], "not an `fda screen` record (it looks like a pre-annotation from `fda preannotate`)"),
        "one id twice": ([SCREEN, SCREEN], "id 'a' again (first on line 1)"),
    }
    for name, (recs, words) in cases.items():
        s = write(tmp_path / f"{name}.jsonl", *recs)
        refused(_push(tmp_path, s, "--to-files", tmp_path / "f"), f"{s}:{len(recs)}:", words)
        assert not (tmp_path / "f").exists(), name
    # a failed screen record is read: the panel says why the clip was not screened
    failed = {"id": "a", "video": "a.mp4", "version": "screen-v1", "status": "error", "error": "tracking failed: no faces",
              "keep": False, "drop_reasons": [], "settings": SCREEN["settings"]}
    p = _push(tmp_path, write(tmp_path / "failed.jsonl", failed), "--to-files", tmp_path / "f")
    assert p.returncode != 2 and "Traceback" not in p.stderr, p.stderr


def _screenable(rid: str) -> dict:
    """A tracks record with what `fda screen` measures: one main face over three sampled frames."""
    box = [100.0, 80.0, 260.0, 240.0]
    return {**json.loads(json.dumps(TRACKS)), "id": rid, "width": 640, "height": 360, "sampled_frames": [0, 5, 10], "shots": [[0, 99]],
            "picture_change": 1.5, "identities": [{"identity": 1, "is_main": True, "area": 0.3}],
            "tracks": [{"track_id": 1, "identity": 1, "is_main": True, "frames": [0, 5, 10], "boxes": [box] * 3}]}


def test_fda_screen_checks_the_verdicts_it_resumes_onto(tmp_path):
    tracks = write(tmp_path / "tracks.jsonl", _screenable("a"), _screenable("b"))
    out = tmp_path / "screen.jsonl"
    assert fda("screen", tracks, "-o", out, "-q").returncode == 0
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    recs[1]["keep"] = "yes"  # read back for --keep, the kept clips would have included it
    write(out, *recs)
    refused(fda("screen", tracks, "-o", out, "--keep", tmp_path / "keep.jsonl"), f"{out}:2:", "field 'keep' must be a valid boolean")
    assert not (tmp_path / "keep.jsonl").exists()


# -- tracks as fda screen reads them (its own fast pass, beside the tracks contract) ------------------------------------------
TRACKS_IN_SCREEN = {  # each was screened as something else, or a traceback when --keep wrote the kept clips
    "video as a list": (_set("video", ["a.mp4"]), "field 'video' must be a valid string"),
    "no key frames": (_set("key_frames", ...), "field 'key_frames' is missing"),
    "a negative key frame": (_set("key_frames.0", -3), "field 'key_frames.0' must be greater than or equal to 0"),
    "a main identity as text": (_set("identities.0.is_main", "false"), "field 'identities.0.is_main' must be a valid boolean"),
    "an identity's area as text": (_set("identities.0.area", "large"), "field 'identities.0.area' must be a valid number"),
    "a track's identity as text": (_set("tracks.0.identity", "1"), "field 'tracks.0.identity' must be a valid integer"),
    "fps NaN": (_set("fps", math.nan), "field 'fps' must be a finite number"),
    "picture change Infinity": (_set("picture_change", math.inf), "field 'picture_change' must be a finite number"),
    "an unknown status": (_set("status", "done"), "field 'status'"),
    "a tracks version": (_set("version", "tracks-v2"), "an `fda track` record of version 'tracks-v2'"),
    "another kind's version": (_set("version", "actions-v2"), "not an `fda track` record (it looks like an `fda actions` record)"),
    "no shots": (_set("shots", ...), "field 'shots' is missing: the screen measures it"),
}


@pytest.mark.parametrize("case", sorted(TRACKS_IN_SCREEN))
def test_a_broken_tracks_record_is_refused_by_fda_screen(tmp_path, case):
    edit, words = TRACKS_IN_SCREEN[case]
    rec = _screenable("b")
    edit(rec)
    tracks = write(tmp_path / "tracks.jsonl", _screenable("a"), rec)
    out = tmp_path / "screen.jsonl"
    refused(fda("screen", tracks, "-o", out, "--keep", tmp_path / "keep.jsonl"), f"{tracks}:2:", words)
    assert not out.exists() and not (tmp_path / "keep.jsonl").exists()


# -- training records and tracks: fda finetune (refused before torch or a model is loaded) ------------------------------------
TRAIN = {"id": "a", "version": "training-v1", "video": "a.mp4", "instruction_index": 0, "key_frames": [0, 5],
         "key_frame_boxes": [[1.0, 2.0, 30.0, 40.0], None],
         "conversations": [{"from": "human", "value": "<video>\nDescribe the face."}, {"from": "gpt", "value": "He smiles."}]}
OFFLINE = {"HF_HUB_OFFLINE": "1"}  # before the fix some of these went on to load a model

TRAINING_CORRUPTIONS = {  # each trained on something else, or a traceback once the model was loaded
    "conversations as text": (_set("conversations", "He smiles."), "field 'conversations' must be a valid list"),
    "conversations missing": (_set("conversations", ...), "field 'conversations' is missing"),
    "a turn's text as a list": (_set("conversations.1.value", ["He smiles."]), "field 'conversations.1.value' must be a valid string"),
    "a turn from nobody": (_set("conversations.1.from", "robot"), "field 'conversations.1.from' must be 'human', 'gpt'"),
    "video as a list": (_set("video", ["a.mp4"]), "field 'video' must be a valid string"),
    "key frames as text": (_set("key_frames", "0,5"), "field 'key_frames' must be a valid list"),
    "a key frame as a fraction": (_set("key_frames.1", 5.5), "field 'key_frames.1' must be a valid integer"),
    "a NaN box": (_set("key_frame_boxes.0.2", math.nan), "field 'key_frame_boxes.0.2' must be a finite number"),
    "boxes not one per key frame": (_set("key_frame_boxes", [[1.0, 2.0, 30.0, 40.0]]), "one entry per key frame"),
    "fps Infinity": (_set("fps", math.inf), "field 'fps' must be a finite number"),
    "a future version": (_set("version", "training-v2"), "a training record of version 'training-v2'; this fda reads training-v1"),
}


@pytest.mark.parametrize("case", sorted(TRAINING_CORRUPTIONS))
def test_a_broken_training_record_is_refused_by_finetune(tmp_path, case):
    edit, words = TRAINING_CORRUPTIONS[case]
    rec = json.loads(json.dumps(TRAIN))
    edit(rec)
    train = write(tmp_path / "train.jsonl", {**TRAIN, "id": "b"}, rec)
    refused(fda("finetune", train, "-o", tmp_path / "out", env=OFFLINE), f"{train}:2:", words)
    assert not (tmp_path / "out").exists()


def test_other_files_one_id_twice_and_broken_tracks_given_to_finetune(tmp_path):
    annotation = {"id": "a", "record": "fda-review-annotation", "version": "annotations-v1", "video": "a.mp4",
                  "status": "ok", "attributes": "A man.", "facial_changes": "He smiles.", "summary": ""}
    hand = {"id": "h", "video": "h.mp4", "conversations": TRAIN["conversations"]}  # VideoLLaMA2's format by hand
    cases = {
        "tracks": ([TRACKS], "not a training record (it looks like an `fda track` record); give the output of fda build-instructions"),
        "annotations": ([annotation], "not a training record (it looks like an annotation from `fda review pull`)"),
        "one id twice": ([TRAIN, TRAIN], "id 'a' again (first on line 1)"),
    }
    for name, (recs, words) in cases.items():
        t = write(tmp_path / f"{name}.jsonl", *recs)
        refused(fda("finetune", t, "-o", tmp_path / "out", env=OFFLINE), f"{t}:{len(recs)}:", words)
    train = write(tmp_path / "train.jsonl", hand)
    tracks_cases = {
        "actions given as tracks": ([ACTIONS], "not an `fda track` record (it looks like an `fda actions` record)"),
        "key frames as text": ([{**TRACKS, "id": "h", "key_frames": "0,5"}], "field 'key_frames' must be a valid list"),
        "one id twice": ([TRACKS, TRACKS], "id 'a' again (first on line 1)"),
    }
    for name, (recs, words) in tracks_cases.items():
        t = write(tmp_path / f"tracks {name}.jsonl", *recs)
        refused(fda("finetune", train, "--tracks", t, "-o", tmp_path / "out", env=OFFLINE), f"{t}:{len(recs)}:", words)
    assert not (tmp_path / "out").exists()


def test_training_records_say_their_version_and_are_read_by_their_contract(tmp_path):
    """What build-instructions writes is what finetune reads: each sample with its clip, checked by the contract."""
    from fdacli.core.train.samples import load_samples

    ann = write(tmp_path / "ann.jsonl", {"id": "a", "video": "a.mp4", "caption": "He smiles."},
                {"id": "b", "video": "b.mp4", "caption": "He frowns."})
    tracks = write(tmp_path / "tracks.jsonl", TRACKS, {**TRACKS, "id": "b", "video": "b.mp4", "key_frames": [3, 9]})
    train = tmp_path / "train.jsonl"
    assert fda("build-instructions", ann, "--tracks", tracks, "-o", train).returncode == 0
    recs = [json.loads(x) for x in train.read_text().splitlines()]
    assert {r["version"] for r in recs} == {"training-v1"}
    samples = {s.id: s for s in load_samples(train, None, [])}
    assert samples["b"].spec.key_frames == (3, 9) and samples["a"].spec.key_frame_boxes == ([1, 2, 3, 4], None)
