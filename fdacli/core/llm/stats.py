"""Call statistics: what the client did, for progress lines and score files (``calls`` in provenance)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

STAT_KEYS = ("calls", "done", "requests", "cache_hits", "retries", "cut", "failures", "prompt_tokens", "completion_tokens")


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
        """Add to counters from any thread (calls run concurrently)."""
        with self._lock:
            for k, v in kw.items():
                setattr(self, k, getattr(self, k) + v)

    def mean_latency(self) -> float | None:
        """Seconds per answered request, None before the first."""
        return self.reply_seconds / self.replies if self.replies else None

    def as_dict(self) -> dict[str, Any]:
        """The counters a score file records."""
        out: dict[str, Any] = {k: getattr(self, k) for k in STAT_KEYS}
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

