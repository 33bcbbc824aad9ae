"""fda caption — describe the main character's facial dynamics in videos."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from fdacli.commands import endpoint as ep
from fdacli.commands.display import console, fail, flag, progress_bar, say, table
from fdacli.commands.extras import require
from fdacli.core.caption.options import CaptionOptions as C


def caption(
    videos: list[Path] = typer.Argument(None, help="Video files, folders (recursive) or manifest .jsonl files."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="FaceTrack-MM checkpoint folder (a `fda finetune` output or one of its checkpoint-N)."),
    backend: Optional[str] = typer.Option(None, "--backend", help="openai:MODEL — caption through an OpenAI-compatible vision endpoint instead; "
                                          "timeline — a plain caption from measured facial actions, no model at all "
                                          "(the default without --model: clips are tracked and measured now, or read from --actions)."),
    actions: Optional[Path] = typer.Option(None, "--actions", help="actions.jsonl from `fda actions`, for the timeline backend "
                                           "(VIDEOS may then be left out: every measured clip is captioned)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Predictions JSONL {id, video, caption, model}; resumed if it exists. Without it captions go to stdout."),
    tracks: Optional[Path] = typer.Option(None, "--tracks", help="tracks.jsonl from `fda track`; videos not in it are tracked now."),
    video_root: list[Path] = typer.Option([], "--video-root", help="Folder(s) that relative video paths resolve against."),
    prompt: Optional[str] = typer.Option(None, "--prompt", help="Instruction to use instead of the training phrasings."),
    instruction: str = typer.Option(C.instruction, "--instruction", help="Which training phrasing: 0-19, or 'random' (per id, from --seed)."),
    batch_size: int = typer.Option(4, "--batch-size", "-b", help="Clips per generate call (local model)."),
    max_new_tokens: int = typer.Option(C.max_new_tokens, help="Longest caption in tokens."),
    sample: bool = typer.Option(False, "--sample", help="Sampled decoding (default: greedy)."),
    temperature: float = typer.Option(C.temperature, help="Sampling temperature (with --sample; the endpoint's temperature otherwise 0)."),
    top_p: float = typer.Option(C.top_p, help="Nucleus sampling mass (with --sample)."),
    seed: int = typer.Option(C.seed, help="Seed for --instruction random and sampled decoding."),
    base_llm: Optional[str] = typer.Option(None, "--base-llm", help="Base LLM to put the adapter on, when it has moved since training."),
    precision: str = typer.Option("auto", help="auto (bf16 on a GPU, else fp32), bf16, fp16 or fp32."),
    attn_implementation: str = typer.Option("sdpa", help="sdpa, flash_attention_2 or eager."),
    detector: str = typer.Option("yunet", help="Face detector for videos that are tracked now."),
    base_url: ep.BaseUrl = None,
    api_key_env: ep.ApiKeyEnv = ep.DEFAULT_KEY_ENV,
    concurrency: ep.Concurrency = ep.DEFAULT_CONCURRENCY,
    timeout: ep.Timeout = ep.DEFAULT_TIMEOUT,
    max_retries: ep.MaxRetries = ep.DEFAULT_RETRIES,
    face_crops: bool = typer.Option(False, "--face-crops", help="Also send face-crop grids (--backend)."),
    cache_dir: ep.CacheDir = None,
    no_cache: ep.NoCache = False,
    overwrite: bool = typer.Option(False, "--overwrite", help="Start the output over instead of resuming."),
    retry_errors: bool = typer.Option(False, "--retry-errors", help="Caption again the clips that failed before."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Caption videos with a FaceTrack-MM checkpoint (--model), through an OpenAI-compatible endpoint (--backend
    openai:MODEL), or from measured facial actions (--backend timeline, the baseline every model should beat, and
    what `fda caption VIDEO` does without a model: the clip is tracked and measured now).

    Under `accelerate launch` each process captions its shard and the first process merges them into OUTPUT.
    """
    from fdacli.core.run import runner
    from fdacli.core.caption.captioning import ClipSource, EndpointCaptioner, instruction_for
    from fdacli.core.run.inputs import collect_videos
    from fdacli.core.run.outputs import OutputError
    from fdacli.core.run.records import RecordError
    from fdacli.core.run.readers import read_tracks

    if model is not None and backend is not None:
        fail("give one of --model CHECKPOINT or --backend openai:MODEL|timeline, not both")
    if model is not None:
        require("train", "fda caption --model (a FaceTrack-MM checkpoint)")
    if model is None and backend in (None, "timeline"):
        return _timeline(videos, actions, output, overwrite, retry_errors, quiet, tracks=tracks, roots=list(video_root),
                         detector=detector, chosen=backend is not None)
    if actions is not None:
        fail("--actions is for --backend timeline")
    if backend is not None and not backend.startswith("openai:"):
        fail(f"unknown backend {backend!r}: use openai:MODEL (any OpenAI-compatible endpoint, with --base-url) or timeline")
    if not videos:
        fail("give video files, folders or a manifest")
    if batch_size < 1:
        fail("--batch-size must be at least 1")
    opts = C(prompt=prompt, instruction=instruction, seed=seed, max_new_tokens=max_new_tokens, do_sample=sample,
                          temperature=temperature, top_p=top_p)
    try:
        instruction_for("x", opts)
        items = collect_videos(list(videos))
        track_recs = {r["id"]: r for _, r in read_tracks(tracks)} if tracks else None
    except (RecordError, ValueError) as exc:
        fail(str(exc))
    except FileNotFoundError as exc:
        fail(f"file not found: {exc.filename}")
    roots = list(video_root) + ([tracks.parent] if tracks else [])
    # the worker first: a refused endpoint option or an unreadable checkpoint stops before the output is touched
    if backend is not None:
        client = _endpoint(backend[len("openai:"):], base_url, api_key_env, temperature if sample else 0.0,
                           max_new_tokens, concurrency, timeout, max_retries, cache_dir, no_cache)
        worker = EndpointCaptioner(client, opts, face_crops)
    else:
        worker, client = _local(model, opts, base_llm, precision, attn_implementation), None

    def make_tracker():  # videos without a tracks record are tracked as `fda track` would, at the model's frame count
        from fdacli.core.track.pipeline import FaceTrackingModule, TrackOptions

        return FaceTrackingModule(TrackOptions(detector=detector, key_frames=opts.num_frames))

    source = ClipSource(track_recs, roots, make_tracker)
    if output is None:
        plan = None
        todo = items
    else:
        try:
            plan = runner.plan(items, output, overwrite=overwrite, retry_errors=retry_errors, command="caption",
                               inputs=[*videos, *([tracks] if tracks else [])],
                               settings={"model": str(model) if model else None, "backend": backend, "prompt": prompt,
                                         "instruction": instruction, "sample": sample, "face_crops": face_crops})
        except (RecordError, OutputError) as exc:
            fail(str(exc))
        todo = plan.todo
        if not quiet and plan.skipped:
            say(f"resuming {output}: {plan.skipped} clip(s) already done, {len(todo)} to go")
    done = []
    writer = plan.writer if plan else None
    try:
        with progress_bar(len(todo), "captioning", quiet=quiet or not todo,
                          status=client.stats.line if client is not None else None) as bar:
            for rec in _run(worker, source, todo, writer, batch_size, concurrency):
                done.append(rec)
                bar.advance(f"{rec['id']}: {rec['status']}")
                if output is None:
                    typer.echo(rec["caption"] if rec["status"] == "ok" and len(items) == 1 else
                               f"{rec['id']}\t{rec.get('caption') or 'ERROR: ' + str(rec['error'])}")
    except runner.StopRun as exc:
        ep.stopped(exc, f"{len(done)} clip(s) written before; rerun to resume")
    finally:
        if writer is not None:
            writer.close()
        if client is not None:
            client.close()
    if plan is not None:
        runner.finish(output, plan.shard)
    errors = [r for r in done if r["status"] == "error"]
    if not quiet and output is not None and plan.shard.is_main:
        console.print(table(f"fda caption → {output}", ["clips", "ok", "error", "model"],
                            [[len(done), len(done) - len(errors), len(errors), done[0]["model"] if done else "-"]]))
    if not quiet:
        for r in errors[:10]:
            flag("error", "red", f"{r['id']}: {r['error']}")
    if errors:
        raise typer.Exit(1)


def _timeline(videos, actions: Optional[Path], output: Optional[Path], overwrite: bool, retry_errors: bool, quiet: bool,
              tracks: Optional[Path] = None, roots: list[Path] | None = None, detector: str = "yunet", chosen: bool = True) -> None:
    """The timeline backend: captions from measured facial actions, resumable like every backend — read from
    --actions, or (no --actions) measured now: each clip tracked (unless --tracks has it) and measured."""
    from fdacli.core.caption.captioning import TimelineCaptioner
    from fdacli.core.run import runner
    from fdacli.core.run.inputs import VideoItem, collect_videos
    from fdacli.core.run.outputs import OutputError
    from fdacli.core.run.records import RecordError
    from fdacli.core.run.readers import actions_by_id, read_tracks

    if actions is None and not videos:
        fail("--backend timeline needs --actions actions.jsonl (from `fda actions`) or videos to track and measure now"
             if chosen else "give video files, folders or a manifest (or --actions actions.jsonl from `fda actions`)")
    if actions is None:
        require("actions", "fda caption without --model (captions from the measured timeline)",
                hint="or caption with a FaceTrack-MM checkpoint: --model CHECKPOINT")
    if not chosen and not quiet:
        source = f"the facial actions in {actions}" if actions else "the clip tracked and its facial actions measured now"
        say(f"no --model given: captioning from the measured timeline ({source}; no model, the baseline). For "
            "FaceTrack-MM captions give --model CHECKPOINT (a `fda finetune` output); --backend openai:MODEL for a "
            "vision endpoint.")
    try:
        recs = actions_by_id(actions, ok_only=False) if actions else None  # checked at the door; failed ones caption as errors
        items = collect_videos(list(videos)) if videos else [VideoItem(i, r["video"]) for i, r in recs.items()]
        track_recs = {str(r["id"]): r for _, r in read_tracks(tracks)} if tracks and not actions else {}
        plan = runner.plan(items, output, overwrite=overwrite, retry_errors=retry_errors, command="caption",
                           inputs=[*(videos or []), *([actions] if actions else []), *([tracks] if track_recs else [])],
                           settings={"model": None, "backend": "timeline"}) if output is not None else None
    except (RecordError, OutputError) as exc:
        fail(str(exc))
    except FileNotFoundError as exc:
        fail(f"file not found: {exc.filename}")
    worker = TimelineCaptioner(recs) if recs is not None else MeasureNow(track_recs, [*(roots or []), *([tracks.parent] if tracks else [])], detector)
    todo = plan.todo if plan else items
    done = []
    try:
        with progress_bar(len(todo), "captioning", quiet=quiet or not todo) as bar:
            for rec in runner.run_threads(todo, worker, plan.writer if plan else runner.NullWriter(), 1):
                done.append(rec)
                bar.advance(f"{rec['id']}: {rec['status']}")
                if output is None:
                    typer.echo(rec["caption"] if rec["status"] == "ok" and len(items) == 1 else
                               f"{rec['id']}\t{rec.get('caption') or 'ERROR: ' + str(rec['error'])}")
    finally:
        if plan is not None:
            plan.writer.close()
    if plan is not None:
        runner.finish(output, plan.shard)
    errors = [r for r in done if r["status"] == "error"]
    if not quiet and output is not None:
        console.print(table(f"fda caption → {output}", ["clips", "ok", "error", "model"],
                            [[len(done), len(done) - len(errors), len(errors), "timeline"]]))
    if not quiet:
        for r in errors[:10]:
            flag("error", "red", f"{r['id']}: {r['error']}")
    if errors:
        raise typer.Exit(1)


class MeasureNow:
    """The timeline captioner on clips nobody measured: each clip tracked and measured in one decoding (`fda
    track --actions`'s composition) unless a tracks record has it, then captioned.  The command composes the
    stages (a stage never imports another); the tracking and landmark models are built on first need, once."""

    def __init__(self, tracks: dict[str, dict], roots: list[Path], detector: str) -> None:
        self.tracks, self.roots, self.detector = tracks, roots, detector
        self._both = self._meter = None

    def __call__(self, item) -> dict:
        from fdacli.core.caption.captioning import TimelineCaptioner
        from fdacli.core.run.records import error_record
        from fdacli.core.run.schemas import CAPTIONS

        try:
            measured = self._measure(item)
        except Exception as exc:  # noqa: BLE001 - a clip that cannot be tracked or measured is this clip's error record
            return error_record(item.id, f"could not track and measure it: {str(exc).splitlines()[0] if str(exc) else exc}",
                                video=item.video, model="timeline", backend="timeline", version=CAPTIONS)
        return TimelineCaptioner({item.id: measured})(item)

    def _measure(self, item) -> dict:
        from fdacli.core.actions.measure import ActionItem, ActionMeter
        from fdacli.core.run.inputs import resolve_video

        rec = self.tracks.get(item.id)
        if rec is None:  # tracked and measured on the same frames
            if self._both is None:
                from fdacli.commands.track import TrackAndMeasure
                from fdacli.core.track.pipeline import TrackOptions

                self._both = TrackAndMeasure(TrackOptions(detector=self.detector))
            return self._both(item)["parts"][1]
        if self._meter is None:
            self._meter = self._both.meter if self._both else ActionMeter()
        return self._meter(ActionItem(item.id, resolve_video(rec.get("video") or item.video, self.roots), rec))


def _local(model: Path, opts, base_llm, precision: str, attn: str):
    from fdacli.core.caption.captioning import LocalCaptioner

    if not model.is_dir():
        fail(f"checkpoint folder not found: {model}")
    device = "cpu"
    import torch

    if torch.cuda.is_available():
        from fdacli.core.run import dist

        device = f"cuda:{dist.current().local_rank}"
    if precision not in ("auto", "bf16", "fp16", "fp32"):
        fail(f"unknown precision {precision!r}")
    try:
        return LocalCaptioner(model, opts, device, precision, base_llm, attn)
    except (FileNotFoundError, ValueError, OSError) as exc:
        fail(str(exc))


def _endpoint(name, base_url, api_key_env, temperature, max_tokens, concurrency, timeout, max_retries, cache_dir, no_cache):
    """The endpoint's client; --max-new-tokens is the caption's token limit, as for a local model."""
    return ep.open_client(name, "caption", base_url=base_url, api_key_env=api_key_env, temperature=temperature,
                          max_tokens={"caption": max_tokens}, timeout=timeout, max_retries=max_retries,
                          concurrency=concurrency, cache_dir=cache_dir, no_cache=no_cache)


def _run(worker, source, todo, writer, batch_size: int, concurrency: int):
    """Records in completion order: batches through a local model, a thread pool for an endpoint."""
    from fdacli.core.run import runner
    from fdacli.core.caption.captioning import EndpointCaptioner

    def with_spec(item):
        try:
            return item, source.spec(item)
        except Exception as exc:  # noqa: BLE001 - any tracking failure becomes this clip's error record
            return item, exc if isinstance(exc, (OSError, ValueError, RuntimeError)) else RuntimeError(str(exc))

    if isinstance(worker, EndpointCaptioner):
        yield from runner.run_threads(todo, lambda item: worker(with_spec(item)), writer or runner.NullWriter(), concurrency)
        return
    yield from runner.run_batches(todo, lambda chunk: worker.caption_batch([with_spec(it) for it in chunk]),
                                  writer or runner.NullWriter(), batch_size)
