"""Turning command-line VIDEOS arguments into work items with stable ids.

Ids must be stable across reruns (resume depends on them) and unique within a run, so they are
derived from paths: a file's stem, or a path relative to the folder that was named.  Collisions are
reported rather than silently renamed, because a silent rename would break resume.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fdacli.core.run.records import RecordError

VIDEO_SUFFIXES = frozenset(
    {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".flv", ".wmv", ".3gp", ".ts", ".mts"}
)


@dataclass(frozen=True)
class VideoItem:
    """One unit of work: a clip of a video file, keyed by id."""

    id: str
    video: str
    start: float | None = None  # seconds; None = from the beginning
    end: float | None = None  # seconds; None = to the end
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def collect_videos(paths: list[str | Path], manifest: str | Path | None = None) -> list[VideoItem]:
    """Expand files, folders (recursive) and an optional manifest into items, in a stable order.

    A named file is taken whatever its suffix (a mislabelled file then fails per record, with its
    reason); inside folders only known video suffixes are picked up.  A path that does not exist is
    kept as an item too, so that it is reported in the output instead of aborting the batch.
    """
    items: list[VideoItem] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in VIDEO_SUFFIXES):
                items.append(VideoItem(id=f.relative_to(p).with_suffix("").as_posix(), video=str(f)))
        elif p.suffix.lower() in (".jsonl", ".json") and p.is_file():
            items.extend(read_manifest(p))
        else:
            items.append(VideoItem(id=p.stem, video=str(p)))
    if manifest is not None:
        items.extend(read_manifest(manifest))
    return _unique(items)


def resolve_video(video: str, roots: list[Path], listed_in: Path | None = None) -> str:
    """The one video-path resolver.  A path listed in a file (a manifest, a dataset index) is relative to
    that file's folder (``listed_in``); otherwise a relative path that does not exist from here is looked
    up under each root in turn (``--video-root``, then the folder of the JSONL that named it) and the
    first existing one wins.  Anything else comes back as given."""
    p = Path(video)
    if p.is_absolute():
        return video
    if listed_in is not None:
        return str(listed_in.parent / p)
    if p.exists():
        return video
    for root in roots:
        if (root / p).exists():
            return str(root / p)
    return video


def read_manifest(path: str | Path) -> list[VideoItem]:
    """Items from a manifest JSONL (``fda sample`` output, or written by hand), each record checked by the manifest
    contract (core/run/contracts.py); relative videos resolve against its folder."""
    from fdacli.core.run.readers import read_manifest as records

    path = Path(path)
    items = []
    for _, rec in records(path):
        video = resolve_video(rec["video"], [], listed_in=path)
        extra = {k: v for k, v in rec.items() if k not in ("id", "version", "video", "start", "end", "status", "error")}
        items.append(VideoItem(id=rec["id"], video=video, start=rec.get("start"), end=rec.get("end"), extra=extra))
    return items


def _unique(items: list[VideoItem]) -> list[VideoItem]:
    """Drop exact repeats (a file named twice); refuse two different inputs under one id."""
    seen: dict[str, VideoItem] = {}
    for it in items:
        if it.id in seen and seen[it.id] != it:
            raise RecordError(
                f"two inputs share the id {it.id!r}: {seen[it.id].video} and {it.video}; "
                "pass their common parent folder instead, or give explicit ids in a manifest"
            )
        seen.setdefault(it.id, it)
    return list(seen.values())


# the longest part of a per-id path taken as it is, in UTF-8 bytes: a file name may be 255 bytes, and beside the
# id's own part come a suffix (".png"), the digest ("~" and 10 hex digits) and the atomic writer's temporary name
# (".NAME.tmp-HOST-PID"), so a part this long still leaves room for all of them
MAX_PART_BYTES = 100


def safe_relpath(rid: str) -> str:
    """An id as a relative path that stays inside its folder (ids come from user manifests), one path per id.

    An id that is already a clean relative path of short parts is used as it is.  Any other (``DFEW\\0001``,
    ``./x``, ``../x``, ``a//b``, a part longer than a file name may be) is cleaned, long parts cut, and given a
    digest of the id itself, so it can never share the crops or contact sheet of the id it was cleaned into
    (``DFEW/0001``, ``x``) nor of another long id that begins the same way."""
    parts = [p for p in rid.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    short = [_cut(p) for p in parts]
    path = "/".join(short) or "_"
    if path == rid:
        return path
    import hashlib

    return f"{path}~{hashlib.sha256(rid.encode('utf-8', 'surrogatepass')).hexdigest()[:10]}"


def _cut(part: str) -> str:
    """A path part of at most MAX_PART_BYTES - 20 bytes when it is longer than MAX_PART_BYTES (cut on a
    character boundary: a part stays valid UTF-8)."""
    raw = part.encode("utf-8", "surrogatepass")
    if len(raw) <= MAX_PART_BYTES:
        return part
    return raw[: MAX_PART_BYTES - 20].decode("utf-8", "ignore")
