"""fda preannotate — first-draft captions from a multimodal LLM, for annotators to correct."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from fdacli.commands import endpoint as ep
from rich.markup import escape

from fdacli.commands.display import console, fail, flag, progress_bar, say, table


def preannotate(
    tracks: Path = typer.Argument(..., help="tracks.jsonl from `fda track` (key frames and main-face boxes)."),
    output: Path = typer.Option(..., "--output", "-o", help="Pre-annotations JSONL; an existing file is resumed."),
    model: str = typer.Option("gpt-4o", "--model", "-m", help="Vision model name at the endpoint."),
    base_url: ep.BaseUrl = None,
    api_key_env: ep.ApiKeyEnv = ep.DEFAULT_KEY_ENV,
    temperature: float = typer.Option(0.0, help="Sampling temperature."),
    max_tokens: ep.MaxTokens = None,
    concurrency: ep.Concurrency = ep.DEFAULT_CONCURRENCY,
    timeout: ep.Timeout = ep.DEFAULT_TIMEOUT,
    max_retries: ep.MaxRetries = ep.DEFAULT_RETRIES,
    face_crops: bool = typer.Option(False, "--face-crops", help="Also send the main character's face crops (2x2 grids)."),
    cell: int = typer.Option(384, help="Long side of one grid cell in pixels."),
    hints: Optional[Path] = typer.Option(None, "--hints", help="actions.jsonl from `fda actions`: add each clip's measured "
                                         "facial-movement timeline, in words with times, to the prompt (a versioned prompt; "
                                         "without it the paper's prompt is sent unchanged)."),
    save_grids: Optional[Path] = typer.Option(None, "--save-grids", help="Keep the images sent, under DIR/<id>/, so annotators see what the model saw."),
    cache_dir: ep.CacheDir = None,
    no_cache: ep.NoCache = False,
    overwrite: bool = typer.Option(False, "--overwrite", help="Start the output over instead of resuming."),
    retry_errors: bool = typer.Option(False, "--retry-errors", help="Run again the clips that failed before."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Send each clip's key frames as 2x2 grids with the supplement's prompt; write one draft caption per clip."""
    from fdacli.core.annotate.preannotation import PreannotateOptions, Preannotator, items_from_tracks
    from fdacli.core.llm import prompts
    from fdacli.core.run import outputs, runner
    from fdacli.core.run.records import RecordError
    from fdacli.core.run.readers import read_tracks

    # everything that would fail every clip is checked before the output is touched
    client = ep.open_client(model, "preannotate", base_url=base_url, api_key_env=api_key_env, temperature=temperature,
                            max_tokens=ep.token_limits(max_tokens, ("preannotate",)), timeout=timeout, max_retries=max_retries, concurrency=concurrency,
                            cache_dir=cache_dir, no_cache=no_cache)
    try:
        recs = [r for _, r in read_tracks(tracks)]
        timelines = _timelines(hints) if hints is not None else None
        if save_grids is not None:
            outputs.check(save_grids, folder=True)
        settings = {"model": model, "temperature": temperature, "face_crops": face_crops, "cell": cell,
                    "hints": hints is not None, "prompt": prompts.PREANNOTATE_VERSION}
        plan = runner.plan(items_from_tracks([r for r in recs if r.get("status", "ok") == "ok"], tracks.parent), output,
                           overwrite=overwrite, retry_errors=retry_errors, command="preannotate", inputs=[tracks],
                           settings=settings)
    except (RecordError, outputs.OutputError) as exc:
        fail(str(exc))
    not_ok = sum(1 for r in recs if r.get("status", "ok") != "ok")
    worker = Preannotator(client, PreannotateOptions(cell=cell, face_crops=face_crops, save_grids=str(save_grids) if save_grids else None,
                                                     hints=timelines))
    if timelines is not None and not quiet and (missing := sum(1 for r in recs if r["id"] not in timelines)):
        console.print(f"[yellow]note:[/] {missing} clip(s) have no measured timeline in {escape(str(hints))}: the paper's prompt alone")
    if not quiet and plan.skipped:
        say(f"resuming {output}: {plan.skipped} clip(s) already done, {len(plan.todo)} to go")
    done = []
    try:
        with progress_bar(len(plan.todo), "pre-annotating", quiet=quiet, status=client.stats.line) as bar:
            for rec in runner.run_threads(plan.todo, worker, plan.writer, concurrency):
                done.append(rec)
                bar.advance(f"{rec['id']}: {rec['status']}")
    except runner.StopRun as exc:
        ep.stopped(exc, f"{len(done)} clip(s) written before; rerun to resume")
    finally:
        plan.writer.close()
        client.close()
    errors = [r for r in done if r["status"] == "error"]
    if not quiet:
        s = client.stats.as_dict()
        console.print(table(f"fda preannotate → {output}", ["clips", "ok", "error", "requests", "cache hits", "prompt tokens", "completion tokens"],
                            [[len(done), len(done) - len(errors), len(errors), s["requests"], s["cache_hits"], s["prompt_tokens"], s["completion_tokens"]]]))
        if not_ok:
            console.print(f"{not_ok} tracks record(s) with status error were skipped")
        for r in errors[:10]:
            flag("error", "red", f"{r['id']}: {r['error']}")
    if errors:
        raise typer.Exit(1)


def _timelines(path: Path) -> dict[str, str]:
    """id -> the measured timeline in words, from an `fda actions` file (clips measured without error)."""
    from fdacli.core.run.readers import actions_by_id
    from fdacli.core.text.timeline import hints, reliable

    # a clip without a well-measured face gets the paper's prompt, not "nothing moved"
    return {rid: hints(rec["events"]) for rid, rec in actions_by_id(path).items() if reliable(rec)}
