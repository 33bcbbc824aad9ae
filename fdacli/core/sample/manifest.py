"""From sources to manifest records: duplicates, durations, trims, the per-dataset draw, movie windows and
exports, with a reason for every clip left out."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fdacli.core.media.video import VideoError
from fdacli.core.run.inputs import safe_relpath
from fdacli.core.run.schemas import MANIFEST
from fdacli.core.sample import sampling


@dataclass
class SampleOptions:
    per_dataset: int | None = None
    max_duration: float | None = None
    min_duration: float = 0.5
    trim_head: float = 0.0
    trim_tail: float = 0.0
    seed: int = 0
    clip_len: float = 4.0  # movie mode
    count: int = 10  # movie mode
    min_face_area: float = 0.05  # movie mode
    export: Path | None = None


def build_manifest(sources: list[Path], movies: list[Path], manifest: Path,
                   opts: SampleOptions) -> tuple[list[dict[str, Any]], list[tuple[str, str]], list[str]]:
    """Manifest records (video paths relative to the manifest's folder), ``(video, reason)`` for every
    clip left out, and notes on the sources' layout.  Raises ``RecordError`` for a malformed index file."""
    skipped: list[tuple[str, str]] = []
    notes = [n for n in (sampling.layout_note(s) for s in sources if s.is_dir()) if n]
    seen: set[str] = set()
    unique = []
    for c in sampling.collect(sources):
        if c.id in seen:
            skipped.append((c.video, f"duplicate id {c.id!r} (first kept)"))
        else:
            seen.add(c.id)
            unique.append(c)
    cands, bad = sampling.with_durations(unique)
    skipped += [(c.video, why) for c, why in bad]
    kept = []
    for c in cands:
        start = opts.trim_head if opts.trim_head > 0 else None
        end = c.duration - opts.trim_tail if opts.trim_tail > 0 else None
        dur = (end if end is not None else c.duration) - (start or 0.0)
        if dur < opts.min_duration:
            skipped.append((c.video, f"{dur:.2f} s after trimming (< --min-duration {opts.min_duration})"))
        elif opts.max_duration is not None and dur > opts.max_duration:
            skipped.append((c.video, f"{dur:.2f} s (> --max-duration {opts.max_duration})"))
        else:
            c.extra.update(start=start, end=end)
            c.duration = dur
            kept.append(c)
    chosen = sampling.sample_datasets(kept, opts.per_dataset, opts.seed)
    if movies:
        cut, rejected = sampling.movie_clips(movies, opts.clip_len, opts.count, opts.min_face_area, opts.seed)
        chosen += cut
        skipped += rejected

    def rel(path: str) -> str:
        """Paths relative to the manifest's folder (how `fda track --manifest` resolves them)."""
        try:
            return os.path.relpath(Path(path).resolve(), manifest.resolve().parent)
        except ValueError:  # another drive on Windows
            return str(Path(path).resolve())

    records = []
    for c in chosen:
        rec = {"id": c.id, "version": MANIFEST, "video": rel(c.video), "dataset": c.dataset, "label": c.label, "start": c.extra.get("start"),
               "end": c.extra.get("end"), "duration": round(c.duration, 3) if c.duration is not None else None}
        if "face_share" in c.extra:
            rec["face_share"] = c.extra["face_share"]
        if opts.export:
            path = opts.export / f"{safe_relpath(c.id)}.mp4"
            try:
                sampling.export_clip(c.video, rec["start"] or 0.0, rec["end"] if rec["end"] is not None else 1e9, path)
            except (VideoError, OSError) as exc:
                skipped.append((c.video, f"export failed: {exc}"))
                continue
            rec.update(source_video=rel(c.video), source_start=rec["start"], source_end=rec["end"], video=rel(str(path)),
                       start=None, end=None)
        records.append(rec)
    return records, skipped, notes
