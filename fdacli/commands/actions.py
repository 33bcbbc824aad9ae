"""fda actions — measured facial dynamics of the main face: landmarks, signals and a timeline of events."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from fdacli.commands.batch import run_records
from fdacli.commands.display import console, fail, flag, progress_bar, table
from fdacli.commands.extras import require


def actions(
    tracks: Path = typer.Argument(..., help="tracks.jsonl from `fda track` (the main face's boxes per frame)."),
    output: Path = typer.Option(..., "--output", "-o", help="Actions JSONL, one record per clip; an existing file is resumed."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Write one timeline figure per clip under DIR/ (signals, events, key-frame faces)."),
    workers: int = typer.Option(1, "--workers", "-w", help="Worker processes on this machine."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Start the output over instead of resuming."),
    retry_errors: bool = typer.Option(False, "--retry-errors", help="Run again the clips that failed before."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Fit 68 landmarks to every main person's face at every analysed frame and turn them into events: mouth opens
    and closes, smiles, blinks, eyes widen or narrow, brows raise or lower, the head turns, tilts, lifts, lowers,
    nods.  The record speaks for the person measured most reliably; the others are kept beside them.

    Under `accelerate launch` each process takes its shard of the clips and the first process merges the results."""
    require("actions", "fda actions")
    from fdacli.core.actions.events import VERSION
    from fdacli.core.actions.measure import ActionMeter, items_from_tracks
    from fdacli.core.run import outputs, runner
    from fdacli.core.run.records import RecordError
    from fdacli.core.run.readers import read_tracks

    try:
        recs = [r for _, r in read_tracks(tracks)]
        if plot is not None:
            outputs.check(plot, folder=True)
        items = items_from_tracks(recs, tracks.parent)
        plan = runner.plan(items, output, overwrite=overwrite, retry_errors=retry_errors, command="actions", inputs=[tracks],
                           settings={"version": VERSION})  # a rerun by another version of the measurement is refused
    except (RecordError, outputs.OutputError) as exc:
        fail(str(exc))
    done = run_records(plan, ActionMeter, {it.id for it in items}, output, workers=workers, verb="measuring", noun="clip",
                       cannot_start="the landmark model", quiet=quiet)
    if done is None:
        return
    records, show = done
    if plot is not None:
        _plots(records, {r["id"]: r for r in recs}, plot, quiet=not show)
    if show:
        _summary(records, output)
    if any(r.get("status") == "error" for r in records):
        raise typer.Exit(1)


def _plots(records: list[dict], tracks: dict[str, dict], folder: Path, quiet: bool) -> None:
    """A figure for every measured clip that has none yet (so --plot on a resumed run draws the earlier clips
    too); a figure that cannot be drawn is a warning, never a lost measurement."""
    from fdacli.core.actions.plot import plot_path, plot_timeline

    todo = [r for r in records if r["status"] == "ok" and not plot_path(r, folder).exists()]
    with progress_bar(len(todo), "plotting", quiet=quiet or not todo) as bar:
        for rec in todo:
            try:
                plot_timeline(rec, tracks[rec["id"]], folder)
            except Exception as exc:  # noqa: BLE001 - matplotlib and decoding errors alike
                flag("warning", "yellow", f"{rec['id']}: no plot ({type(exc).__name__}: {exc})")
            bar.advance(rec["id"])


def _summary(records: list[dict], output: Path) -> None:
    ok = [r for r in records if r["status"] == "ok"]
    errors = [r for r in records if r["status"] != "ok"]
    kinds: dict[str, int] = {}
    for r in ok:
        for k, n in r.get("summary", {}).items():
            kinds[k] = kinds.get(k, 0) + n
    qual = [r["mean_quality"] for r in ok if r.get("mean_quality") is not None]
    console.print(table(f"fda actions → {output}", ["clips", "ok", "error", "no main face", "other people", "frames left out",
                                                    "events", "mean quality"],
                        [[len(records), len(ok), len(errors), sum(1 for r in ok if not r.get("main_face")),
                          sum(len(r.get("others") or []) for r in ok), _left_out(ok),
                          sum(len(r.get("events", [])) for r in ok), round(sum(qual) / len(qual), 2) if qual else "–"]]))
    if kinds:
        console.print(table("events by kind", ["event", "count"], [[k, n] for k, n in sorted(kinds.items(), key=lambda x: -x[1])]))
    for r in errors[:10]:
        flag("error", "red", f"{r['id']}: {r['error']}")


def _left_out(records: list[dict]) -> int:
    """Frames whose landmark fit could not be trusted, of every person measured (subjects and others)."""
    people = [p for r in records for p in (r, *(r.get("others") or []))]
    return sum(run["frames"] for p in people for run in p.get("left_out") or [])
