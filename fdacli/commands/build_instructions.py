"""fda build-instructions — instruction-tuning data in VideoLLaMA2's conversation format."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from fdacli.commands.display import console, fail, flag, say, table


def build_instructions(
    annotations: list[Path] = typer.Argument(..., help="Annotation JSONL/JSON: {id, video, caption} or {id, video, attributes, facial_changes, summary}."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Training conversations (JSONL)."),
    test_out: Optional[Path] = typer.Option(None, "--test-out", help="Write the test split here (needs --test-size)."),
    test_size: float = typer.Option(0.0, "--test-size", help="Test split: a fraction in (0, 1), or a whole number of clips (the paper: 1000); deterministic by id and seed."),
    tracks: Optional[Path] = typer.Option(None, "--tracks", help="tracks.jsonl from `fda track`: adds key frames and main-face boxes."),
    seed: int = typer.Option(0, help="Seed for the instruction choice and the split."),
    keep_inferences: bool = typer.Option(False, "--keep-inferences", help="Keep bracketed [inference] spans (removed by default, as in the paper)."),
    with_summary: bool = typer.Option(False, "--with-summary", help="Structured annotations: append the summary to attributes and facial changes."),
    video_root: Optional[Path] = typer.Option(None, "--video-root", help="Make video paths relative to this folder."),
    stats: bool = typer.Option(False, "--stats", help="Print dataset statistics (tokens, facial-action keywords, durations per source)."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="With --stats: draw the statistics as PNGs into DIR."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Turn annotations into instruction-tuning conversations (one of 20 phrasings per clip) and a train/test split."""
    from fdacli.core.dataset.build import BuildOptions, build
    from fdacli.core.run import outputs
    from fdacli.core.run.records import RecordError, atomic_write_pair, dumps

    if output is None and not stats:
        fail("give -o/--output, or --stats to only look at the data")
    if test_size < 0 or (test_size >= 1 and test_size != int(test_size)):
        fail("--test-size is a fraction in (0, 1) or a whole number of clips")
    if test_size > 0 and test_out is None:
        fail("--test-size needs --test-out")
    try:
        held = outputs.hold("build-instructions", [output, test_out], [plot], inputs=[*annotations, *([tracks] if tracks else [])])
    except (outputs.OutputError, OSError) as exc:
        fail(str(exc))
    opts = BuildOptions(test_size=test_size, seed=seed, keep_inferences=keep_inferences, with_summary=with_summary,
                        video_root=video_root)
    try:
        res = build(list(annotations), tracks, opts)
    except (RecordError, ValueError) as exc:
        fail(str(exc))
    train, test, skipped, st = res.train, res.test, res.skipped, res.stats

    files = {}  # the train and test splits are written together: never a new one beside an old one
    if output is not None:
        files[output] = "".join(dumps(s) + "\n" for s in train).encode("utf-8")
    if test_out is not None:
        files[test_out] = "".join(dumps(s) + "\n" for s in test).encode("utf-8")
    if files:
        atomic_write_pair(files)
    if not quiet:
        if output is not None:
            say(f"wrote {len(train)} training conversations to {output}" + (f", {len(test)} test to {test_out}" if test_out else ""))
        for where, rid, why in skipped[:10]:
            flag("skipped", "yellow", f"{where} ({rid}): {why}")
        if len(skipped) > 10:
            console.print(f"[yellow]... and {len(skipped) - 10} more skipped[/]")
    if stats:
        console.print(table("dataset statistics", ["source", "clips", "tokens/caption", "facial-action keywords/caption", "duration s"],
                            [[c if c is not None else "–" for c in r] for r in st.rows()]))
        say("most frequent facial-action keywords: " + ", ".join(f"{w} ({n})" for w, n in st.top_keywords.most_common(12)))
        if plot:
            from fdacli.core.dataset.statistics import plot as draw

            draw(st, plot)
            say(f"plots written to {plot}/")
    for c in held:
        c.release()
