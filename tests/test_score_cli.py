"""`fda score` end to end: the local judge offline, and an LLM judge over real HTTP on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fake_openai import FakeOpenAI, fec_judge as responder

from fdacli.core.text import grammar

DATA = Path(__file__).parent / "data" / "fec_bench_refs_slice.json"
REFS = json.loads(DATA.read_text())


def fda(*args, env=None, check=None):
    p = subprocess.run([sys.executable, "-m", "fdacli.cli", *map(str, args)], capture_output=True, text=True,
                       env={**os.environ, "COLUMNS": "150", **(env or {})}, timeout=600)
    if check is not None:
        assert p.returncode == check, p.stderr[-3000:]
    return p


def write_preds(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def preds(tmp_path):
    refs = REFS[:12]
    oracle = write_preds(tmp_path / "oracle.jsonl", [{"id": r["id"], "caption": r["caption"]} for r in refs])
    shifted = write_preds(tmp_path / "shifted.jsonl",
                          [{"id": r["id"], "caption": refs[(k + 1) % len(refs)]["caption"]} for k, r in enumerate(refs)])
    return oracle, shifted


def test_local_judge_leaderboard_and_report(tmp_path, preds):
    oracle, shifted = preds
    out = tmp_path / "scores.json"
    p = fda("score", oracle, shifted, "--refs", DATA, "-o", out, "--report", tmp_path / "report", check=0)
    assert "TEM" in p.stderr and "AutoDQ" in p.stderr and "need an LLM judge" in p.stderr
    res = json.loads(out.read_text())
    o, s = res["models"]["oracle"], res["models"]["shifted"]
    assert o["summary"]["tem"] == pytest.approx(1.0) and s["summary"]["tem"] < 0.7
    assert o["summary"]["cider"] > s["summary"]["cider"] and o["summary"]["rouge_l"] == pytest.approx(1.0)
    assert o["counts"]["scored"] == 12 and o["counts"]["only_in_references"] == 48
    assert res["lcs_norm"] == "pred" and res["judge"]["judge"] == "local"
    assert all(m["summary"]["tem_ref"] is not None for m in res["models"].values())  # always beside Algorithm 1
    sample = o["samples"][0]
    for key in ("id", "tem", "lcs", "precision", "recall", "f", "autodq", "cider"):
        assert key in sample
    assert "explain" not in sample  # events and pairs only on request: default files stay small
    assert res["judge"]["grammar_version"] == grammar.VERSION and 0 <= o["summary"]["fallback_share"] < 0.2
    assert "correctness" not in o["summary"]  # judge scores need an LLM
    report = (tmp_path / "report" / "report.md").read_text()
    assert "| oracle |" in report and (tmp_path / "report" / "metrics.png").stat().st_size > 1000
    # the worst-agreeing samples, side by side: the shifted model's, with the grammar's structure and reasons
    worst = report.split("## Samples that agree least with their references", 1)[1]
    assert worst.count("### shifted ·") == 3 and "| prediction event | relation | reference event |" in worst
    assert " · " in worst and ("missed" in worst or "no match" in worst)
    lowest = min(s["samples"], key=lambda x: (x["tem"], x["id"]))
    assert f"### shifted · {lowest['id']} · TEM {lowest['tem']:.3f}" in worst
    assert (tmp_path / "report" / "tem_distribution.png").exists()
    # --explain keeps both sides' events with their structure and every related pair with its reason
    fda("score", oracle, "--refs", DATA, "-o", out, "--metrics", "tem", "--explain", "-q", check=0)
    ex = json.loads(out.read_text())["models"]["oracle"]["samples"][0]["explain"]
    assert ex["pred_events"] == ex["ref_events"] and all(len(e) == 2 and " · " in e[1] for e in ex["pred_events"])
    n = len(ex["pred_events"])
    assert {(i, i) for i in range(n)} <= {(i, j) for i, j, rel, _ in ex["pairs"] if rel == "same"}
    assert all(isinstance(why, str) and why for *_, why in ex["pairs"])
    # the other LCS normalisation is explicit and recorded
    fda("score", shifted, "--refs", DATA, "-o", out, "--lcs-norm", "ref", "--metrics", "tem", "-q", check=0)
    assert json.loads(out.read_text())["models"]["shifted"]["summary"]["lcs_norm"] == "ref"


def test_bad_inputs(tmp_path):
    refs = REFS[:5]
    rows = [{"id": r["id"], "caption": r["caption"]} for r in refs[:3]]
    rows += [{"id": "not-in-refs", "caption": "He smiles."}, {"id": refs[0]["id"], "caption": "duplicate"},
             {"id": refs[3]["id"], "caption": ""},
             {"id": refs[4]["id"], "caption": "这个人微笑着，然后皱眉。 " * 2000}]  # non-English and very long
    p = write_preds(tmp_path / "p.jsonl", rows)
    out = tmp_path / "s.json"
    r = fda("score", p, "--refs", DATA, "-o", out, "--metrics", "tem,rouge,cider", check=0)
    c = json.loads(out.read_text())["models"]["p"]["counts"]
    # the empty prediction is scored (as describing nothing), not dropped from the average
    assert c["scored"] == 5 and c["only_in_predictions"] == 1 and c["duplicate_ids_in_predictions"] == 1
    assert c["empty_predictions"] == 1 and c["truncated_predictions"] == 1
    assert "duplicate ids" in r.stderr and "empty predictions" in r.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "caption": "ok"}\n{"id": "2", "caption": 5}\n')
    r = fda("score", bad, "--refs", DATA, "-o", out)
    assert r.returncode == 2 and "bad.jsonl:2" in r.stderr
    bad.write_text('{"id": "1", "caption": "ok"}\n{"id": "2", "capt\n')
    r = fda("score", bad, "--refs", DATA, "-o", out)
    assert r.returncode == 2 and "bad.jsonl:2: not valid JSON" in r.stderr
    r = fda("score", tmp_path / "missing.jsonl", "--refs", DATA, "-o", out)
    assert r.returncode == 2 and "no such file" in r.stderr
    r = fda("score", p, "--refs", DATA, "-o", out, "--judge", "gpt")
    assert r.returncode == 2 and "unknown judge" in r.stderr
    r = fda("score", p, "--refs", DATA, "-o", out, "--judge", "openai:x", "--base-url", "user:sk-abc@host:8000/v1")
    assert r.returncode == 2 and "--base-url must look like" in r.stderr and "sk-abc" not in r.stderr
    r = fda("score", p, "--refs", DATA, "-o", tmp_path / "new" / "dir" / "s.json", "--metrics", "rouge", "-q")
    assert r.returncode == 0 and (tmp_path / "new" / "dir" / "s.json").exists()


# ---------------------------------------------------------------- LLM judge over loopback HTTP
def test_llm_judge_calls_cache_and_failures(tmp_path):
    refs = REFS[:6]
    a = write_preds(tmp_path / "a.jsonl", [{"id": r["id"], "caption": r["caption"]} for r in refs])
    b = write_preds(tmp_path / "b.jsonl", [{"id": r["id"], "caption": refs[(k + 2) % 6]["caption"]} for k, r in enumerate(refs)])
    env = {"FDA_CACHE_DIR": str(tmp_path / "cache"), "JUDGE_KEY": "sk-loopback-secret"}
    out = tmp_path / "s.json"
    with FakeOpenAI(responder=responder) as srv:
        args = ["--refs", DATA, "-o", out, "--judge", "openai:judge-1", "--base-url", srv.base_url,
                "--api-key-env", "JUDGE_KEY", "--metrics", "tem", "-q"]
        fda("score", a, *args, env=env, check=0)
        # events once per distinct caption (the oracle's captions are the references'), relations per pair
        assert len(srv.requests) == 6 + 6
        res = json.loads(out.read_text())
        assert res["models"]["a"]["summary"]["tem"] == pytest.approx(1.0)
        assert res["judge"]["model"] == "judge-1" and res["judge"]["endpoint_host"].startswith("127.0.0.1:")
        assert res["judge"]["temperature"] == 0.0 and "sk-loopback-secret" not in out.read_text()
        n = len(srv.requests)
        fda("score", a, *args, env=env, check=0)
        assert len(srv.requests) == n  # identical rerun: every answer from the cache
        fda("score", b, *args, env=env, check=0)
        assert len(srv.requests) - n <= 2 * 6  # new predictions: at most 2 calls each
        assert json.loads(out.read_text())["models"]["b"]["summary"]["tem"] < 0.8

        # all metrics, with a prediction whose judge calls always fail
        rows = [{"id": r["id"], "caption": r["caption"], "caption2": r["caption"]} for r in refs[:3]]
        rows += [{"id": refs[3]["id"], "caption": "FAILME smiles"}]
        c = write_preds(tmp_path / "c.jsonl", rows)
        args[args.index("tem")] = "tem,autodq,judge,cider,rouge"
        p = fda("score", c, *args[:-1], "--max-retries", "1", env=env)
        assert p.returncode == 1 and "failed" in p.stderr
        m = json.loads(out.read_text())["models"]["c"]
        assert m["counts"]["failed"] == {"tem": 1, "autodq": 1, "judge": 1}
        failed = next(s for s in m["samples"] if s["id"] == refs[3]["id"])
        assert "tem" not in failed and "InternalServerError" in failed["failed"]["tem"]
        assert m["summary"]["tem"] == pytest.approx(1.0)  # averaged over the 3 that were scored, not 0-filled
        assert m["summary"]["correctness"] == 4 and m["summary"]["autodq"] == pytest.approx(1.0)
        assert m["summary"]["consistency"] == 4  # two predictions per clip were given
        assert all(h.get("authorization") == "Bearer sk-loopback-secret" for h in srv.headers)


def test_rejected_key_stops_the_run_and_is_never_echoed(tmp_path):
    a = write_preds(tmp_path / "a.jsonl", [{"id": r["id"], "caption": r["caption"]} for r in REFS[:3]])
    with FakeOpenAI(responder=lambda body: ("status", 401)) as srv:
        srv.echo_auth = True  # a server that repeats the credentials it was sent in its error message
        p = fda("score", a, "--refs", DATA, "-o", tmp_path / "s.json", "--judge", "openai:j", "--base-url", srv.base_url,
                "--api-key-env", "K", "--metrics", "tem", "--concurrency", "1",
                env={"K": "sk-very-secret-42", "FDA_CACHE_DIR": str(tmp_path)})
        assert len(srv.requests) == 1  # stopped at the first refusal, not one refusal per sample
    assert p.returncode == 2 and "refused the credentials" in p.stderr
    assert "sk-very-secret-42" not in p.stderr + p.stdout and not (tmp_path / "s.json").exists()


def test_no_shared_id_is_an_error_with_examples(tmp_path):
    preds = write_preds(tmp_path / "p.jsonl", [{"id": f"clip_{r['id']}", "caption": r["caption"]} for r in REFS[:4]])
    p = fda("score", preds, "--refs", DATA, "-o", tmp_path / "s.json", "--metrics", "cider,rouge")
    assert p.returncode == 2 and "no id of" in p.stderr and "'clip_" in p.stderr and "references have" in p.stderr
    assert not (tmp_path / "s.json").exists()


def test_a_wide_leaderboard_folds_at_80_columns():
    from fdacli.commands import display
    from fdacli.commands.score import _print

    summary = {"correctness": 3.1, "detail": 2.9, "context": 3.5, "temporal": 2.8, "consistency": 3.0, "cider": 0.42,
               "rouge_l": 0.47, "autodq": 0.48, "tem": 0.36}
    counts = {"scored": 10, "failed": {}, "only_in_predictions": 0, "only_in_references": 0, "empty_predictions": 0,
              "duplicate_ids_in_predictions": 0}
    result = {"judge": {"judge": "openai:m", "endpoint_host": "127.0.0.1:9", "temperature": 0.0},
              "models": {n: {"summary": summary, "counts": counts} for n in ("facetrack-mm", "shuffled")}}
    old = display.console.width
    display.console.width = 80
    try:
        with display.console.capture() as cap:
            _print(result, Path("scores.json"))
    finally:
        display.console.width = old
    text = cap.get()
    assert "…" not in text and "facetrack-mm" in text and "Correct." in text and "ROUGE-L" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_the_last_file_is_the_references_as_cp_takes_its_last_argument(tmp_path, preds):
    """`fda score preds.jsonl refs.json`, the first thing a user types: without --refs the last file is the
    references, for one prediction file and for several; the scores are those of --refs."""
    oracle, shifted = preds
    flag, last, two = tmp_path / "flag.json", tmp_path / "last.json", tmp_path / "two.json"
    common = ["--metrics", "tem,rouge", "-q"]
    fda("score", oracle, "--refs", DATA, "-o", flag, *common, check=0)
    fda("score", oracle, DATA, "-o", last, *common, check=0)
    a, b = json.loads(flag.read_text()), json.loads(last.read_text())
    assert b["refs"] == str(DATA) and list(b["models"]) == ["oracle"]
    assert b["models"]["oracle"]["summary"] == a["models"]["oracle"]["summary"]
    fda("score", oracle, shifted, DATA, "-o", two, *common, check=0)
    c = json.loads(two.read_text())
    assert list(c["models"]) == ["oracle", "shifted"] and c["refs"] == str(DATA)
    assert c["models"]["oracle"]["summary"]["tem"] > c["models"]["shifted"]["summary"]["tem"]
    r = fda("score", oracle, "-o", tmp_path / "none.json", check=2)  # one file and no --refs: which are the references?
    assert "give the references" in r.stdout + r.stderr and not (tmp_path / "none.json").exists()
