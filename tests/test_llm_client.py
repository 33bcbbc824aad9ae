"""The shared LLM client against a real loopback HTTP server."""

import pytest

from fake_openai import FakeOpenAI
from fdacli.core.llm.cache import DiskCache
from fdacli.core.llm.client import LLMClient, LLMConfig, LLMError, ParseError, parse_structured

MSG = [{"role": "user", "content": "Extract events."}]


def client(server, tmp_path, **kw):
    cfg = LLMConfig(model="judge-x", base_url=server.base_url, backoff_base=0.01, timeout=kw.pop("timeout", 5.0), **kw)
    return LLMClient(cfg, DiskCache(tmp_path / "cache.sqlite"))


def test_good_reply_is_cached(tmp_path):
    with FakeOpenAI([("ok", '{"events": ["Eyes open"]}')]) as srv:
        c = client(srv, tmp_path)
        assert c.complete(MSG, purpose="t", prompt_version="v1", parse=parse_structured) == {"events": ["Eyes open"]}
        assert c.complete(MSG, purpose="t", prompt_version="v1", parse=parse_structured) == {"events": ["Eyes open"]}
        assert len(srv.requests) == 1 and c.stats.cache_hits == 1
        assert srv.requests[0]["temperature"] == 0.0 and srv.requests[0]["model"] == "judge-x"
        # another prompt version is another question
        srv.script.append(("ok", '{"events": []}'))
        c.complete(MSG, purpose="t", prompt_version="v2", parse=parse_structured)
        assert len(srv.requests) == 2


def test_malformed_then_good_is_asked_again(tmp_path):
    with FakeOpenAI([("ok", "Sorry, I cannot"), ("ok", "{'events': ['Mouth opens']}")]) as srv:
        c = client(srv, tmp_path)
        assert c.complete(MSG, purpose="t", prompt_version="v1", parse=parse_structured) == {"events": ["Mouth opens"]}
        assert len(srv.requests) == 2


def test_rate_limit_and_server_errors_are_retried(tmp_path):
    with FakeOpenAI([("status", 429), ("status", 503), ("ok", "fine")]) as srv:
        c = client(srv, tmp_path)
        assert c.complete(MSG, purpose="t", prompt_version="v1") == "fine"
        assert len(srv.requests) == 3 and c.stats.retries == 2


def test_timeout_is_retried(tmp_path):
    with FakeOpenAI([("sleep", 2.0, "late"), ("ok", "on time")]) as srv:
        c = client(srv, tmp_path, timeout=0.5)
        assert c.complete(MSG, purpose="t", prompt_version="v1") == "on time"


def test_always_failing_raises_with_a_reason_and_caches_nothing(tmp_path):
    with FakeOpenAI(responder=lambda body: ("status", 500)) as srv:
        c = client(srv, tmp_path, max_retries=2)
        with pytest.raises(LLMError, match="InternalServerError 500.*gave up after 3 attempts"):
            c.complete(MSG, purpose="t", prompt_version="v1")
        assert len(srv.requests) == 3 and c.stats.failures == 1
    with FakeOpenAI(responder=lambda body: ("ok", "no structure here")) as srv:
        c = client(srv, tmp_path, parse_retries=1)
        with pytest.raises(LLMError, match="unparseable reply after 2 tries"):
            c.complete(MSG, purpose="t", prompt_version="v1", parse=parse_structured)


def test_client_errors_are_not_retried(tmp_path):
    with FakeOpenAI([("status", 401)]) as srv:
        c = client(srv, tmp_path)
        with pytest.raises(LLMError, match="401"):
            c.complete(MSG, purpose="t", prompt_version="v1")
        assert len(srv.requests) == 1


def test_key_comes_from_the_environment_and_is_never_stored(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_JUDGE_KEY", "sk-test-secret-123")
    with FakeOpenAI([("ok", "x")]) as srv:
        c = client(srv, tmp_path, api_key_env="MY_JUDGE_KEY")
        c.complete(MSG, purpose="t", prompt_version="v1")
        assert srv.headers[0].get("authorization") == "Bearer sk-test-secret-123"
        assert "sk-test-secret-123" not in str(c.provenance())
    c.cache.close()
    assert b"sk-test-secret-123" not in (tmp_path / "cache.sqlite").read_bytes()


def test_missing_key_for_openai_itself_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    c = LLMClient(LLMConfig(model="gpt-4o"))
    with pytest.raises(LLMError, match="set the environment variable OPENAI_API_KEY"):
        c.complete(MSG, purpose="t", prompt_version="v1")


def test_map_runs_concurrently_and_returns_failures_in_place(tmp_path):
    def responder(body):
        text = body["messages"][0]["content"]
        return ("status", 400) if "bad" in text else ("ok", text.upper())

    with FakeOpenAI(responder=responder) as srv:
        c = client(srv, tmp_path, concurrency=4)
        out = c.map(lambda s: c.complete([{"role": "user", "content": s}], purpose="t", prompt_version="v1"), ["a", "bad", "c"])
        assert out[0] == "A" and isinstance(out[1], LLMError) and out[2] == "C"


@pytest.mark.parametrize("text,expected", [
    ('{"a": 1}', {"a": 1}),
    ("{'events': ['x', 'y']}", {"events": ["x", "y"]}),
    ('```json\n{"a": [1, 2,]}\n```', {"a": [1, 2]}),
    ('Sure! Here it is: {"a": "b"} Hope this helps.', {"a": "b"}),
])
def test_parse_structured(text, expected):
    assert parse_structured(text) == expected


def test_parse_structured_refuses_prose():
    with pytest.raises(ParseError):
        parse_structured("I am unable to do that.")
