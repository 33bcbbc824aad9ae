"""One client for every OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp, SGLang, ...).

What every command that talks to an LLM needs, in one place:
- the key read from an environment variable, and one scrubber every text leaving the client passes
  through (errors, replies, cache entries), so the key is never logged, cached or written;
- a disk cache keyed by what determines the answer;
- bounded replies: a token budget per task (core/llm/replies.py), a reply cut at it asked once more with
  twice the room, then failed with the reason;
- structured replies: a call's JSON schema sent as ``response_format``; an endpoint that refuses it is
  asked prompt-only for the rest of the run, and the mode is part of the provenance;
- a deadline for each whole request (core/llm/deadline.py), retries with exponential backoff and
  jitter on 429 / 5xx / timeouts / dropped connections (honouring Retry-After), a bounded re-ask when a
  reply cannot be parsed;
- fail-fast: nothing listening stops the run before its first call, and failures in a row with one
  cause across several calls stop it with the cause and what to try, instead of retrying for hours.
A call that still fails raises ``LLMError`` with a one-line reason; callers record it per sample instead
of guessing a score.
"""

from __future__ import annotations

import ast
import json
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from fdacli.core.llm.cache import DiskCache, NullCache, cache_key
from fdacli.core.run.runner import StopRun, fan_out


class LLMError(RuntimeError):
    """A call that failed after its retries; the message is safe to record (no secrets).  ``cause`` names
    the kind of failure for fail-fast (None: one this sample alone could cause, e.g. a 400)."""

    def __init__(self, message: str, cause: str | None = None) -> None:
        super().__init__(message)
        self.cause = cause


class ParseError(ValueError):
    """A reply that is not the structure asked for."""


class AuthError(LLMError, StopRun):
    """The endpoint refused the credentials (401/403): every call would fail, so the run stops."""


class EndpointFailing(LLMError, StopRun):
    """Calls keep failing the same way (nothing answers, every request times out, no reply parses):
    the run stops early with the cause and what to try, instead of retrying for hours."""


@dataclass(frozen=True)
class EndpointDefaults:
    """The defaults every LLM-calling command shares (fdacli/commands/endpoint.py shows them as options).

    One deadline for every purpose: 120 s covers a vision request with 8 grid images to a local server on
    CPU, and an unanswered text request costs no more than that before its retry."""

    api_key_env: str = "OPENAI_API_KEY"
    timeout: float = 120.0
    max_retries: int = 5
    concurrency: int = 4


ENDPOINT = EndpointDefaults()


@dataclass
class LLMConfig:
    model: str
    base_url: str | None = None
    api_key_env: str = ENDPOINT.api_key_env
    temperature: float = 0.0
    # token limits by task, replacing core/llm/replies.py's budgets; "*" for every task; an int means "*"
    max_tokens: dict[str, int] | int | None = None
    timeout: float = ENDPOINT.timeout  # a deadline for each whole request (core/llm/deadline.py)
    max_retries: int = ENDPOINT.max_retries
    parse_retries: int = 2
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    concurrency: int = ENDPOINT.concurrency
    structured: bool = True  # send a call's JSON schema as response_format (falls back by itself if refused)

    def __post_init__(self) -> None:
        if self.base_url is not None:
            u = urlparse(self.base_url)
            if u.scheme not in ("http", "https") or not u.hostname:
                raise ValueError(f"--base-url must look like http(s)://host[:port]/v1, got {_strip_userinfo(self.base_url)!r}")
            if u.username or u.password:
                raise ValueError("--base-url must not carry credentials; put the key in the environment variable instead")
        if isinstance(self.max_tokens, int):
            self.max_tokens = {"*": self.max_tokens}
        self.max_tokens = dict(self.max_tokens or {})
        if any(v < 1 for v in self.max_tokens.values()):
            raise ValueError("token limits must be at least 1")

    def limit(self, purpose: str, default: int | None) -> int | None:
        """The first token budget of a ``purpose`` call: the user's, else the task's."""
        return self.max_tokens.get(purpose, self.max_tokens.get("*", default))

    @property
    def host(self) -> str:
        """The endpoint's host[:port], for provenance (never a path or credentials)."""
        if not self.base_url:
            return "api.openai.com"
        u = urlparse(self.base_url)
        return (u.hostname or "") + (f":{u.port}" if u.port else "")

    @property
    def endpoint(self) -> str:
        """host[:port]/path, for cache keys: two servers on one host are two judges."""
        if not self.base_url:
            return "api.openai.com/v1"
        u = urlparse(self.base_url)
        return self.host + u.path.rstrip("/")


_STAT_KEYS = ("calls", "done", "requests", "cache_hits", "retries", "cut", "failures", "prompt_tokens", "completion_tokens")


@dataclass
class CallStats:
    """What the client did, for progress lines and score files.  A call is one question (its re-asks and
    retries included); a request is one HTTP request."""

    calls: int = 0  # calls that went to the endpoint (not answered from the cache)
    done: int = 0  # of those, answered
    requests: int = 0  # HTTP requests sent, retries and re-asks included
    cache_hits: int = 0
    retries: int = 0  # requests sent again after a transient failure
    cut: int = 0  # replies cut at their token limit and asked again with more room
    failures: int = 0  # calls that failed for good
    prompt_tokens: int = 0
    completion_tokens: int = 0
    in_flight: int = 0
    replies: int = 0  # requests answered (2xx)
    reply_seconds: float = 0.0  # summed over answered requests
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **kw: float) -> None:
        with self._lock:
            for k, v in kw.items():
                setattr(self, k, getattr(self, k) + v)

    def mean_latency(self) -> float | None:
        return self.reply_seconds / self.replies if self.replies else None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in _STAT_KEYS}
        mean = self.mean_latency()
        out["mean_reply_seconds"] = round(mean, 3) if mean is not None else None
        return out

    def line(self) -> str:
        """The live status of a progress bar: calls done, in flight, retried, failed, latency."""
        mean = self.mean_latency()
        parts = [f"calls {self.done} done", f"{self.in_flight} in flight", f"{self.retries} retried", f"{self.failures} failed"]
        if mean is not None:
            parts.append(f"{mean:.1f} s/reply")
        if self.cache_hits:
            parts.append(f"{self.cache_hits} cached")
        return ", ".join(parts)


@dataclass
class _Reply:
    text: str
    usage: dict[str, Any]
    finish: str | None
    schema: dict[str, Any] | None  # the schema the endpoint was held to, if any


class _Breaker:
    """Counts calls in a row that failed for good — after their own retries — for one kind of cause; a call
    that succeeds resets it.  Retries ride out a blip (a restart, a burst of 429s); the breaker only answers
    what retries cannot: the same failure call after call."""

    # a dying server shows timeouts, refused connections and 5xx in turn: one kind
    KINDS = {"timeout": "server", "connection": "server", "HTTP 5xx": "server"}

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self._lock = threading.Lock()
        self.kind: str | None = None
        self.count = 0

    def ok(self) -> None:
        with self._lock:
            self.kind, self.count = None, 0

    def failed(self, cause: str) -> int | None:
        """The streak's length when it should stop the run, else None."""
        kind = self.KINDS.get(cause, cause)
        with self._lock:
            if kind != self.kind:
                self.kind, self.count = kind, 0
            self.count += 1
            return self.count if self.count >= self.threshold else None


class LLMClient:
    def __init__(self, config: LLMConfig, cache: DiskCache | NullCache | None = None) -> None:
        self.cfg = config
        self.cache = cache or NullCache()
        self.stats = CallStats()
        self.on_item: Callable[[], None] | None = None  # progress hook: called as each map() item finishes
        self.served_model: str | None = None  # what the endpoint says answered (model version)
        self.system_fingerprint: str | None = None
        # "json_schema" once a schema'd request was answered, "prompt-only" once the endpoint refused one
        self.structured_mode: str | None = None if config.structured else "off"
        self.structured_note: str | None = None
        self._tokens_param = "max_tokens"
        self._client = None
        self._open_lock = threading.Lock()
        self._unreachable: EndpointFailing | None = None
        self._secret: str | None = None
        # more calls in a row than one round of concurrent calls holds: one bad sample never stops a run
        self._breaker = _Breaker(max(3, config.concurrency))
        self._mode_lock = threading.Lock()
        self._halt = threading.Event()  # set when the run is stopped: calls in flight send nothing more
        self._halted: StopRun | None = None
        self._refused_calls = 0  # calls whose schema was refused and that then worked without it

    # ------------------------------------------------------------------ secrets
    def scrub(self, text: str) -> str:
        """The one scrubber every text leaving the client passes through (error messages, replies that are
        stored or cached, parse errors quoting a reply): the key and any bearer token are masked first,
        before anything is cut to length."""
        if self._secret and len(self._secret) >= 4:
            text = text.replace(self._secret, "***")
        return _BEARER.sub(r"\1***", text)

    def _openai(self):
        with self._open_lock:
            if self._unreachable is not None:
                raise self._unreachable  # found by the first call's preflight: no call probes again
            if self._client is None:
                import openai

                from fdacli.core.llm import deadline

                key = os.environ.get(self.cfg.api_key_env)
                if not key:
                    if not self.cfg.base_url:
                        raise AuthError(f"no API key: set the environment variable {self.cfg.api_key_env}")
                    key = "not-needed"  # local servers (vLLM, Ollama, llama.cpp) usually take any key
                self._secret = key if key != "not-needed" else None
                http = openai.DefaultHttpxClient(timeout=self.cfg.timeout)
                deadline.install(http)
                client = openai.OpenAI(api_key=key, base_url=self.cfg.base_url, timeout=self.cfg.timeout, max_retries=0,
                                       http_client=http)
                try:
                    self._preflight(client)
                except BaseException:
                    client.close()
                    raise
                self._client = client
        return self._client

    def _preflight(self, client: Any) -> None:
        """Before the first request: is anything listening?  A refused connection would otherwise be retried
        with backoff for every call.  Any HTTP answer will do (404: not every server lists models; 401: a
        key may be scoped to chat completions; the first call decides about credentials)."""
        import openai

        from fdacli.core.llm.deadline import deadline

        for attempt in range(3):
            try:
                with deadline(min(self.cfg.timeout, 10.0)):
                    client.models.list()
                return
            except openai.APITimeoutError:
                return  # something is there, only slow: the calls' own deadline and retries decide
            except openai.APIConnectionError as exc:
                if attempt == 2:
                    self._unreachable = EndpointFailing(f"cannot reach {self._url()} ({_reason(exc, self.scrub)}): start the "
                                                        "server, or check --base-url")
                    raise self._unreachable from None
                time.sleep(1.0)
            except openai.OpenAIError:
                return  # any HTTP answer: something listens (a key scoped to chat may not list models)

    def _url(self) -> str:
        return _strip_userinfo(self.cfg.base_url) if self.cfg.base_url else "https://api.openai.com/v1"

    # ------------------------------------------------------------------ calls
    def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        purpose: str,
        prompt_version: str,
        parse: Callable[[str], Any] | None = None,
        max_tokens: int | None = None,
        schema: dict[str, Any] | None = None,
    ) -> Any:
        """One chat completion, cached; returns ``parse(text)`` (or the text).

        ``max_tokens`` is the task's budget (the user's ``--max-tokens`` wins); ``schema`` a
        ``{"name", "schema"}`` JSON schema the reply must follow (core/llm/replies.py).  Only replies that
        parse are cached, so a malformed reply is asked again on the next run too.
        """
        return self.complete_with_usage(messages, purpose=purpose, prompt_version=prompt_version, parse=parse,
                                        max_tokens=max_tokens, schema=schema)[0]

    def complete_with_usage(
        self,
        messages: list[dict[str, Any]],
        *,
        purpose: str,
        prompt_version: str,
        parse: Callable[[str], Any] | None = None,
        max_tokens: int | None = None,
        schema: dict[str, Any] | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """``complete``, plus this call's token usage (``{"cached": true}`` when answered from the cache)."""
        if not self.cfg.structured:
            schema = None
        # a reply asked with the schema, or prompt-only by an earlier run against an endpoint that refused it
        schemas = [schema, None] if schema is not None and self.structured_mode != "prompt-only" else [None]
        for cached in (self.cache.get(self._key(messages, purpose, prompt_version, sc)) for sc in schemas):
            if cached is None:
                continue
            try:
                value = parse(cached) if parse else cached
                self.stats.add(cache_hits=1)
                return value, {"cached": True}
            except ParseError:
                pass  # cached under an older parser: ask again
        self.stats.add(calls=1)
        limit = self.cfg.limit(purpose, max_tokens)
        last: Exception | None = None
        try:
            for _ in range(self.cfg.parse_retries + 1):
                reply = self._ask(messages, purpose, limit, schema)
                try:
                    if not reply.text.strip():
                        raise ParseError("empty reply")
                    value = parse(reply.text) if parse else reply.text
                except ParseError as exc:
                    last = exc
                    continue
                self._breaker.ok()
                self.cache.put(self._key(messages, purpose, prompt_version, reply.schema), reply.text)
                self.stats.add(done=1)
                return value, reply.usage
            raise LLMError(self.scrub(f"unparseable reply after {self.cfg.parse_retries + 1} tries: {last}"), "unparseable")
        except LLMError as exc:
            self.stats.add(failures=1)
            if exc.cause is not None and not isinstance(exc, StopRun):
                self._failed(exc.cause, str(exc))
            raise

    def _key(self, messages: list[dict[str, Any]], purpose: str, prompt_version: str, schema: dict[str, Any] | None) -> str:
        # the token limit is not part of the key: a reply that ended by itself is the same under any limit
        return cache_key(purpose=purpose, prompt_version=prompt_version, model=self.cfg.model, endpoint=self.cfg.endpoint,
                         temperature=self.cfg.temperature, messages=messages, schema=schema)

    def _ask(self, messages: list[dict[str, Any]], purpose: str, limit: int | None, schema: dict[str, Any] | None) -> _Reply:
        """One answer within the token budget: a reply cut at its limit is asked once more with twice the
        room; cut again, the call fails with the reason (never an endless loop)."""
        reply = self._send(messages, limit, schema)
        if reply.finish != "length":
            return reply
        if limit is None:
            raise LLMError(f"the reply filled the model's context ({purpose}); set a token limit with --max-tokens", "cut")
        self.stats.add(cut=1)
        reply = self._send(messages, 2 * limit, schema)
        if reply.finish != "length":
            return reply
        raise LLMError(f"the reply ran past its token limit twice ({limit}, then {2 * limit} tokens; {purpose}): "
                       f"raise --max-tokens {purpose}=N", "cut")

    def _send(self, messages: list[dict[str, Any]], limit: int | None, schema: dict[str, Any] | None) -> _Reply:
        """One request, sent again on 429 / 5xx / timeouts / dropped connections with exponential backoff
        and jitter (honouring Retry-After).  A schema'd request refused with 400/422 is sent again without
        the schema; a refusal of the credentials stops the run."""
        import openai

        attempt = 0
        refused: str | None = None  # why the endpoint refused this request's schema
        while True:
            if self._halted is not None:
                raise self._halted  # another call stopped the run: this one sends nothing more
            use = schema if schema is not None and refused is None and self.structured_mode != "prompt-only" else None
            try:
                reply = self._post(messages, limit, use)
            except openai.APIStatusError as exc:
                code, reason = exc.status_code, _reason(exc, self.scrub)
                if code in (400, 422) and self._tokens_param == "max_tokens" and "max_completion_tokens" in reason:
                    self._tokens_param = "max_completion_tokens"  # OpenAI's reasoning models
                    continue
                if code in (400, 422) and use is not None:
                    refused = reason  # was it the schema?  Ask once without it
                    continue
                if code in (401, 403):
                    raise self._stop(AuthError(f"{self.cfg.host} refused the credentials from ${self.cfg.api_key_env} "
                                               f"({reason})")) from None
                if code not in (408, 409, 429) and code < 500:
                    # 404: a wrong URL or model, for every call; 400/422: often this sample's own (too long)
                    raise LLMError(refused or reason, "HTTP 404" if code == 404 else None) from None
                cause, retry_after = ("rate limit" if code == 429 else "HTTP 5xx" if code >= 500 else f"HTTP {code}"), _retry_after(exc)
            except openai.APITimeoutError:
                cause, reason, retry_after = "timeout", f"no complete reply within the {self.cfg.timeout:g} s deadline (--timeout)", None
            except openai.APIConnectionError as exc:
                cause, reason, retry_after = "connection", _reason(exc, self.scrub), None
            except openai.OpenAIError as exc:
                raise LLMError(_reason(exc, self.scrub), "error") from None
            else:
                self._learn(use is not None, refused)
                return reply
            attempt += 1
            if attempt > self.cfg.max_retries:
                raise LLMError(f"{reason} (gave up after {attempt} attempts)", cause)
            self.stats.add(retries=1)
            delay = retry_after if retry_after is not None else min(self.cfg.backoff_max, self.cfg.backoff_base * 2 ** (attempt - 1))
            self._halt.wait(delay * (0.5 + random.random() / 2) if retry_after is None else delay)

    def _learn(self, schema_used: bool, refused: str | None) -> None:
        """The structured-output mode, from a request that was answered: with its schema, or only once the
        schema was dropped.  The run goes prompt-only when the refusal names the schema, or when a second
        call's schema is refused too (one oversized schema alone does not decide for the run)."""
        with self._mode_lock:
            if self.structured_mode is not None:
                return
            if schema_used:
                self.structured_mode = "json_schema"
            elif refused is not None:
                self._refused_calls += 1
                if self._refused_calls >= 2 or _SCHEMA_WORDS.search(refused):
                    self.structured_mode, self.structured_note = "prompt-only", refused

    def _post(self, messages: list[dict[str, Any]], limit: int | None, schema: dict[str, Any] | None) -> _Reply:
        """One HTTP request under the whole-request deadline."""
        from fdacli.core.llm.deadline import deadline

        kwargs: dict[str, Any] = {"model": self.cfg.model, "messages": messages, "temperature": self.cfg.temperature}
        if limit:
            kwargs[self._tokens_param] = limit
        if schema is not None:
            kwargs["response_format"] = {"type": "json_schema", "json_schema": {**schema, "strict": True}}
        client = self._openai()
        self.stats.add(requests=1, in_flight=1)
        t0 = time.monotonic()
        try:
            with deadline(self.cfg.timeout):
                resp = client.chat.completions.create(**kwargs)
        finally:
            self.stats.add(in_flight=-1)
        self.stats.add(replies=1, reply_seconds=time.monotonic() - t0)
        u = getattr(resp, "usage", None)
        usage = {"prompt_tokens": (u.prompt_tokens or 0) if u else None, "completion_tokens": (u.completion_tokens or 0) if u else None}
        self.stats.add(prompt_tokens=usage["prompt_tokens"] or 0, completion_tokens=usage["completion_tokens"] or 0)
        if not resp.choices:
            raise LLMError("the endpoint returned no choices", "error")
        self.served_model = getattr(resp, "model", None) or self.served_model
        self.system_fingerprint = getattr(resp, "system_fingerprint", None) or self.system_fingerprint
        choice = resp.choices[0]
        return _Reply(self.scrub(choice.message.content or ""), usage, getattr(choice, "finish_reason", None), schema)

    def _failed(self, cause: str, reason: str) -> None:
        """One more call failed for good with ``cause``; stop the run when calls keep failing that way."""
        n = self._breaker.failed(cause)
        if n is None:
            return
        kind = cause if cause in _HINTS else "status"
        hint = _HINTS[kind].format(url=self._url(), timeout=self.cfg.timeout, cause=cause)
        raise self._stop(EndpointFailing(f"{n} calls in a row failed the same way ({reason}); {hint}"))

    def _stop(self, exc: StopRun) -> StopRun:
        """Stop the run: the first reason is kept, and calls waiting to retry wake up and end."""
        with self._mode_lock:
            if self._halted is None:
                self._halted = exc
        self._halt.set()
        return self._halted

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        """``fn`` over items with bounded concurrency, in order; a failed call's exception is returned in
        place of its result.  A ``StopRun`` (credentials refused, an endpoint failing every call) stops
        every call (runner.fan_out)."""
        items = list(items)

        def safe(x: Any) -> Any:
            try:
                return fn(x)
            except StopRun:
                raise  # every other call would fail the same way: send no more
            except (LLMError, ParseError) as exc:
                return exc
            finally:
                if self.on_item is not None:
                    self.on_item()

        out: list[Any] = [None] * len(items)
        for i, result in fan_out(items, safe, self.cfg.concurrency):
            out[i] = result
        return out

    def provenance(self) -> dict[str, Any]:
        """What produced the answers — never the key."""
        out = {"model": self.cfg.model, "served_model": self.served_model, "system_fingerprint": self.system_fingerprint,
               "endpoint_host": self.cfg.host, "temperature": self.cfg.temperature,
               "structured_output": self.structured_mode, "max_tokens": dict(self.cfg.max_tokens) or None}
        if self.structured_note:
            out["structured_output_refused"] = self.structured_note
        return out

    def close(self) -> None:
        self.cache.close()
        if self._client is not None:
            self._client.close()


_HINTS = {
    "timeout": "the server needs more than --timeout {timeout:g} s for a request: raise --timeout, lower --concurrency, "
               "or lower --max-tokens",
    "HTTP 5xx": "the server keeps failing (HTTP 5xx): look at its log; a text-only model cannot read images",
    "HTTP 404": "the endpoint does not know this URL or model: check --base-url (it usually ends in /v1) and the model "
                "name",
    "connection": "nothing answers at {url}: start the server, or check --base-url",
    "unparseable": "the model does not answer in the asked format: use a stronger model, or an endpoint that supports "
                   "JSON-schema output (response_format)",
    "cut": "the model's replies run on past their limit: raise --max-tokens, or use a stronger model",
    "rate limit": "the endpoint keeps refusing with HTTP 429 (rate limit or spent quota): lower --concurrency, or "
                  "check the account's quota",
    "status": "the endpoint keeps failing ({cause}): check --base-url, the model name, and the server's log",
}
_SCHEMA_WORDS = re.compile(r"response_format|json_schema|schema|grammar|structured", re.I)
_BEARER = re.compile(r"(\bbearer\s+)[^\s'\";,]+", re.I)


def _strip_userinfo(url: str) -> str:
    return re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)?[^/@]*@", r"\1***@", url)


def _reason(exc: Exception, scrub: Callable[[str], str]) -> str:
    """One line for an error: scrubbed whole, then cut (cutting first could leave part of a key)."""
    code = getattr(exc, "status_code", None)
    name = type(exc).__name__
    msg = " ".join(scrub(str(getattr(exc, "message", "") or exc)).split())[:200]
    return f"{name}{f' {code}' if code else ''}: {msg}" if msg else name


def _retry_after(exc: Exception) -> float | None:
    resp = getattr(exc, "response", None)
    try:
        value = resp.headers.get("retry-after") if resp is not None else None
        return min(60.0, float(value)) if value else None
    except (TypeError, ValueError):
        return None


# ------------------------------------------------------------------ tolerant parsing
_FENCE = re.compile(r"```(?:json|python|py)?\s*(.*?)```", re.S | re.I)


def parse_structured(text: str) -> Any:
    """A dict/list from a reply that may be JSON, a Python literal, fenced, or slightly broken."""
    t = text.strip()
    m = _FENCE.search(t)
    if m:
        t = m.group(1).strip()
    start = min((i for i in (t.find("{"), t.find("[")) if i >= 0), default=-1)
    if start < 0:
        raise ParseError(f"no JSON object in reply: {t[:80]!r}")
    t = t[start:]
    for loader in (json.loads, ast.literal_eval):
        try:
            return loader(t)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            pass
    end = max(t.rfind("}"), t.rfind("]"))
    if end > 0:
        for loader in (json.loads, ast.literal_eval):
            try:
                return loader(t[: end + 1])
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                pass
    try:
        import json_repair

        value = json_repair.loads(t)
    except Exception as exc:  # json_repair raises assorted errors on hopeless input
        raise ParseError(f"cannot repair reply: {exc}") from None
    if value in ("", None, [], {}):
        raise ParseError(f"cannot parse reply: {t[:80]!r}")
    return value
