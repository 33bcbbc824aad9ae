"""Tolerant parsing of structured replies: JSON, a Python literal, fenced, or slightly broken."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from fdacli.core.llm.errors import ParseError

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
