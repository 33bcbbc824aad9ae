"""fda finetune — train FaceTrack-MM on instruction data (paper §5.1)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Optional

import typer

from fdacli.commands.display import console, fail, flag, progress_bar, say, table
from fdacli.commands.extras import require
from fdacli.core.model.config import FaceTrackMMConfig as M
from fdacli.core.train.options import TrainOptions as TO


def finetune(
    train: Path = typer.Argument(..., help="Training JSONL from `fda build-instructions` (VideoLLaMA2 conversations)."),
    output: Path = typer.Option(..., "--output", "-o", help="Output folder: checkpoints, the final model, TensorBoard logs."),
    video_root: list[Path] = typer.Option([], "--video-root", help="Folder(s) that relative video paths resolve against."),
    tracks: Optional[Path] = typer.Option(None, "--tracks", help="tracks.jsonl from `fda track`, for samples without key frames."),
    llm: str = typer.Option(M.llm, "--llm", help="Base causal LM: hub name or local folder."),
    vision_tower: str = typer.Option(M.vision_tower, "--vision-tower", help="CLIP or SigLIP vision model: hub name or local folder."),
    connector: str = typer.Option(M.connector, help="Video projector: stc (VideoLLaMA2's STC) or mlp (small setups)."),
    face_encoder: str = typer.Option(M.face_encoder, help="vision_tower (the tower on face crops), swin_t/swin_s/swin_b (FaceXFormer-style, needs --face-encoder-path) or none."),
    face_encoder_path: Optional[Path] = typer.Option(None, help="Checkpoint of the Swin face encoder (FaceXFormer's backbone)."),
    num_frames: int = typer.Option(M.num_frames, help="Frames per clip (the key frames of the track)."),
    epochs: float = typer.Option(TO.epochs, help="Passes over the data."),
    batch_size: int = typer.Option(TO.global_batch, "--batch-size", help="Global batch: per-device batch × processes × accumulation."),
    per_device_batch_size: int = typer.Option(TO.per_device_batch, "--per-device-batch-size", help="Samples per forward pass on each process."),
    lr: float = typer.Option(TO.lr, "--lr", help="Learning rate of the LoRA weights."),
    projector_lr: float = typer.Option(TO.projector_lr, "--projector-lr", help="Learning rate of the connector and face projector."),
    warmup_ratio: float = typer.Option(TO.warmup_ratio, help="Share of steps spent warming up before the cosine decay."),
    weight_decay: float = typer.Option(TO.weight_decay, help="AdamW weight decay of the trained weights."),
    lora_r: int = typer.Option(TO.lora_r, help="LoRA rank (the paper: 64)."),
    lora_alpha: int = typer.Option(TO.lora_alpha, help="LoRA alpha (the paper: 128)."),
    lora_dropout: float = typer.Option(TO.lora_dropout, help="Dropout on the LoRA branch (VideoLLaMA2: 0.05)."),
    precision: str = typer.Option(TO.precision, help="auto (bf16 on a GPU that has it, else fp32), bf16, fp16 or fp32."),
    attn_implementation: str = typer.Option(TO.attn_implementation, help="sdpa, flash_attention_2 or eager."),
    gradient_checkpointing: bool = typer.Option(TO.gradient_checkpointing, "--gradient-checkpointing/--no-gradient-checkpointing", help="Recompute activations in the backward pass (less memory, ~30% slower)."),
    save_steps: int = typer.Option(TO.save_steps, help="Write a resumable checkpoint every N optimizer steps (0: only the final model)."),
    max_steps: Optional[int] = typer.Option(None, help="Stop after this many optimizer steps."),
    max_text_tokens: int = typer.Option(TO.max_text_tokens, help="Longest tokenised conversation (visual tokens not counted)."),
    seed: int = typer.Option(TO.seed, help="Seed of the sample order, LoRA initialisation and dropout."),
    num_workers: int = typer.Option(TO.num_workers, help="Data-loading processes per training process."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Skip samples that fail to load (counted) instead of stopping."),
    resume: Optional[str] = typer.Option(None, "--resume", help="A checkpoint folder, or 'latest'. A rerun onto an output with checkpoints resumes from the latest anyway."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Start over, deleting the output folder's checkpoints."),
    merge: bool = typer.Option(False, "--merge", help="Also write OUTPUT/merged: LoRA folded into the LLM, self-contained."),
    gpus: Optional[int] = typer.Option(None, "--gpus", help="Run under `accelerate launch` with this many processes (GPUs; CPU processes on a machine without one)."),
    accelerate_config: Optional[Path] = typer.Option(None, "--accelerate-config", help="accelerate config file (multi-node, DeepSpeed ZeRO-2/3, FSDP); used with --gpus."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan (parameters, tokens per sample, schedule, memory) and exit."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """LoRA fine-tuning of FaceTrack-MM: frozen vision tower, STC connector and face projector trained fully.

    Checkpoints (adapter, projectors, optimizer, scheduler, RNG) every --save-steps; each one resumes and captions.
    """
    require("train", "fda finetune")
    from fdacli.core.run import dist as launch

    if gpus is not None and not launch.under_launcher() and not dry_run:
        _relaunch(gpus, accelerate_config)
    from fdacli.core.run.records import RecordError
    from fdacli.core.train.samples import load_samples  # no torch: a bad file stops before anything heavy loads

    if not train.is_file():
        fail(f"training file not found: {train}")
    for root in video_root:
        if not root.is_dir():
            fail(f"--video-root is not a folder: {root}")
    if tracks is not None and not tracks.is_file():
        fail(f"tracks file not found: {tracks}")
    if precision not in ("auto", "bf16", "fp16", "fp32"):
        fail(f"unknown precision {precision!r} (auto, bf16, fp16, fp32)")
    cfg = M(llm=llm, vision_tower=vision_tower, connector=connector, num_frames=num_frames,
                            face_encoder=face_encoder, face_encoder_path=str(face_encoder_path) if face_encoder_path else None)
    opts = TO(
        epochs=epochs, global_batch=batch_size, per_device_batch=per_device_batch_size, lr=lr, projector_lr=projector_lr,
        warmup_ratio=warmup_ratio, weight_decay=weight_decay, lora_r=lora_r, lora_alpha=lora_alpha, lora_dropout=lora_dropout,
        precision=precision, gradient_checkpointing=gradient_checkpointing, attn_implementation=attn_implementation,
        save_steps=save_steps, max_steps=max_steps, seed=seed, num_workers=num_workers, skip_bad=skip_bad,
        max_text_tokens=max_text_tokens)
    try:
        samples = load_samples(train, tracks, list(video_root))
    except RecordError as exc:
        fail(str(exc))
    from fdacli.core.train.checkpoints import check_resume
    from fdacli.core.train.plan import plan

    world = gpus or _world_size()
    if dry_run:
        try:
            p = plan(cfg, opts, samples, world)
        except (ValueError, OSError) as exc:  # transformers' hub errors are OSErrors
            first = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)
            fail(f"cannot read the model configs for the plan ({first[:200]}); a model that is not on this machine "
                 "can be given as a local folder: --llm DIR --vision-tower DIR")
        console.print(table(f"fda finetune --dry-run: {train} → {output}", ["", "plan"], p.rows))
        return
    start = _resume_point(output, resume, overwrite)
    if start is not None:
        try:
            check_resume(start, cfg, opts)
        except (ValueError, OSError) as exc:
            fail(str(exc))
    _train(cfg, opts, samples, output, start, merge, quiet)


def _world_size() -> int:
    from fdacli.core.run import dist

    return dist.current().world_size


def _relaunch(gpus: int, config: Optional[Path]) -> None:
    import subprocess

    from fdacli.core.run import dist as launch

    if gpus < 1:
        fail("--gpus must be at least 1")
    argv = launch.strip_option(sys.argv[1:], ("--gpus",))
    argv = launch.strip_option(argv, ("--accelerate-config",))
    cmd, env = launch.launch_command(gpus, argv, str(config) if config else None)
    raise typer.Exit(subprocess.call(cmd, env=env))


def _resume_point(output: Path, resume: Optional[str], overwrite: bool) -> Optional[Path]:
    import shutil

    from fdacli.core.train import checkpoints as ck

    if overwrite and output.exists() and _is_main():
        for p in list(output.glob("checkpoint-*")) + [output / n for n in ("runs", "merged", ck.TRAINING_STATE)]:
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        (output / ck.STATE).unlink(missing_ok=True)
    if overwrite:
        return None
    if resume is None and ck.is_finished(output):
        fail(f"{output} already holds a finished training run; pass --overwrite to train again, or --resume CHECKPOINT")
    if resume is None and not any(output.glob("checkpoint-*/" + ck.STATE)):
        return None
    try:
        return ck.find_checkpoint(output, resume or "latest")
    except FileNotFoundError as exc:
        fail(str(exc))


def _is_main() -> bool:
    from fdacli.core.run import dist

    return dist.current().is_main


def _train(cfg, opts, samples, output: Path, start: Optional[Path], merge: bool, quiet: bool) -> None:
    from fdacli.core.model import checkpoint as ckpt
    from fdacli.core.train.data import BadSampleError
    from fdacli.core.train.trainer import Trainer

    main = _is_main()
    t0 = time.perf_counter()
    import pickle

    try:
        trainer = Trainer(cfg, opts, samples, output, start)
    except (ValueError, OSError) as exc:
        fail(str(exc))
    except pickle.UnpicklingError as exc:  # torch.load(weights_only=True) refusing what is not plain tensors
        if start is None:
            raise
        fail(f"cannot resume from {start}: its training state is not plain tensors and numbers "
             f"({str(exc).splitlines()[0][:200]}); start over with --overwrite")
    if main and not quiet and start is not None:
        say(f"resuming from {start} (step {trainer.step} of {trainer.schedule.total_steps})")
    show = main and not quiet
    try:
        with progress_bar(trainer.schedule.total_steps, "training", quiet=not show, completed=trainer.step) as bar:
            for log in trainer.train():
                bar.set(log.step, f"loss {log.loss:.4f} lr {log.lr:.2e} {log.tokens_per_s:,.0f} tok/s")
                if log.checkpoint:
                    bar.print(f"saved {log.checkpoint}")
    except BadSampleError as exc:
        fail(str(exc), code=1)
    result = trainer.result()
    if merge and main:
        ckpt.merge(output, output / "merged")
    if show:
        losses = result.losses
        console.print(table(f"fda finetune → {output}", ["steps", "first loss", "last loss", "skipped", "minutes"],
                            [[result.steps, f"{losses[0]:.4f}" if losses else "-", f"{losses[-1]:.4f}" if losses else "-",
                              len(result.skipped), f"{(time.perf_counter() - t0) / 60:.1f}"]]))
        for sid, why in result.skipped[:10]:
            flag("skipped", "yellow", f"{sid}: {why}")
        if merge:
            say(f"merged model → {output / 'merged'}")
