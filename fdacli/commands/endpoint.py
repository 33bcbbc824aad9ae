"""The endpoint options every LLM-calling command shares — preannotate, caption --backend, score --judge
openai:MODEL — and the one way to turn them into a client.

Help text and defaults are defined here and in core/llm/client.py (``ENDPOINT``) once; what would fail
every call (a malformed URL, no key for a hosted endpoint, an unopenable cache) is refused here, before
the output is touched and before any request is sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from fdacli.commands.display import fail
from fdacli.core.llm.client import ENDPOINT
from fdacli.core.llm.replies import BUDGETS, describe

BaseUrl = Annotated[Optional[str], typer.Option(
    "--base-url", help="OpenAI-compatible endpoint, http(s)://host[:port]/v1 (vLLM, Ollama, llama.cpp, ...); default OpenAI.")]
ApiKeyEnv = Annotated[str, typer.Option(
    "--api-key-env", help="Name of the environment variable that holds the API key (the key itself is never an option).")]
Concurrency = Annotated[int, typer.Option(help="Requests in flight at once.")]
Timeout = Annotated[float, typer.Option(
    help="Deadline in seconds for each whole request (sending, waiting, reading the reply); past it the request is "
         "abandoned and retried. Calls that keep timing out stop the run early.")]
MaxRetries = Annotated[int, typer.Option(help="Retries on 429 / 5xx / timeouts, with exponential backoff.")]
CacheDir = Annotated[Optional[Path], typer.Option(
    "--cache-dir", help="Reply cache folder (default: $FDA_CACHE_DIR or ~/.cache/fdacli).")]
NoCache = Annotated[bool, typer.Option("--no-cache", help="Do not read or write the reply cache.")]
_LIMITS = ("Token limit of a reply, N{per}. A reply cut at its limit is asked once more with twice the room, then "
           "fails with the reason. Default: {default}.")
JudgeMaxTokens = Annotated[Optional[str], typer.Option("--max-tokens", help=_LIMITS.format(
    per=", or TASK=N,... per task", default=", ".join(f"{k} {v}" for k, v in describe().items())))]
MaxTokens = Annotated[Optional[str], typer.Option("--max-tokens", help=_LIMITS.format(
    per="", default=BUDGETS["preannotate"]))]

DEFAULT_KEY_ENV = ENDPOINT.api_key_env
DEFAULT_CONCURRENCY = ENDPOINT.concurrency
DEFAULT_TIMEOUT = ENDPOINT.timeout
DEFAULT_RETRIES = ENDPOINT.max_retries


def token_limits(text: str | None, tasks: tuple[str, ...]) -> dict[str, int]:
    """``--max-tokens``: ``N`` for every task of the command, or ``TASK=N,...``; a bad value exits 2."""
    if not text:
        return {}
    out: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        task, _, value = part.rpartition("=")
        task = task.strip() or "*"
        if task != "*" and task not in tasks:
            fail(f"--max-tokens: unknown task {task!r}; this command's tasks are {', '.join(tasks)}")
        if not value.strip().isdigit() or int(value) < 1:
            fail(f"--max-tokens: {part!r} is not N or TASK=N with N a positive whole number of tokens")
        out[task] = int(value)
    return out


def open_client(model: str, cache_name: str, *, base_url: str | None, api_key_env: str, temperature: float = 0.0,
                max_tokens: dict[str, int] | int | None = None, timeout: float = DEFAULT_TIMEOUT, max_retries: int = DEFAULT_RETRIES,
                concurrency: int = DEFAULT_CONCURRENCY, cache_dir: Path | None = None, no_cache: bool = False,
                structured: bool = True):
    """An ``LLMClient`` with its reply cache, or a one-line error and exit 2."""
    import os
    import sqlite3

    from fdacli.core.llm.cache import open_cache
    from fdacli.core.llm.client import LLMClient, LLMConfig

    try:
        config = LLMConfig(model=model, base_url=base_url, api_key_env=api_key_env, temperature=temperature,
                           max_tokens=max_tokens, timeout=timeout, max_retries=max_retries, concurrency=concurrency,
                           structured=structured)
    except ValueError as exc:
        fail(str(exc))
    if not base_url and not os.environ.get(api_key_env):
        fail(f"no API key: set the environment variable {api_key_env} (or use --base-url for a local server)")
    try:
        return LLMClient(config, open_cache(cache_name, cache_dir, enabled=not no_cache))
    except (OSError, sqlite3.Error) as exc:
        fail(f"cannot open the reply cache: {exc}")


def stopped(exc: BaseException, kept: str) -> None:
    """The one message for a run that an endpoint stopped (credentials refused): why, what was kept; exit 2."""
    fail(f"stopped: {exc} ({kept})")
