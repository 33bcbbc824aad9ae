"""Judges for event-based metrics: the offline local judge and any OpenAI-compatible LLM.

Both answer the same batch questions, so TEM and AutoDQ are computed by one code path:
  extract_events(texts)            -> per text: list of events, or an Exception
  relations([(pred, ref), ...])    -> per pair: |pred| x |ref| matrix of same/opposite/none, or an Exception
  entailed([(events, text), ...])  -> per pair: list of bools, or an Exception
  scores(...)                      -> Video-ChatGPT-style scores (LLM judges only)
"""

from __future__ import annotations

from typing import Any


def make_judge(spec: str, client: Any = None):
    """``local``, or ``openai:MODEL`` with the endpoint's client (fdacli/commands/endpoint.py builds it)."""
    if spec == "local":
        from fdacli.core.score.judges.local import LocalJudge

        return LocalJudge()
    if spec.startswith("openai:") and len(spec) > len("openai:"):
        from fdacli.core.score.judges.llm import LLMJudge

        if client is None:
            raise ValueError(f"{spec} needs an endpoint client")
        return LLMJudge(client)
    raise ValueError(f"unknown judge {spec!r}: use 'local' or 'openai:MODEL'")
