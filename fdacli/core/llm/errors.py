"""The errors an LLM call can end in, and the one-line reasons recorded with them (never a secret).

Why a module of its own: callers (judges, pre-annotation, captioning) catch these without needing the
client, and the reasons are built the same way wherever a request fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fdacli.core.run.runner import StopRun


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


BEARER = re.compile(r"(\bbearer\s+)[^\s'\";,]+", re.I)


def strip_userinfo(url: str) -> str:
    """A URL fit to show: any user:password@ masked."""
    return re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)?[^/@]*@", r"\1***@", url)


def reason(exc: Exception, scrub: Callable[[str], str]) -> str:
    """One line for an error: scrubbed whole, then cut (cutting first could leave part of a key)."""
    code = getattr(exc, "status_code", None)
    name = type(exc).__name__
    msg = " ".join(scrub(str(getattr(exc, "message", "") or exc)).split())[:200]
    return f"{name}{f' {code}' if code else ''}: {msg}" if msg else name


def retry_after(exc: Exception) -> float | None:
    """The server's Retry-After, in seconds (at most a minute), if it sent one."""
    resp = getattr(exc, "response", None)
    try:
        value = resp.headers.get("retry-after") if resp is not None else None
        return min(60.0, float(value)) if value else None
    except (TypeError, ValueError):
        return None

