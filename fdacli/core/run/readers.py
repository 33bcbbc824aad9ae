"""Reading a file of records, each checked at the door (core/run/contracts.py) as it is read, so that no
command reads a record its contract refuses and every refusal names its ``file:line`` (``file: item N`` in a
JSON list).  Apart from the checks because reading is also where one id twice is caught, which a lone record
cannot show.

One id twice: in a file fda wrote (tracks, actions, drafts, versions, screen and training records) and in a
manifest (which names each clip once) it is refused with both lines; files of text people make (annotations,
predictions, references) keep the first and report the rest with their lines (docs/reliability.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fdacli.core.run.contracts import (
    check_actions, check_annotation, check_caption, check_draft, check_manifest, check_scores, check_screen,
    check_tracks, check_training, check_versions, looks_like,
)
from fdacli.core.run.records import Record, RecordError, is_json_list, read_jsonl

# -- reading --------------------------------------------------------------------------------------------------------
@dataclass
class Twice:
    """A later record of an id already read, in a file people make: left out, and reported with both places."""

    id: str
    where: str  # "file:line" of this record
    first: str  # "file:line" of the one kept

    def __str__(self) -> str:
        return f"{self.where}: id {self.id!r} again (first on {self.first}); the first is kept"


def _records(path: Path, require: tuple[str, ...] = ("id",), twice: list[Twice] | None = None,
             ) -> Iterator[tuple[int, Record, str, bool]]:
    """``(number, record, "file:line:", first)`` of every record (a JSON list's are ``file: item N:``, as read_jsonl
    numbers them).  One id twice: refused with both places, or, given ``twice`` (files people make), the later
    record comes with ``first`` False — for the caller to check like any other and leave out — and is added to
    ``twice`` with both places."""
    listed: bool | None = None
    seen: dict[str, int] = {}
    name = str(path)
    for n, rec in read_jsonl(path, require=require):
        if listed is None:
            listed = is_json_list(path)
        where = f"{name}: item {n}:" if listed else f"{name}:{n}:"
        rid = rec["id"]
        if rid in seen:
            if twice is None:
                raise RecordError(f"{where} id {rid!r} again (first on {'item' if listed else 'line'} {seen[rid]}); "
                                  "one record per clip")
            twice.append(Twice(rid, where[:-1], f"{path}: item {seen[rid]}" if listed else f"{path}:{seen[rid]}"))
            yield n, rec, where, False
            continue
        seen[rid] = n
        yield n, rec, where, True


def _unique(path: Path) -> Iterator[tuple[int, Record, str]]:
    """Records of a file `fda` wrote, where one id twice can only be a damaged or concatenated file: refused with
    both lines."""
    return ((n, rec, where) for n, rec, where, _ in _records(path))


def _checked_unique(path: str | Path, check) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of a file fda wrote, each record checked by ``check``; one id twice is refused."""
    for lineno, rec, where in _unique(Path(path)):
        check(rec, where)
        yield lineno, rec


def read_actions(path: str | Path) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of an `fda actions` file, every record checked; one id twice is refused with both lines."""
    return _checked_unique(path, check_actions)


def read_tracks(path: str | Path) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of an `fda track` file, every record checked; one id twice is refused with both lines."""
    return _checked_unique(path, check_tracks)


def read_manifest(path: str | Path) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of a manifest, every record checked; a manifest names each clip once, so one id twice is
    refused with both lines."""
    for lineno, rec, where, _ in _records(Path(path), require=("id", "video")):
        check_manifest(rec, where)
        yield lineno, rec


def read_captions(path: str | Path, twice: list[Twice]) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of predictions or references, every record checked; of one id twice the first is read and
    the others are added to ``twice``, with both places."""
    for lineno, rec, where, first in _records(Path(path), twice=twice):
        check_caption(rec, where)
        if first:
            yield lineno, rec


def read_annotations(path: str | Path, twice: list[Twice]) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of annotations, every record checked; of one id twice the first is read and the others
    are added to ``twice``, with both places."""
    for lineno, rec, where, first in _records(Path(path), twice=twice):
        check_annotation(rec, where)
        if first:
            yield lineno, rec


def read_drafts(path: str | Path) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of `fda preannotate`'s output, every record checked; one id twice is refused with both
    lines."""
    return _checked_unique(path, check_draft)


def read_versions(path: str | Path) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of annotators' versions (`fda review pull` on the annotators' project), every record
    checked; one id twice is refused with both lines."""
    return _checked_unique(path, check_versions)


def read_screen(path: str | Path) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of `fda screen`'s output, every record checked; one id twice is refused with both lines."""
    return _checked_unique(path, check_screen)


def read_training(path: str | Path) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` of training data, every record checked; one id twice is refused with both lines (a sample
    given twice would be trained on twice)."""
    return _checked_unique(path, check_training)


def where_of(path: str | Path) -> Callable[[int], str]:
    """How records of ``path`` are named in errors: ``file:line:``, or ``file: item N:`` in a JSON list (for readers
    with checks of their own beside the contract)."""
    name, listed = str(path), []

    def where(n: int) -> str:
        if not listed:  # asked once, when a record is named (the reader has found the file by then)
            listed.append(is_json_list(path))
        return f"{name}: item {n}:" if listed[0] else f"{name}:{n}:"
    return where


def read_scores(path: str | Path) -> dict[str, Any]:
    """A scores.json, checked: its kind, its version, finite summaries.  Errors name the file and the field."""
    import json

    def no_constant(name: str) -> None:  # NaN and Infinity: Python's json reads them, JSON has no such numbers
        raise RecordError(f"{path}: {name} is not a number (JSON has no NaN or Infinity); not a valid scores.json")

    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"), parse_constant=no_constant)
    except FileNotFoundError:
        raise RecordError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise RecordError(f"{path}: not UTF-8 text (byte offset {exc.start}); not a scores.json") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        if isinstance(exc, json.JSONDecodeError) and exc.msg == "Extra data":  # more than one document: records?
            with path.open(encoding="utf-8-sig", errors="replace") as fh:
                try:
                    rec = json.loads(fh.readline())
                except ValueError:
                    rec = None
            if isinstance(rec, dict):
                raise RecordError(f"{path}:1: not a scores.json (a file of records; it looks like {looks_like(rec)}); "
                                  "give the -o file of fda score") from None
        line = f":{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise RecordError(f"{path}{line}: not valid JSON; not a scores.json") from None
    except OSError as exc:
        raise RecordError(f"{path}: {exc.strerror or exc}") from None
    check_scores(doc, str(path))
    return doc


def actions_by_id(path: str | Path, ok_only: bool = True) -> dict[str, Record]:
    """Checked actions records by id (only the measured ones unless ``ok_only`` is False)."""
    return {rec["id"]: rec for _, rec in read_actions(path) if not ok_only or rec.get("status", "ok") == "ok"}
