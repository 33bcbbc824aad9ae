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

The module is split along its seams: errors.py (the errors and their reasons), stats.py (call
statistics), breaker.py (fail-fast and its hints), request.py (the request itself: the wire, deadlines,
retries, the structured-output mode) and parsing.py (tolerant parsing); the names callers import stay
importable from here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from fdacli.core.llm.breaker import Breaker, hint
from fdacli.core.llm.cache import DiskCache, NullCache, cache_key
from fdacli.core.llm.errors import BEARER, AuthError, EndpointFailing, LLMError, ParseError, strip_userinfo
from fdacli.core.llm.parsing import parse_structured
from fdacli.core.llm.request import Reply, RequestMixin
from fdacli.core.llm.stats import CallStats
from fdacli.core.run.runner import StopRun, fan_out

# public names other modules import from here
__all__ = ["ENDPOINT", "AuthError", "CallStats", "EndpointDefaults", "EndpointFailing", "LLMClient", "LLMConfig", "LLMError",
           "ParseError", "parse_structured"]


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
                raise ValueError(f"--base-url must look like http(s)://host[:port]/v1, got {strip_userinfo(self.base_url)!r}")
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


class LLMClient(RequestMixin):
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
        self._breaker = Breaker(max(3, config.concurrency))
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
        return BEARER.sub(r"\1***", text)

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

    def _ask(self, messages: list[dict[str, Any]], purpose: str, limit: int | None, schema: dict[str, Any] | None) -> Reply:
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

    def _failed(self, cause: str, reason: str) -> None:
        """One more call failed for good with ``cause``; stop the run when calls keep failing that way."""
        n = self._breaker.failed(cause)
        if n is None:
            return
        raise self._stop(EndpointFailing(f"{n} calls in a row failed the same way ({reason}); "
                                         f"{hint(cause, self._url(), self.cfg.timeout)}"))

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

