"""The request itself: opening the endpoint, one HTTP request under its deadline, retries with backoff,
and the structured-output mode learnt from the endpoint's answers.

Why a module of its own: this is everything that touches the wire.  ``LLMClient`` (core/llm/client.py)
decides what to ask, caches and bounds it; this mixin sends it.  It uses the client's ``cfg``, ``stats``,
``scrub`` and stop state (``_halted``, ``_halt``, ``_stop``).
"""

from __future__ import annotations

import os
import random
import re
import time
from dataclasses import dataclass
from typing import Any

from fdacli.core.llm.errors import AuthError, EndpointFailing, LLMError, reason as _reason, retry_after as _retry_after
from fdacli.core.llm.errors import strip_userinfo as _strip_userinfo

_SCHEMA_WORDS = re.compile(r"response_format|json_schema|schema|grammar|structured", re.I)


@dataclass
class Reply:
    """One answered request: the scrubbed text, token usage, why it ended, and the schema it was held to."""

    text: str
    usage: dict[str, Any]
    finish: str | None
    schema: dict[str, Any] | None  # the schema the endpoint was held to, if any


class RequestMixin:
    """Sending requests for ``LLMClient``."""

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
    def _send(self, messages: list[dict[str, Any]], limit: int | None, schema: dict[str, Any] | None) -> Reply:
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

    def _post(self, messages: list[dict[str, Any]], limit: int | None, schema: dict[str, Any] | None) -> Reply:
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
        return Reply(self.scrub(choice.message.content or ""), usage, getattr(choice, "finish_reason", None), schema)
