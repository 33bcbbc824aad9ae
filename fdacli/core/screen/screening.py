"""One clip screened: its tracks record (and its actions record, where given) in, one screen record out.

The record holds ``keep``, ``drop_reasons`` (the short names `fda review` preselects) and every criterion
with its value, threshold, verdict and reason.  A clip whose tracking or facial measurement failed is an
error record with that reason: neither kept nor dropped, and run again by ``--retry-errors``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fdacli.core.run.records import Record, error_record
from fdacli.core.screen import criteria as c
from fdacli.core.screen.thresholds import VERSION, Thresholds


@dataclass(frozen=True)
class ScreenItem:
    """A screened clip waiting to be written (the runner's unit of work; screening itself already happened)."""

    id: str
    record: dict[str, Any]
    line: int = 0  # where its tracks record is (for --keep, which copies that line)


@dataclass(frozen=True)
class Actions:
    """The actions side of a screen: the records by id, or None without --actions (and the file, for reasons)."""

    records: dict[str, Record] | None
    path: Path | None = None

    def lookup(self, rid: str) -> tuple[Record | None, str | None]:
        """(the clip's actions record, or None and why there is none)."""
        if self.records is None:
            return None, "no --actions file: facial changes are measured by fda actions"
        if rid not in self.records:
            return None, f"no record for this clip in {self.path}"
        return self.records[rid], None


def screen(tracks: Record, actions: Actions, t: Thresholds, shaped_by: dict[str, Any] | None = None) -> Record:
    """The screen record of one clip; ``shaped_by`` is ``settings(t, actions)``, made once for a whole file."""
    base = {"id": tracks["id"], "video": tracks.get("video"), "version": VERSION,
            "settings": shaped_by if shaped_by is not None else settings(t, actions)}
    if tracks.get("status", "ok") != "ok":
        return {**error_record(tracks["id"], f"tracking failed: {tracks.get('error') or 'no reason given'}", **base),
                "keep": False, "drop_reasons": []}
    act, why_not = actions.lookup(tracks["id"])
    failed = act is not None and act.get("status", "ok") != "ok"
    subject = None if act is None or failed else act.get("identity")  # the person the clip's facial changes are of
    found = {
        "face_size": c.face_size(tracks, t, subject),
        "people": c.people(tracks, t),
        "perspective_switches": c.perspective_switches(tracks, t),
        "static": c.static(tracks, t, subject),
        "facial_change": c.facial_change(None if failed else act, "measurement failed" if failed else why_not, t),
        "violent_content": c.violent_content(),
    }
    reasons = [v["drop_reason"] for v in found.values() if v["verdict"] == c.DROP]
    if failed:
        reason = f"facial change not measured: fda actions failed on this clip: {act.get('error') or 'no reason given'}"
        return {**error_record(tracks["id"], reason, **base), "keep": False, "drop_reasons": reasons, "criteria": found}
    return {**base, "status": "ok", "error": None, "keep": not reasons, "drop_reasons": reasons, "criteria": found}


def settings(t: Thresholds, actions: Actions) -> dict[str, Any]:
    """What shapes a screen record: the thresholds, and whether facial changes were measured at all."""
    return {**t.settings(), "actions": actions.records is not None}
