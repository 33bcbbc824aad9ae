"""fda sample — pick clips from emotion-video datasets (or cut them from movies) into a manifest."""

from __future__ import annotations

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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Sample clips uniformly over labels per dataset, or cut face-bearing clips from movies, into a manifest."""
    from fdacli.core.run import outputs
    from fdacli.core.run.records import RecordError, atomic_write_bytes, dumps
    from fdacli.core.sample import sampling
    from fdacli.core.sample.manifest import SampleOptions, build_manifest

    if not sources and not clips_from:
        fail("give dataset sources, or --clips-from for movie mode")
    if clips_from and clip_len <= 0:
        fail("--clip-len must be positive")
    if per_dataset is not None and per_dataset < 0:
        fail("--per-dataset must not be negative")
    try:
        held = outputs.hold("sample", [output], [export], inputs=[*(sources or []), *(clips_from or [])])
    except (outputs.OutputError, OSError) as exc:
        fail(str(exc))
    opts = SampleOptions(per_dataset=per_dataset, max_duration=max_duration, min_duration=min_duration, trim_head=trim_head,
                         trim_tail=trim_tail, seed=seed, clip_len=clip_len, count=count, min_face_area=min_face_area, export=export)
    try:
        records, skipped, notes = build_manifest(list(sources or []), list(clips_from or []), output, opts)
    except RecordError as exc:
        fail(str(exc))
    atomic_write_bytes(output, "".join(dumps(r) + "\n" for r in records).encode("utf-8"))
    for c in held:
        c.release()
    for note in notes:
        flag("note:", "yellow", note)
    if not quiet:
        console.print(table(f"fda sample → {output}", ["dataset", "label", "clips"], sampling.count_table(records)))
        console.print(f"{len(records)} clips written; {len(skipped)} skipped", highlight=False)
        for where, why in skipped[:10]:
            flag("skipped", "yellow", f"{where}: {why}")
        if len(skipped) > 10:
            console.print(f"[yellow]... and {len(skipped) - 10} more skipped[/]")
