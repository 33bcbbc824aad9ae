"""Fine-tuning FaceTrack-MM (paper §5.1): LoRA on the LLM, projectors trained fully, vision tower frozen.

Each step's loss is the mean over samples of each sample's mean token loss, summed over a fixed nominal
micro-batch; a sample skipped as bad (``skip_bad``) contributes nothing rather than being replaced.  The
schedule (core/train/schedule.py) makes the sample order independent of the process count.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch

from fdacli.core.model import checkpoint as ckpt
from fdacli.core.model.config import FaceTrackMMConfig
from fdacli.core.model.facetrack_mm import Batch
from fdacli.core.train.checkpoints import ARGS, STATE, TRAINING_STATE
from fdacli.core.train.data import BadSample, BadSampleError, Sample, SampleLoader, collate
from fdacli.core.train.options import TrainOptions, precision_of, weight_dtype
from fdacli.core.train.schedule import Schedule


@dataclass
class StepLog:
    step: int
    total: int
    epoch: float
    loss: float
    lr: float
    projector_lr: float
    tokens_per_s: float
    samples_per_s: float
    skipped: int
    checkpoint: str | None = None


@dataclass
class TrainResult:
    steps: int
    losses: list[float]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    output: str = ""


def param_groups(model, opts: TrainOptions) -> list[dict[str, Any]]:
    """LoRA weights at ``lr``, projectors at their own ``projector_lr``; everything else stays frozen."""
    lora, proj = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (proj if name.startswith(("connector.", "face_projector.")) else lora).append(p)
    return [{"params": lora, "lr": opts.lr, "weight_decay": opts.weight_decay, "name": "lora"},
            {"params": proj, "lr": opts.projector_lr, "weight_decay": opts.weight_decay, "name": "projectors"}]


def prepare_model(cfg: FaceTrackMMConfig, opts: TrainOptions, resume: Path | None = None):
    """The trainable model: base parts frozen, LoRA added (or the checkpoint's adapter reloaded)."""
    dtype = weight_dtype(precision_of(opts))
    model, tok = ckpt.build(cfg, dtype, opts.attn_implementation)
    model.vision.requires_grad_(False)
    if model.face_encoder is not None:
        model.face_encoder.requires_grad_(False)
    model.llm.requires_grad_(False)
    ckpt.add_lora(model, opts.lora_r, opts.lora_alpha, opts.lora_dropout)
    if resume is not None:
        _load_weights(model, resume)
    if opts.gradient_checkpointing:
        model.llm.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    return model, tok


def _load_weights(model, folder: Path) -> None:
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    set_peft_model_state_dict(model.llm, load_file(str(folder / ckpt.ADAPTER / "adapter_model.safetensors")))
    model.load_projector_state(load_file(str(folder / ckpt.PROJECTORS)))


def _without_model_weights(models: list, *rest) -> None:
    """accelerate's save/load hook: drop the model from its state (adapter and projectors are saved apart)."""
    if rest and isinstance(rest[0], list):  # save hook: (models, weights, output_dir)
        rest[0].clear()
    else:  # load hook: (models, input_dir)
        models.clear()


def _seed(seed: int, rank: int) -> None:
    random.seed(seed + rank)
    np.random.seed(seed + rank)
    torch.manual_seed(seed + rank)


class Trainer:
    def __init__(self, cfg: FaceTrackMMConfig, opts: TrainOptions, samples: list[Sample], out: Path,
                 resume: Path | None = None) -> None:
        from accelerate import Accelerator

        self.cfg, self.opts, self.samples, self.out = cfg, opts, samples, out
        precision = precision_of(opts)
        cpu = not torch.cuda.is_available()
        # The scheduler is stepped once per optimizer step: accelerate's default would step it once per
        # process and bend the curve with the process count.
        self.acc = Accelerator(mixed_precision="no" if precision == "fp32" else precision, cpu=cpu,
                               log_with="tensorboard", project_dir=str(out), step_scheduler_with_optimizer=False)
        # The adapter and projectors are saved as safetensors by core/model/checkpoint.py (what captioning
        # loads); accelerate's state holds the rest and never the frozen base weights.
        self.acc.register_save_state_pre_hook(_without_model_weights)
        self.acc.register_load_state_pre_hook(_without_model_weights)
        _seed(opts.seed, self.acc.process_index)
        self.schedule = Schedule.of(len(samples), opts, self.acc.num_processes)
        self.resume = resume
        self.model, self.tok = prepare_model(cfg, opts, resume)
        from transformers import get_cosine_schedule_with_warmup

        optimizer = torch.optim.AdamW(param_groups(self.model, opts), betas=(0.9, 0.999))
        scheduler = get_cosine_schedule_with_warmup(optimizer, self.schedule.warmup_steps, self.schedule.total_steps)
        self.model, self.optimizer, self.scheduler = self.acc.prepare(self.model, optimizer, scheduler)
        self.loader = SampleLoader(samples, self.tok, cfg, opts.max_text_tokens)
        self.step = 0
        self.losses: list[float] = []
        self.skipped: list[tuple[str, str]] = []
        if resume is not None:
            self._restore(resume)

    @property
    def is_main(self) -> bool:
        return self.acc.is_main_process

    def _restore(self, folder: Path) -> None:
        state = json.loads((folder / STATE).read_text())
        if state["total_steps"] != self.schedule.total_steps or state["global_batch"] != self.opts.global_batch:
            raise ValueError(f"{folder} was trained with {state['total_steps']} steps of {state['global_batch']} samples; "
                             f"this run has {self.schedule.total_steps} of {self.opts.global_batch} — resume with the same data and options")
        self.acc.load_state(str(folder / TRAINING_STATE))  # optimizer, scheduler, RNG; weights_only=True inside
        self.step, self.losses = state["step"], list(state["losses"])
        self.skipped = [tuple(x) for x in state.get("skipped", [])]

    def _batches(self) -> Iterator[tuple[int, list[tuple[Batch | None, list[BadSample]]]]]:
        """(step, its micro-batches) from the current step on, decoded ahead by DataLoader workers."""
        rank, b = self.acc.process_index, self.opts.per_device_batch
        steps = range(self.step, self.schedule.total_steps)
        plan = [(s, self.schedule.micro_batches(s, self.opts.seed, rank, b)) for s in steps]
        flat = [idx for _, micro in plan for mb in micro for idx in mb]
        dl = torch.utils.data.DataLoader(torch.utils.data.Subset(self.loader, flat), batch_size=b, shuffle=False,
                                         num_workers=self.opts.num_workers, collate_fn=collate,
                                         prefetch_factor=2 if self.opts.num_workers else None, persistent_workers=False,
                                         # its own generator: creating the iterator must not draw from the global
                                         # RNG, or a resumed run's dropout masks would be shifted by one draw
                                         generator=torch.Generator().manual_seed(self.opts.seed + self.step))
        it = iter(dl)
        for s, micro in plan:
            yield s, [next(it) for _ in micro]

    def _micro_step(self, batch: Batch | None, last: bool) -> tuple[float, int, int]:
        """Forward/backward of one micro-batch; returns (summed sample loss, samples, tokens)."""
        from contextlib import nullcontext

        model = self.model
        sync = nullcontext() if last else self.acc.no_sync(model)
        with sync:
            if batch is None:  # every sample of this micro-batch was skipped: keep the processes in step
                loss = sum(p.sum() for p in model.parameters() if p.requires_grad) * 0.0
                self.acc.backward(loss)
                return 0.0, 0, 0
            batch = batch.to(self.acc.device)
            with self.acc.autocast():
                per_sample, counts = model(batch)
            loss = per_sample.sum() / (self.opts.per_device_batch * self.schedule.accumulation)
            self.acc.backward(loss)
            visual = self.cfg.video_tokens(self._patches()) + self.cfg.face_tokens()
            tokens = sum(len(t) - 1 + visual for t in batch.input_ids)
            return float(per_sample.detach().sum()), len(batch.input_ids), tokens

    def _patches(self) -> int:
        return self.cfg.image_size // self.acc.unwrap_model(self.model).vision.model.config.patch_size

    def train(self) -> Iterator[StepLog]:
        self.model.train()
        self.acc.init_trackers("runs", config={k: v for k, v in asdict(self.opts).items() if v is not None})
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        for step, micro in self._batches():
            t0 = time.perf_counter()
            loss_sum, n, tokens = 0.0, 0, 0
            for m, (batch, bad) in enumerate(micro):
                self._handle_bad(bad)
                ls, k, t = self._micro_step(batch, last=m == len(micro) - 1)
                loss_sum, n, tokens = loss_sum + ls, n + k, tokens + t
            if self.opts.max_grad_norm:
                self.acc.clip_grad_norm_(trainable, self.opts.max_grad_norm)
            self.optimizer.step()
            self.scheduler.step()
            self.optimizer.zero_grad(set_to_none=True)
            totals = self.acc.reduce(torch.tensor([loss_sum, n, tokens], dtype=torch.float64, device=self.acc.device), "sum")
            loss = float(totals[0] / max(totals[1], 1))
            self.step = step + 1
            self.losses.append(loss)
            dt = time.perf_counter() - t0
            lrs = self.scheduler.get_last_lr()
            log = StepLog(self.step, self.schedule.total_steps, self.step / self.schedule.steps_per_epoch, loss, lrs[0], lrs[1],
                          float(totals[2]) / dt, float(totals[1]) / dt, len(self.skipped))
            self.acc.log({"train/loss": loss, "train/lr": lrs[0], "train/projector_lr": lrs[1], "train/tokens_per_s": log.tokens_per_s},
                         step=self.step)
            if self.opts.save_steps and self.step % self.opts.save_steps == 0 and self.step < self.schedule.total_steps:
                log.checkpoint = str(self.save_checkpoint(self.out / f"checkpoint-{self.step}"))
            yield log
        self.save_checkpoint(self.out, final=True)
        self.acc.end_training()

    def _handle_bad(self, bad: list[BadSample]) -> None:
        for b in bad:
            if not self.opts.skip_bad:
                raise BadSampleError(f"sample {b.id!r} failed to load: {b.reason} (fix it, drop it, or pass --skip-bad)")
            self.skipped.append((b.id, b.reason))

    def save_checkpoint(self, folder: Path, final: bool = False) -> Path:
        """Adapter, projectors, tokenizer and config (enough to caption), plus accelerate's training state:
        optimizer, scheduler and every process's RNG (enough to resume; sharded under DeepSpeed / FSDP).
        Written under a temporary name and renamed, so a run killed mid-save never leaves a checkpoint
        that looks complete."""
        tmp = folder.with_name(folder.name + ".tmp") if not final else folder
        if self.is_main:
            if not final and tmp.exists():
                shutil.rmtree(tmp)
            shutil.rmtree(tmp / TRAINING_STATE, ignore_errors=True)
            (tmp / TRAINING_STATE).mkdir(parents=True, exist_ok=True)
        self.acc.wait_for_everyone()
        self.acc.save_state(str(tmp / TRAINING_STATE))  # every process: its RNG; the engines: their shards
        if self.is_main:
            model = self.acc.unwrap_model(self.model)
            ckpt.save(model, self.tok, tmp)
            (tmp / ARGS).write_text(json.dumps(asdict(self.opts), indent=2) + "\n")
            state = {"step": self.step, "total_steps": self.schedule.total_steps, "epoch": self.step / self.schedule.steps_per_epoch,
                     "global_batch": self.opts.global_batch, "world_size": self.acc.num_processes, "losses": self.losses,
                     "skipped": self.skipped}
            (tmp / STATE).write_text(json.dumps(state, indent=1) + "\n")  # written last: marks the checkpoint complete
        self.acc.wait_for_everyone()
        if self.is_main and not final:
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(tmp, folder)
        self.acc.wait_for_everyone()
        return folder

    def result(self) -> TrainResult:
        return TrainResult(self.step, self.losses, self.skipped, str(self.out))
