"""The parts of `fda review` that need no server: drafts split into the paper's parts, agreement between
versions (TEM both ways, ROUGE-L), medoids and majorities, versions read from an export, the reviewer's
annotation with its flags, and the clip export a browser plays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fdacli.core.review import labeling
from fdacli.core.review.agreement import Pairwise, majority, mean_pairwise, medoid
from fdacli.core.review.consolidation import annotation
from fdacli.core.review.drafts import sentences, split_draft
from fdacli.core.review.tasks import versions_html
from fdacli.core.review.versions import Comparers, brackets_balanced, records, versions_of
from fdacli.core.score import pairwise
from fdacli.core.score.judges.local import LocalJudge

REFS = json.loads((Path(__file__).parent / "data" / "fec_bench_refs_slice.json").read_text())


def test_a_draft_splits_into_the_three_parts_without_losing_a_sentence():
    for r in REFS:
        parts = split_draft(r["caption"])
        assert sentences(" ".join(p for p in parts.values() if p)) == sentences(r["caption"])
        assert parts["facial_changes"], r["id"]
        assert not any(w in parts["attributes"].lower() for w in ("blinks", "opens his mouth", "opens her mouth")), r["id"]
    p = split_draft("A young woman with long hair. She smiles and then blinks. Overall, she appears calm.")
    assert p == {"attributes": "A young woman with long hair.", "facial_changes": "She smiles and then blinks.",
                 "summary": "Overall, she appears calm."}
    assert split_draft("") == {"attributes": "", "facial_changes": "", "summary": ""}


def comparers():
    judge = LocalJudge()
    wrap = lambda rs: [Pairwise(m, n, e) for m, n, e in rs]  # noqa: E731
    return Comparers(lambda g: wrap(pairwise.tem_agreement(judge, g)), lambda g: wrap(pairwise.rouge_agreement(g)), "local")


def test_tem_agreement_is_symmetric_and_orders_paraphrase_above_contradiction():
    a = "She opens her mouth, then blinks and raises her eyebrows."
    b = "Her mouth opens; she blinks and her brows go up."
    c = "She closes her mouth and lowers her eyebrows."
    ((m, notes, err),) = pairwise.tem_agreement(LocalJudge(), [[a, b, c]])
    assert err is None
    assert all(m[i][j] == m[j][i] for i in range(3) for j in range(3))
    assert m[0][1] > 0.8 > 0.2 > m[0][2]
    assert "opposite" in notes[(0, 2)]
    assert notes[(0, 1)] == "the same events in both"
    ((m2, _, _),) = pairwise.tem_agreement(LocalJudge(), [["No obvious change.", "No obvious change.", ""]])
    assert m2[0][1] == 1.0 and m2[0][2] == 0.0  # no events either side: the texts decide


def test_medoid_mean_and_majority():
    p = Pairwise([[1, 0.9, 0.2], [0.9, 1, 0.3], [0.2, 0.3, 1]])
    assert medoid(p) == 1 and mean_pairwise(p) == round((0.9 + 0.2 + 0.3) / 3, 4)
    assert medoid(Pairwise([[1.0]])) == 0 and mean_pairwise(Pairwise([[1.0]])) is None
    assert majority([["violent content"], ["violent content", "too few facial changes"], []]) == (
        {"too few facial changes": 1, "violent content": 2}, ["violent content"])
    assert majority([["too few facial changes"], []]) == ({"too few facial changes": 1}, [])  # half is no majority


def _task(anns, draft=None):
    draft = draft or {"attributes": "A man.", "facial_changes": "He smiles.", "summary": ""}
    return {"id": 7, "data": {"fda_id": "c1", "fda_stage": "annotate", "fda_video": "/v.mp4", "video": "/data/x.mp4",
                              **{f"draft_{p}": draft[p] for p in labeling.PARTS}},
            "annotations": [{"id": k, "completed_by": who, "result": labeling.result(parts, drop), "was_cancelled": cancelled,
                             "lead_time": 12, "created_at": f"2026-12-04T10:00:0{k}Z"}
                            for k, (who, parts, drop, cancelled) in enumerate(anns)]}


def test_versions_of_an_export_count_people_not_clicks():
    same = {"attributes": "A man.", "facial_changes": "He  smiles.", "summary": ""}
    t = _task([(1, same, [], False), (2, {**same, "summary": "Un homme sourit [heureux"}, ["violent content"], False),
               (3, same, [], True), (1, {**same, "facial_changes": "He smiles widely."}, [], False)])
    vs, cancelled = versions_of(t, {1: "a@x", 2: "b@x", 3: "c@x"})
    assert [v["annotator"] for v in vs] == ["b@x", "a@x"]  # one per annotator, their last; earliest first
    assert cancelled == [{"annotator": "c@x", "annotation": 2}]
    a = vs[1]
    assert a["facial_changes"] == "He smiles widely." and a["changed"]["facial_changes"] and not a["changed"]["attributes"]
    assert not vs[0]["changed"]["facial_changes"]  # spacing only
    assert not vs[0]["brackets_ok"] and a["brackets_ok"]
    (rec,) = records([t], {1: "a@x", 2: "b@x"}, 3, comparers(), 5)
    assert rec["status"] == "incomplete" and rec["error"] == "2 of 3 versions" and rec["project"] == 5
    assert rec["drop_votes"] == {"violent content": 1} and rec["drop_majority"] == []
    html = versions_html(rec)
    assert "Un homme sourit [heureux" in html and "<script" not in versions_html({**rec, "versions": [
        {**v, "summary": "<script>alert(1)</script>"} for v in rec["versions"]]})


def test_the_reviewers_annotation_keeps_provenance_and_flags_lost_inference_markers():
    task = {"id": 9, "data": {"fda_id": "c1", "fda_stage": "consolidate", "fda_video": "/v.mp4", "annotators": ["a", "b", "c"],
                              "agreement": {"overall": 0.5}, "judge": "local", "medoid_attributes": "A man.",
                              "medoid_facial_changes": "He smiles [happily].", "medoid_summary": "",
                              "inferences": {"facial_changes": 2}},
            "annotations": [{"id": 1, "completed_by": 4, "was_cancelled": False, "lead_time": 90.25,
                             "updated_at": "2026-12-04T11:00:00Z",
                             "result": labeling.result({"attributes": "A man.", "facial_changes": "He smiles.", "summary": "A [man"})}]}
    rec = annotation(task, {4: "rev@x"})
    assert rec["status"] == "ok" and rec["review"]["reviewer"] == "rev@x" and rec["review"]["lead_time"] == 90.2
    assert rec["review"]["edited"] == {"attributes": False, "facial_changes": True, "summary": True}
    assert any(f.startswith("facial_changes: inference markers lost") for f in rec["flags"])
    assert any(f.startswith("summary: unbalanced") for f in rec["flags"])
    assert annotation({**task, "annotations": []}, {}) is None
    assert brackets_balanced("a [b] c") and not brackets_balanced("a ]b[") and not brackets_balanced("[a")


def test_clip_export_is_h264_a_browser_plays_and_respects_the_window(tmp_path):
    av = pytest.importorskip("av")
    from fdacli.core.review.clips import ClipError, ClipWindow, export

    src = Path(__file__).resolve().parent.parent / "fdacli" / "data" / "sample.mp4"
    out = tmp_path / "clip.mp4"
    assert export(ClipWindow(str(src), 1.0, 2.5, ((25, (100.0, 100.0, 200.0, 200.0)),)), out, draw_box=True)
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264" and s.codec_context.pix_fmt == "yuv420p"
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(s)]
    assert 36 <= len(frames) <= 38  # 1.5 s at 25 fps
    assert frames[0][100, 150, 1] > 150 and frames[0][100, 150, 0] < 100  # the box's green edge at frame 25
    assert not export(ClipWindow(str(src)), out)  # there already: not encoded again
    with pytest.raises(ClipError, match="video not found"):
        export(ClipWindow(str(tmp_path / "gone.mp4")), tmp_path / "x.mp4")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    with pytest.raises(ClipError, match="cannot read"):
        export(ClipWindow(str(bad)), tmp_path / "y.mp4")
    assert not list(tmp_path.glob(".*tmp-*"))


def test_screening_suggestions_are_preselected_where_they_are_drop_reasons():
    from fdacli.core.review.inputs import screen_note
    from fdacli.core.review.tasks import annotate_task

    drop, note = screen_note({"id": "c", "status": "ok", "keep": False,
                              "drop_reasons": ["too few facial changes", "static scene"]})
    task = annotate_task({"id": "c", "text": "A man. He smiles."}, "/x.mp4", "/v.mp4", None, drop, note)
    (choice,) = [r for r in task["predictions"][0]["result"] if r["from_name"] == "drop"]
    assert choice["value"]["choices"] == ["too few facial changes"]  # 'static scene' is no annotator's reason ...
    assert "static scene" in task["data"]["timeline"]  # ... but is shown
    assert screen_note({"id": "c", "status": "error", "error": "no tracks"})[1] == "not screened: no tracks"
    assert screen_note({"id": "c", "status": "ok", "keep": True, "drop_reasons": []}) == ([], "kept by every measured criterion")


def test_agreement_with_an_llm_judge_over_http_and_an_export_file(tmp_path):
    """`fda review pull --export` with `--judge openai:MODEL`: the facial changes are compared by a judge at a
    real loopback endpoint answering the supplement's prompts; the key is only read from the environment."""
    import os
    import subprocess
    import sys

    from fake_openai import FakeOpenAI, fec_judge

    a = "She opens her mouth, then blinks and raises her eyebrows."
    b = "Her mouth opens; she blinks and raises her eyebrows."
    c = "She closes her mouth and lowers her eyebrows."
    t = _task([(1, {"attributes": "A woman.", "facial_changes": a, "summary": ""}, [], False),
               (2, {"attributes": "A woman.", "facial_changes": b, "summary": ""}, [], False),
               (3, {"attributes": "A girl.", "facial_changes": c, "summary": ""}, [], False)])
    export = tmp_path / "export.json"
    export.write_text(json.dumps([t]))
    out = tmp_path / "v.jsonl"
    with FakeOpenAI(responder=fec_judge) as srv:
        p = subprocess.run([sys.executable, "-m", "fdacli.cli", "review", "pull", "--export", str(export), "-o", str(out),
                            "--judge", "openai:judge-x", "--base-url", srv.base_url, "--no-cache"],
                           capture_output=True, text=True, env={**os.environ, "COLUMNS": "150"}, timeout=300)
        assert p.returncode == 0, p.stderr
        assert srv.requests  # the judge was asked
    (rec,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert rec["judge"] == "openai:judge-x"
    pairs = {(q["a"], q["b"]): q for q in rec["pairs"]}
    assert pairs[(0, 1)]["facial_changes"] > pairs[(0, 2)]["facial_changes"]
    assert rec["medoid"]["facial_changes"] in (0, 1) and rec["agreement"]["attributes"] < 1.0


def test_a_clip_most_annotators_drop_is_dropped_whatever_their_reasons():
    assert majority([["violent content"], ["too few facial changes"], ["frequent perspective switches"]])[1] == [
        "frequent perspective switches", "too few facial changes", "violent content"]  # all tied: all shown
    assert majority([["violent content"], ["violent content", "too few facial changes"], ["too few facial changes"]])[1] == [
        "too few facial changes", "violent content"]
    assert majority([["violent content"], [], []])[1] == []


def test_exports_of_unexpected_shape_are_read_not_crashed_on():
    from fdacli.core.review.push import merge_tasks
    from fdacli.core.run.records import RecordError
    from fdacli.core.run.contracts import check_versions

    t = _task([(1, {"attributes": "A man.", "facial_changes": "He smiles.", "summary": ""}, [], False)])
    t["annotations"] += [None, {"id": 9, "completed_by": None, "was_cancelled": False, "created_at": "2026-12-04T10:00:09Z",
                                "result": [{"from_name": "facial_changes", "type": "textarea", "value": {"text": "He nods."}},
                                           {"from_name": "summary", "value": "not a dict"}]},
                         {"id": 10, "was_cancelled": False, "created_at": "2026-12-04T10:00:10Z",
                          "result": [{"from_name": "facial_changes", "value": {"text": ["He blinks."]}}]}]
    vs, _ = versions_of(t, {1: "a@x"})
    assert [v["annotator"] for v in vs] == ["a@x", "annotation 9", "annotation 10"]  # no author: each its own version
    assert vs[1]["facial_changes"] == "He nods."  # a text given as a string, not a list
    twice = merge_tasks([[t, {**t, "id": 8, "data": {**t["data"], "fda_id": 5}}, {**t, "id": 9, "data": {**t["data"], "fda_id": "5"}}]])
    assert [str(x["data"]["fda_id"]) for x in twice] == ["c1", "5"]  # 5 and "5" are one clip
    assert len(twice[1]["annotations"]) == 2 * len(t["annotations"])
    (rec,) = records([t], {1: "a@x"}, 3, comparers(), None)
    for bad, words in (({"medoid": {**rec["medoid"], "facial_changes": 7}}, "medoid of facial_changes"),
                       ({"agreement": {**rec["agreement"], "summary": "high"}}, "field 'agreement.summary'"),
                       ({"versions": [{**rec["versions"][0], "drop": None}]}, "field 'versions.0.drop'")):
        with pytest.raises(RecordError, match=words):
            check_versions({**rec, **bad}, "v.jsonl:1:")
    check_versions(rec, "v.jsonl:1:")  # what pull writes, its exports' odd shapes included, is what consolidate reads


def test_the_client_refuses_redirects_bad_addresses_and_names_the_key_variable(tmp_path):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from fdacli.core.review.labelstudio import LabelStudio, ReviewError

    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(self.headers.get("Authorization"))
            if self.path.startswith("/elsewhere"):
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")
            elif self.path.startswith("/api/current-user"):
                self.send_response(302)
                self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/elsewhere")
                self.end_headers()
            else:
                self.send_response(401)
                self.end_headers()

        def log_message(self, *a):
            pass

    srv = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        ls = LabelStudio(f"http://127.0.0.1:{srv.server_port}", "SECRET-KEY-123", key_env="MY_LS_KEY")
        with pytest.raises(ReviewError, match="redirects to") as exc:
            ls.whoami()
        assert "SECRET" not in str(exc.value) and seen == ["Token SECRET-KEY-123"]  # never sent on
        with pytest.raises(ReviewError, match="refused the API key in MY_LS_KEY"):
            ls.users()
    finally:
        srv.shutdown()
    for url in ("http://localhost:abc", "http://[::1", "ftp://x", "localhost:8080"):
        with pytest.raises(ReviewError, match="not an http"):
            LabelStudio(url, "k")
    with pytest.raises(ReviewError, match="set the environment variable MY_LS_KEY"):
        LabelStudio("http://127.0.0.1:1", "", key_env="MY_LS_KEY")
