"""Fail-fast: a run stops when calls keep failing the same way, with the cause and what to try.

Why a module of its own: retries (core/llm/request.py) ride out a blip; the breaker answers what retries
cannot — the same failure call after call — and its hints are the one place that says what to do about it.
"""

from __future__ import annotations

import threading


class Breaker:
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


HINTS = {
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


def hint(cause: str, url: str, timeout: float) -> str:
    """What to try when calls keep failing with ``cause``."""
    kind = cause if cause in HINTS else "status"
    return HINTS[kind].format(url=url, timeout=timeout, cause=cause)
