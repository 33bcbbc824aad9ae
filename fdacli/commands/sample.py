"""fda sample — pick clips from emotion-video datasets (or cut them from movies) into a manifest."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from fdacli.commands.display import console, fail, flag, table


def sample(
    sources: list[Path] = typer.Argument(None, help="Dataset index files (CSV/JSONL: path, label[, dataset, duration]) or folders <dataset>/<label>/<clip>."),
    output: Path = typer.Option(..., "--output", "-o", help="Manifest JSONL: id, video, dataset, label, start, end, duration."),
    per_dataset: Optional[int] = typer.Option(None, "--per-dataset", help="Clips per dataset, spread uniformly over its labels (default: all)."),
    max_duration: Optional[float] = typer.Option(None, "--max-duration", help="Drop clips longer than this many seconds (after trimming)."),
    min_duration: float = typer.Option(0.5, "--min-duration", help="Drop clips shorter than this (after trimming)."),
    trim_head: float = typer.Option(0.0, "--trim-head", help="Seconds to skip at the start of each clip (recorded as start)."),
    trim_tail: float = typer.Option(0.0, "--trim-tail", help="Seconds to drop at the end of each clip (recorded as end)."),
    seed: int = typer.Option(0, help="Seed for every random choice."),
    clips_from: Optional[list[Path]] = typer.Option(None, "--clips-from", help="Movie mode: long videos to cut random clips from."),
    clip_len: float = typer.Option(4.0, "--clip-len", help="Movie mode: clip length in seconds."),
    count: int = typer.Option(10, "--count", help="Movie mode: clips to keep."),
    min_face_area: float = typer.Option(0.05, "--min-face-area", help="Movie mode: keep a clip only if a face covers more than this share of the frame."),
    export: Optional[Path] = typer.Option(None, "--export", help="Also write every sampled clip as its own file under DIR/."),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Sample clips uniformly over labels per dataset, or cut face-bearing clips from movies, into a manifest."""
    from fdacli.core.sample import sampling
    from fdacli.core.run.inputs import safe_relpath
    from fdacli.core.run.records import RecordError, atomic_write_bytes, dumps
    from fdacli.core.media.video import VideoError

    if not sources and not clips_from:
        fail("give dataset sources, or --clips-from for movie mode")
    if clips_from and clip_len <= 0:
        fail("--clip-len must be positive")
    if per_dataset is not None and per_dataset < 0:
        fail("--per-dataset must not be negative")
    skipped: list[tuple[str, str]] = []
    try:
        cands = sampling.collect(list(sources or []))
    except RecordError as exc:
        fail(str(exc))
    seen: set[str] = set()
    unique = []
    for c in cands:
        if c.id in seen:
            skipped.append((c.video, f"duplicate id {c.id!r} (first kept)"))
        else:
            seen.add(c.id)
            unique.append(c)
    cands, bad = sampling.with_durations(unique)
    skipped += [(c.video, why) for c, why in bad]
    kept = []
    for c in cands:
        start = trim_head if trim_head > 0 else None
        end = c.duration - trim_tail if trim_tail > 0 else None
        dur = (end if end is not None else c.duration) - (start or 0.0)
        if dur < min_duration:
            skipped.append((c.video, f"{dur:.2f} s after trimming (< --min-duration {min_duration})"))
        elif max_duration is not None and dur > max_duration:
            skipped.append((c.video, f"{dur:.2f} s (> --max-duration {max_duration})"))
        else:
            c.extra.update(start=start, end=end)
            c.duration = dur
            kept.append(c)
    chosen = sampling.sample_datasets(kept, per_dataset, seed)
    if clips_from:
        movies, rejected = sampling.movie_clips(list(clips_from), clip_len, count, min_face_area, seed)
        chosen += movies
        skipped += rejected
    def rel(path: str) -> str:
        """Paths relative to the manifest's folder (how `fda track --manifest` resolves them)."""
        try:
            return os.path.relpath(Path(path).resolve(), output.resolve().parent)
        except ValueError:  # another drive on Windows
            return str(Path(path).resolve())

    records = []
    for c in chosen:
        rec = {"id": c.id, "video": rel(c.video), "dataset": c.dataset, "label": c.label, "start": c.extra.get("start"),
               "end": c.extra.get("end"), "duration": round(c.duration, 3) if c.duration is not None else None}
        if "face_share" in c.extra:
            rec["face_share"] = c.extra["face_share"]
        if export:
            path = export / f"{safe_relpath(c.id)}.mp4"
            try:
                sampling.export_clip(c.video, rec["start"] or 0.0, rec["end"] if rec["end"] is not None else 1e9, path)
            except (VideoError, OSError) as exc:
                skipped.append((c.video, f"export failed: {exc}"))
                continue
            rec.update(source_video=rel(c.video), source_start=rec["start"], source_end=rec["end"], video=rel(str(path)), start=None, end=None)
        records.append(rec)
    atomic_write_bytes(output, "".join(dumps(r) + "\n" for r in records).encode("utf-8"))
    if not quiet:
        console.print(table(f"fda sample → {output}", ["dataset", "label", "clips"], sampling.count_table(records)))
        console.print(f"{len(records)} clips written; {len(skipped)} skipped", highlight=False)
        for where, why in skipped[:10]:
            flag("skipped", "yellow", f"{where}: {why}")
        if len(skipped) > 10:
            console.print(f"[yellow]... and {len(skipped) - 10} more skipped[/]")
