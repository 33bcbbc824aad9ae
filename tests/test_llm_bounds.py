"""Bounded, structured, fail-fast LLM calls, against a real loopback HTTP server that misbehaves on cue:
token limits and schemas on every judge call, the re-ask of a cut reply, the fallback when an endpoint
refuses ``response_format``, a whole-request deadline against a slow-drip server, and a run that stops
early (with the cause) when calls keep failing the same way."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fake_openai import FakeOpenAI, fec_judge
from fdacli.core.llm import replies
from fdacli.core.llm.cache import DiskCache
from fdacli.core.llm.client import EndpointFailing, LLMClient, LLMConfig, LLMError, parse_structured
from fdacli.core.score.judges.llm import LLMJudge

MSG = [{"role": "user", "content": "Extract events."}]
CAPTIONS = ["The woman frowns, then smiles broadly.", "The man raises his eyebrows and opens his mouth."]


def client(srv, tmp_path, **kw) -> LLMClient:
    cfg = LLMConfig(model="judge-x", base_url=srv.base_url if srv else kw.pop("base_url"), backoff_base=0.01,
                    timeout=kw.pop("timeout", 5.0), **kw)
    return LLMClient(cfg, DiskCache(tmp_path / "cache.sqlite"))


def purpose_of(body: dict) -> str:
    text = body["messages"][0]["content"]
    for key, purpose in (("Below is a description of a video clip", "events"), ("List 1 (Pred Events)", "relations"),
                         ("numbered list of events", "entailment"), ("reformats generated text", "align"),
                         ("Give an integer score", "score")):
        if key in text:
            return purpose
    raise AssertionError(text[:80])


def test_every_judge_call_has_a_token_limit_and_every_structured_one_a_schema(tmp_path):
    with FakeOpenAI(responder=fec_judge) as srv:
        judge = LLMJudge(client(srv, tmp_path))
        events = judge.extract_events(CAPTIONS)
        judge.relations([(events[0], events[1])])
        judge.entailed([(events[0], CAPTIONS[1])])
        judge.scores([(CAPTIONS[0], CAPTIONS[1], None)])
    by_purpose = {}
    for body in srv.requests[0:]:
        by_purpose.setdefault(purpose_of(body), []).append(body)
    assert set(by_purpose) == {"events", "relations", "entailment", "align", "score"}
    assert all(b["max_tokens"] == 384 for b in by_purpose["events"])
    rel = by_purpose["relations"][0]
    n_pred, n_ref = len(events[0]), len(events[1])
    assert rel["max_tokens"] == 64 + n_pred * (24 + 32 * n_ref)
    schema = rel["response_format"]["json_schema"]["schema"]["properties"]["event_pairs"]
    assert schema["minItems"] == schema["maxItems"] == n_pred
    row = schema["items"]["properties"]
    assert row["pred_event"]["enum"] == events[0] and row["gt_events"]["items"]["properties"]["gt_event"]["enum"] == events[1]
    assert row["gt_events"]["items"]["properties"]["relationship"]["enum"] == ["Same Meaning", "Opposite Meaning", "No Relation"]
    ent = by_purpose["entailment"][0]
    assert ent["max_tokens"] == 32 + 8 * n_pred
    assert ent["response_format"]["json_schema"]["schema"]["properties"]["labels"]["maxItems"] == n_pred
    assert by_purpose["align"][0]["max_tokens"] == 64 + len(CAPTIONS[1]) // 2
    assert "response_format" not in by_purpose["align"][0]  # free text: no schema
    assert all(b["max_tokens"] == 48 and b["response_format"]["json_schema"]["strict"] for b in by_purpose["score"])
    assert judge.client.structured_mode == "json_schema" and judge.provenance()["structured_output"] == "json_schema"


def test_the_users_limit_wins_over_the_tasks(tmp_path):
    with FakeOpenAI(responder=fec_judge) as srv:
        LLMJudge(client(srv, tmp_path, max_tokens={"events": 99})).extract_events(CAPTIONS[:1])
    assert srv.requests[0]["max_tokens"] == 99


def test_a_cut_reply_is_asked_once_with_twice_the_room_then_fails_with_the_reason(tmp_path):
    cut = ("ok", '{"events": ["The woman fro', "length")
    with FakeOpenAI([cut, ("ok", '{"events": ["The woman frowns."]}')]) as srv:
        c = client(srv, tmp_path)
        assert c.complete(MSG, purpose="events", prompt_version="v", parse=parse_structured, max_tokens=100) == \
            {"events": ["The woman frowns."]}
        assert [r["max_tokens"] for r in srv.requests] == [100, 200] and c.stats.cut == 1
    with FakeOpenAI(responder=lambda body: cut) as srv:
        c = client(srv, tmp_path)
        with pytest.raises(LLMError, match=r"past its token limit twice \(100, then 200 tokens; events\).*--max-tokens events=N"):
            c.complete(MSG, purpose="events", prompt_version="v1", parse=parse_structured, max_tokens=100)
        assert len(srv.requests) == 2  # never an endless loop
        assert c.cache.get(c._key(MSG, "events", "v1", None)) is None  # a cut reply is never cached


def test_an_endpoint_that_refuses_schemas_is_asked_prompt_only_once_per_run(tmp_path):
    def responder(body):
        if "response_format" in body:
            return ("status", 400, "response_format json_schema is not supported")
        return fec_judge(body)

    with FakeOpenAI(responder=responder) as srv:
        judge = LLMJudge(client(srv, tmp_path, concurrency=1))
        events = judge.extract_events(CAPTIONS + ["The woman narrows her eyes and then smiles."])
        assert all(isinstance(e, list) and e for e in events)
        judge.entailed([(events[0], CAPTIONS[0])])
    refused = [b for b in srv.requests if "response_format" in b]
    assert len(refused) == 1  # learnt once (the refusal names response_format); every later call is prompt-only
    prov = judge.provenance()
    assert prov["structured_output"] == "prompt-only" and "not supported" in prov["structured_output_refused"]


def test_calls_in_flight_when_the_schema_is_refused_are_sent_again_without_it(tmp_path):
    def responder(body):
        if "response_format" in body:
            time.sleep(0.2)  # all four first calls are in flight with the schema when the refusals arrive
            return ("status", 400, "json_schema is not supported")
        return ("ok", '{"score": 3}')

    with FakeOpenAI(responder=responder) as srv:
        c = client(srv, tmp_path, concurrency=4)
        out = c.map(lambda s: c.complete([{"role": "user", "content": s}], purpose="score", prompt_version="v",
                                         schema=replies.score_schema()), list("abcdefgh"))
    assert out == ['{"score": 3}'] * 8 and c.structured_mode == "prompt-only"
    # the rerun finds the prompt-only replies in the cache although the mode is not known yet
    c2 = client(srv, tmp_path, concurrency=4)
    assert c2.complete([{"role": "user", "content": "a"}], purpose="score", prompt_version="v",
                       schema=replies.score_schema()) == '{"score": 3}' and c2.stats.cache_hits == 1


def test_one_refused_schema_without_a_reason_does_not_decide_for_the_run(tmp_path):
    seen = []

    def responder(body):
        seen.append("response_format" in body)
        if "response_format" in body and "oversized" in body["messages"][0]["content"]:
            return ("status", 400, "invalid request")
        return ("ok", '{"score": 2}')

    with FakeOpenAI(responder=responder) as srv:
        c = client(srv, tmp_path, concurrency=1)
        for text in ("oversized", "b", "c"):
            c.complete([{"role": "user", "content": text}], purpose="score", prompt_version="v", schema=replies.score_schema())
    assert seen == [True, False, True, True] and c.structured_mode == "json_schema"


def test_a_bad_request_is_not_taken_for_a_refused_schema(tmp_path):
    with FakeOpenAI(responder=lambda body: ("status", 400, "context length exceeded")) as srv:
        c = client(srv, tmp_path)
        with pytest.raises(LLMError, match="context length exceeded"):
            c.complete(MSG, purpose="events", prompt_version="v", schema=replies.events_schema(10))
        assert c.structured_mode is None and len(srv.requests) == 2  # with the schema, then without


def test_max_completion_tokens_for_endpoints_that_want_it(tmp_path):
    def responder(body):
        if "max_tokens" in body:
            return ("status", 400, "Unsupported parameter: 'max_tokens'. Use 'max_completion_tokens' instead.")
        return ("ok", "fine")

    with FakeOpenAI(responder=responder) as srv:
        c = client(srv, tmp_path)
        assert c.complete(MSG, purpose="align", prompt_version="v", max_tokens=50) == "fine"
        assert c.complete(MSG + MSG, purpose="align", prompt_version="v", max_tokens=50) == "fine"
    assert [("max_tokens" in b, b.get("max_completion_tokens")) for b in srv.requests] == [(True, None), (False, 50), (False, 50)]


def test_timeout_is_a_deadline_for_the_whole_request_even_against_a_slow_drip(tmp_path):
    # one byte every 0.2 s: a reply of ~300 bytes takes a minute, and no single read ever waits 2 s
    with FakeOpenAI(responder=lambda body: ("drip", 0.2, "a slow reply")) as srv:
        c = client(srv, tmp_path, timeout=1.5, max_retries=0)
        t0 = time.monotonic()
        with pytest.raises(LLMError, match=r"no complete reply within the 1.5 s deadline \(--timeout\)"):
            c.complete(MSG, purpose="t", prompt_version="v")
        assert time.monotonic() - t0 < 10


def test_calls_that_all_time_out_stop_the_run_early_with_the_cause(tmp_path):
    with FakeOpenAI(responder=lambda body: ("sleep", 3.0, "late")) as srv:
        c = client(srv, tmp_path, timeout=0.3, max_retries=5, concurrency=2)
        with pytest.raises(EndpointFailing) as err:
            c.map(lambda s: c.complete([{"role": "user", "content": s}], purpose="t", prompt_version="v"),
                  [f"caption {i}" for i in range(20)])
    assert "3 calls in a row failed the same way" in str(err.value) and "raise --timeout" in str(err.value)
    assert len(srv.requests) <= 4 * 6  # each call used its retries; then the run stopped, not 20 calls x 6 attempts


def test_replies_that_never_parse_stop_the_run_with_the_cause(tmp_path):
    with FakeOpenAI(responder=lambda body: ("ok", "I am sorry, as an AI I cannot list events.")) as srv:
        judge = LLMJudge(client(srv, tmp_path, concurrency=1))
        with pytest.raises(EndpointFailing, match="does not answer in the asked format"):
            judge.extract_events([f"The woman frowns {i} times." for i in range(10)])
    assert len(srv.requests) == 3 * 3  # three calls of three tries each


def test_a_blip_is_ridden_out_by_retries_and_never_stops_the_run(tmp_path):
    # a server restarting: 503 for a while, then fine; four calls in flight all see it several times
    script = [("status", 503)] * 10
    with FakeOpenAI(script, responder=lambda body: ("ok", "fine")) as srv:
        c = client(srv, tmp_path, concurrency=4, max_retries=5)
        out = c.map(lambda s: c.complete([{"role": "user", "content": s}], purpose="t", prompt_version="v"),
                    [f"caption {i}" for i in range(12)])
    assert out == ["fine"] * 12 and c.stats.retries == 10


def test_sample_specific_bad_requests_never_stop_the_run(tmp_path):
    with FakeOpenAI(responder=lambda body: ("status", 400, "context length exceeded")) as srv:
        c = client(srv, tmp_path, concurrency=1)
        out = c.map(lambda s: c.complete([{"role": "user", "content": s}], purpose="t", prompt_version="v"),
                    [f"caption {i}" for i in range(10)])
    assert all(isinstance(o, LLMError) and "context length exceeded" in str(o) for o in out)


def test_a_spent_quota_stops_the_run_but_rate_limits_between_answers_do_not(tmp_path):
    quota = ("status", 429, "You exceeded your current quota (insufficient_quota)")
    with FakeOpenAI(responder=lambda body: quota) as srv:
        c = client(srv, tmp_path, concurrency=2)
        with pytest.raises(EndpointFailing, match="insufficient_quota.*check the account's quota"):
            c.map(lambda s: c.complete([{"role": "user", "content": s}], purpose="t", prompt_version="v"), list("abcdefgh"))
    script = [step for _ in range(8) for step in (("status", 429), ("ok", "fine"))]
    with FakeOpenAI(script) as srv:
        c = client(srv, tmp_path, concurrency=1, max_retries=2)
        out = c.map(lambda s: c.complete([{"role": "user", "content": s}], purpose="t", prompt_version="v"), list("abcdefgh"))
    assert out == ["fine"] * 8 and c.stats.retries == 8


def test_one_failing_sample_does_not_stop_the_run(tmp_path):
    def responder(body):
        return ("status", 500) if "FAILME" in body["messages"][0]["content"] else ("ok", "fine")

    with FakeOpenAI(responder=responder) as srv:
        c = client(srv, tmp_path, max_retries=8, concurrency=1)
        out = c.map(lambda s: c.complete([{"role": "user", "content": s}], purpose="t", prompt_version="v"),
                    ["a", "FAILME", "b", "c"])
    assert out[0] == "fine" and isinstance(out[1], LLMError) and out[2:] == ["fine", "fine"]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_nothing_listening_stops_before_the_first_call(tmp_path):
    c = client(None, tmp_path, base_url=f"http://127.0.0.1:{closed_port()}/v1", max_retries=5)
    t0 = time.monotonic()
    with pytest.raises(EndpointFailing, match=r"cannot reach http://127.0.0.1:\d+/v1 \(.*\): start the server, or check --base-url"):
        c.complete(MSG, purpose="t", prompt_version="v")
    assert time.monotonic() - t0 < 10  # not five retries with backoff per call
    t0 = time.monotonic()
    with pytest.raises(EndpointFailing):  # the next call is told at once
        c.complete(MSG + MSG, purpose="t", prompt_version="v")
    assert time.monotonic() - t0 < 0.5


def test_progress_line_counts_calls_in_flight_retries_failures_and_latency(tmp_path):
    with FakeOpenAI([("status", 503), ("ok", "a"), ("ok", "b")]) as srv:
        c = client(srv, tmp_path, concurrency=1)
        c.complete(MSG, purpose="t", prompt_version="v")
        c.complete(MSG + MSG, purpose="t", prompt_version="v")
        c.complete(MSG, purpose="t", prompt_version="v")  # from the cache
    line = c.stats.line()
    assert line.startswith("calls 2 done, 0 in flight, 1 retried, 0 failed, ") and "s/reply" in line and "1 cached" in line
    assert json.dumps(c.stats.as_dict())  # what score files record


# ---------------------------------------------------------------- the commands, as a user meets them
FDA = [sys.executable, "-m", "fdacli.cli"]
REFS = Path(__file__).parent / "data" / "fec_bench_refs_slice.json"


def fda(*args, **env):
    return subprocess.run([*FDA, *map(str, args)], capture_output=True, text=True, timeout=180,
                          env={**os.environ, "COLUMNS": "150", **env})


def preds_and_refs(tmp_path, n=4):
    """n real references, each predicted with the next clip's reference (2n distinct captions)."""
    refs = json.loads(REFS.read_text())[:n]
    (tmp_path / "refs.json").write_text(json.dumps(refs))
    (tmp_path / "p.jsonl").write_text("".join(json.dumps({"id": r["id"], "caption": refs[(k + 1) % n]["caption"] + " Then she blinks."})
                                              + "\n" for k, r in enumerate(refs)))
    return tmp_path / "p.jsonl", tmp_path / "refs.json"


def test_fda_score_against_a_slow_drip_server_stops_in_seconds_saying_why(tmp_path):
    preds, refs = preds_and_refs(tmp_path)
    with FakeOpenAI(responder=lambda body: ("drip", 0.5, "{}")) as srv:
        t0 = time.monotonic()
        p = fda("score", preds, "-r", refs, "-o", tmp_path / "s.json", "--judge", "openai:j", "--base-url", srv.base_url,
                "--timeout", "2", "--max-retries", "0", "--metrics", "tem", "--no-cache")
        took = time.monotonic() - t0
    err = " ".join(p.stderr.split())
    assert p.returncode == 2 and "stopped:" in err and "2 s deadline (--timeout)" in err, err
    assert "Traceback" not in p.stderr and not (tmp_path / "s.json").exists()
    assert took < 60  # before: --timeout 3 --max-retries 0 never returned


def test_fda_preannotate_with_nothing_listening_stops_before_any_clip(tmp_path):
    tracks = tmp_path / "tracks.jsonl"
    sample = Path(__file__).parents[1] / "fdacli" / "data" / "sample.mp4"
    tracks.write_text("".join(json.dumps({"id": i, "video": str(sample), "status": "ok", "key_frames": [0, 4]}) + "\n"
                              for i in "abc"))
    p = fda("preannotate", tracks, "-o", tmp_path / "pre.jsonl", "--base-url", f"http://127.0.0.1:{closed_port()}/v1")
    err = " ".join(p.stderr.split())
    assert p.returncode == 2 and "cannot reach http://127.0.0.1:" in err and "start the server, or check --base-url" in err, err
    assert "0 clip(s) written before; rerun to resume" in err


SECRET = "sk-SECRET-1234567890"


@pytest.mark.parametrize("fault", ["echoing 500", "echoing 400", "unparseable 200", "cut 200"])
def test_the_key_is_in_no_output_cache_or_log_whatever_the_endpoint_echoes(tmp_path, fault):
    preds, refs = preds_and_refs(tmp_path, 3)
    bearer = f"authorization: Bearer {SECRET}"

    def responder(body):
        if fault == "unparseable 200":
            return ("ok", f"{'x' * 250} {bearer}; not JSON")
        if fault == "cut 200":
            return ("ok", f"{{'events': ['{bearer}", "length")
        return ("status", 500 if fault == "echoing 500" else 400)

    with FakeOpenAI(responder=responder) as srv:
        srv.echo_auth = True  # error bodies repeat the request's authorization header, 200 characters in
        p = fda("score", preds, "-r", refs, "-o", tmp_path / "s.json", "--judge", "openai:j", "--base-url", srv.base_url,
                "--api-key-env", "K", "--max-retries", "1", "--metrics", "tem,judge", "--cache-dir", tmp_path / "cache",
                "--report", tmp_path / "report", K=SECRET)
    assert p.returncode in (1, 2), p.stderr
    assert all(h.get("authorization") == f"Bearer {SECRET}" for h in srv.headers)  # it was sent...
    leaks = [str(f) for f in tmp_path.rglob("*") if f.is_file() and b"SECRET-12" in f.read_bytes()]
    # ...and is nowhere else, not even a piece of it left by cutting a message before masking it
    assert not leaks and "SECRET-12" not in p.stderr + p.stdout
