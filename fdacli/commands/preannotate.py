"""fda preannotate — first-draft captions from a multimodal LLM, for annotators to correct."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from fdacli.commands.display import console, fail, flag, progress_bar, say, table


def preannotate(
    tracks: Path = typer.Argument(..., help="tracks.jsonl from `fda track` (key frames and main-face boxes)."),
    output: Path = typer.Option(..., "--output", "-o", help="Pre-annotations JSONL; an existing file is resumed."),
    model: str = typer.Option("gpt-4o", "--model", "-m", help="Vision model name at the endpoint."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint (vLLM, Ollama, ...); default OpenAI."),
    api_key_env: str = typer.Option("OPENAI_API_KEY", "--api-key-env", help="Environment variable that holds the API key."),
    temperature: float = typer.Option(0.0, help="Sampling temperature."),
    max_tokens: Optional[int] = typer.Option(1024, help="Longest reply."),
    concurrency: int = typer.Option(4, help="Clips in flight at once."),
    timeout: float = typer.Option(120.0, help="Seconds before a request is retried."),
    max_retries: int = typer.Option(5, help="Retries on 429 / 5xx / timeouts, with exponential backoff."),
    face_crops: bool = typer.Option(False, "--face-crops", help="Also send the main character's face crops (2x2 grids)."),
    cell: int = typer.Option(384, help="Long side of one grid cell in pixels."),
    save_grids: Optional[Path] = typer.Option(None, "--save-grids", help="Keep the images sent, under DIR/<id>/, so annotators see what the model saw."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Reply cache folder (default: $FDA_CACHE_DIR or ~/.cache/fdacli)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the reply cache."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Start the output over instead of resuming."),
    retry_errors: bool = typer.Option(False, "--retry-errors", help="Run again the clips that failed before."),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Send each clip's key frames as 2x2 grids with the supplement's prompt; write one draft caption per clip."""
    from fdacli.core.run import runner
    from fdacli.core.llm.cache import open_cache
    from fdacli.core.llm.client import LLMClient, LLMConfig
    from fdacli.core.annotate.preannotation import PreannotateOptions, Preannotator, items_from_tracks
    from fdacli.core.run.records import RecordError, read_jsonl

    import os

    try:  # everything that would fail every clip is checked before the output is touched
        config = LLMConfig(model=model, base_url=base_url, api_key_env=api_key_env, temperature=temperature,
                           max_tokens=max_tokens, timeout=timeout, max_retries=max_retries, concurrency=concurrency)
    except ValueError as exc:
        fail(str(exc))
    if not base_url and not os.environ.get(api_key_env):
        fail(f"no API key: set the environment variable {api_key_env} (or use --base-url for a local server)")
    try:
        recs = [r for _, r in read_jsonl(tracks, require=("id", "video"))]
        plan = runner.plan(items_from_tracks([r for r in recs if r.get("status", "ok") == "ok"], tracks.parent), output,
                           overwrite=overwrite, retry_errors=retry_errors)
    except RecordError as exc:
        fail(str(exc))
    not_ok = sum(1 for r in recs if r.get("status", "ok") != "ok")
    cache = open_cache("preannotate", cache_dir, enabled=not no_cache)
    client = LLMClient(config, cache)
    worker = Preannotator(client, PreannotateOptions(cell=cell, face_crops=face_crops, save_grids=str(save_grids) if save_grids else None))
    if not quiet and plan.skipped:
        say(f"resuming {output}: {plan.skipped} clip(s) already done, {len(plan.todo)} to go")
    done = []
    try:
        with progress_bar(len(plan.todo), "pre-annotating", quiet=quiet) as bar:
            for rec in runner.run_threads(plan.todo, worker, plan.writer, concurrency):
                done.append(rec)
                bar.advance(f"{rec['id']}: {rec['status']}")
    except runner.StopRun as exc:
        fail(f"stopped: {exc} ({len(done)} clip(s) written before)")
    finally:
        plan.writer.close()
        cache.close()
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
