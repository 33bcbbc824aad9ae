"""One client for every OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp, ...).

What every command that talks to an LLM needs, in one place: the key read from an environment variable
(never logged, cached or written), a disk cache keyed by what determines the answer, bounded
concurrency, retries with exponential backoff and jitter on 429 / 5xx / timeouts / dropped connections
(honouring Retry-After), and a bounded re-ask when a reply cannot be parsed.  A call that still fails
raises ``LLMError`` with a one-line reason; callers record it per sample instead of guessing a score.
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
    """A call that failed after its retries; the message is safe to record (no secrets)."""


class ParseError(ValueError):
    """A reply that is not the structure asked for."""


class AuthError(LLMError, StopRun):
    """The endpoint refused the credentials (401/403): every call would fail, so the run stops."""


@dataclass(frozen=True)
class EndpointDefaults:
    """The defaults every LLM-calling command shares (fdacli/commands/endpoint.py shows them as options).

    One timeout for every purpose: 120 s covers a vision request with 8 grid images to a local server on
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
    max_tokens: int | None = None
    timeout: float = ENDPOINT.timeout
    max_retries: int = ENDPOINT.max_retries
    parse_retries: int = 2
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    concurrency: int = ENDPOINT.concurrency

    def __post_init__(self) -> None:
        if self.base_url is not None:
            u = urlparse(self.base_url)
            if u.scheme not in ("http", "https") or not u.hostname:
                raise ValueError(f"--base-url must look like http(s)://host[:port]/v1, got {_strip_userinfo(self.base_url)!r}")
            if u.username or u.password:
                raise ValueError("--base-url must not carry credentials; put the key in the environment variable instead")

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


@dataclass
class CallStats:
    requests: int = 0  # HTTP requests sent, retries included
    cache_hits: int = 0
    retries: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **kw: int) -> None:
        with self._lock:
            for k, v in kw.items():
                setattr(self, k, getattr(self, k) + v)

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("requests", "cache_hits", "retries", "failures", "prompt_tokens", "completion_tokens")}


class LLMClient:
    def __init__(self, config: LLMConfig, cache: DiskCache | NullCache | None = None) -> None:
        self.cfg = config
        self.cache = cache or NullCache()
        self.stats = CallStats()
        self.on_item: Callable[[], None] | None = None  # progress hook: called as each map() item finishes
        self.served_model: str | None = None  # what the endpoint says answered (model version)
        self.system_fingerprint: str | None = None
        self._client = None
        self._secret: str | None = None

    def _openai(self):
        if self._client is None:
            from openai import OpenAI

            key = os.environ.get(self.cfg.api_key_env)
            if not key:
                if not self.cfg.base_url:
                    raise AuthError(f"no API key: set the environment variable {self.cfg.api_key_env}")
                key = "not-needed"  # local servers (vLLM, Ollama, llama.cpp) usually take any key
            self._secret = key
            self._client = OpenAI(api_key=key, base_url=self.cfg.base_url, timeout=self.cfg.timeout, max_retries=0)
        return self._client

    def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        purpose: str,
        prompt_version: str,
        parse: Callable[[str], Any] | None = None,
    ) -> Any:
        """One chat completion, cached; returns ``parse(text)`` (or the text).

        Only replies that parse are cached, so a malformed reply is asked again on the next run too.
        """
        return self.complete_with_usage(messages, purpose=purpose, prompt_version=prompt_version, parse=parse)[0]

    def complete_with_usage(
        self,
        messages: list[dict[str, Any]],
        *,
        purpose: str,
        prompt_version: str,
        parse: Callable[[str], Any] | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """``complete``, plus this call's token usage (``{"cached": true}`` when answered from the cache)."""
        key = cache_key(
            purpose=purpose, prompt_version=prompt_version, model=self.cfg.model, endpoint=self.cfg.endpoint,
            temperature=self.cfg.temperature, max_tokens=self.cfg.max_tokens, messages=messages,
        )
        cached = self.cache.get(key)
        if cached is not None:
            try:
                value = parse(cached) if parse else cached
                self.stats.add(cache_hits=1)
                return value, {"cached": True}
            except ParseError:
                pass  # cached under an older parser: ask again
        last: Exception | None = None
        for _ in range(self.cfg.parse_retries + 1):
            try:
                text, usage = self._request(messages)
                value = parse(text) if parse else text
            except ParseError as exc:
                last = exc
                continue
            self.cache.put(key, text)
            return value, usage
        self.stats.add(failures=1)
        raise LLMError(f"unparseable reply after {self.cfg.parse_retries + 1} tries: {last}")

    def _request(self, messages: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
        import openai

        attempt = 0
        while True:
            self.stats.add(requests=1)
            try:
                kwargs: dict[str, Any] = {"model": self.cfg.model, "messages": messages, "temperature": self.cfg.temperature}
                if self.cfg.max_tokens:
                    kwargs["max_tokens"] = self.cfg.max_tokens
                resp = self._openai().chat.completions.create(**kwargs)
                u = getattr(resp, "usage", None)
                usage = {"prompt_tokens": (u.prompt_tokens or 0) if u else None, "completion_tokens": (u.completion_tokens or 0) if u else None}
                self.stats.add(prompt_tokens=usage["prompt_tokens"] or 0, completion_tokens=usage["completion_tokens"] or 0)
                if not resp.choices:
                    raise LLMError("the endpoint returned no choices")
                self.served_model = getattr(resp, "model", None) or self.served_model
                self.system_fingerprint = getattr(resp, "system_fingerprint", None) or self.system_fingerprint
                choice = resp.choices[0]
                text = choice.message.content or ""
                if getattr(choice, "finish_reason", None) == "length":
                    raise ParseError("reply cut off at max_tokens")
                if not text.strip():
                    raise ParseError("empty reply")
                return text, usage
            except ParseError:
                raise
            except (openai.RateLimitError, openai.APITimeoutError, openai.APIConnectionError, openai.InternalServerError) as exc:
                retry_after = _retry_after(exc)
                reason = self._reason(exc)
            except openai.APIStatusError as exc:
                if exc.status_code in (408, 409) or exc.status_code >= 500:
                    retry_after, reason = _retry_after(exc), self._reason(exc)
                else:
                    self.stats.add(failures=1)
                    if exc.status_code in (401, 403):
                        raise AuthError(f"{self.cfg.host} refused the credentials from ${self.cfg.api_key_env} "
                                        f"({self._reason(exc)})") from None
                    raise LLMError(self._reason(exc)) from None
            except openai.OpenAIError as exc:
                self.stats.add(failures=1)
                raise LLMError(self._reason(exc)) from None
            attempt += 1
            if attempt > self.cfg.max_retries:
                self.stats.add(failures=1)
                raise LLMError(f"{reason} (gave up after {attempt} attempts)")
            self.stats.add(retries=1)
            delay = retry_after if retry_after is not None else min(self.cfg.backoff_max, self.cfg.backoff_base * 2 ** (attempt - 1))
            time.sleep(delay * (0.5 + random.random() / 2) if retry_after is None else delay)

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        """``fn`` over items with bounded concurrency, in order; a failed call's exception is returned in
        place of its result.  A refusal of the credentials stops every call (runner.fan_out)."""
        items = list(items)

        def safe(x: Any) -> Any:
            try:
                return fn(x)
            except AuthError:
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
        return {"model": self.cfg.model, "served_model": self.served_model, "system_fingerprint": self.system_fingerprint,
                "endpoint_host": self.cfg.host, "temperature": self.cfg.temperature}

    def _reason(self, exc: Exception) -> str:
        """A one-line reason, with the key scrubbed (servers sometimes echo what they were sent)."""
        text = _reason(exc)
        return text.replace(self._secret, "***") if self._secret and len(self._secret) >= 4 else text


def _strip_userinfo(url: str) -> str:
    return re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)?[^/@]*@", r"\1***@", url)


def _reason(exc: Exception) -> str:
    code = getattr(exc, "status_code", None)
    name = type(exc).__name__
    msg = " ".join(str(getattr(exc, "message", "") or exc).split())[:200]
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
