"""Fine-tuning FaceTrack-MM (paper §5.1): LoRA on the LLM, projectors trained fully, vision tower frozen.

The sample order is a seeded permutation per epoch and every optimizer step takes the same ``global_batch``
samples whatever the number of processes, so a run on 2 processes follows the curve of a run on one and a
resumed run continues exactly where its checkpoint left off.  Each step's loss is the mean over samples of
each sample's mean token loss, summed over a fixed nominal micro-batch; a sample skipped as bad (``skip_bad``)
contributes nothing rather than being replaced.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch

from fdacli.core.media.clips import ClipSpec, clip_pixels, spec_from_record
from fdacli.core.model import checkpoint as ckpt
from fdacli.core.model import prompting
from fdacli.core.model.config import FaceTrackMMConfig
from fdacli.core.model.facetrack_mm import Batch
from fdacli.core.run.records import RecordError, read_jsonl
from fdacli.core.media.video import VideoError

STATE = "trainer_state.json"
OPTIMIZER = "optimizer.pt"
SCHEDULER = "scheduler.pt"
ARGS = "train_args.json"


@dataclass
class TrainOptions:
    epochs: float = 3.0
    global_batch: int = 32
    per_device_batch: int = 4
    lr: float = 2e-4  # LoRA
    projector_lr: float = 2e-5
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    lora_r: int = 64
    lora_alpha: int = 128
    lora_dropout: float = 0.05
    precision: str = "auto"  # auto | bf16 | fp16 | fp32
    gradient_checkpointing: bool = True
    attn_implementation: str = "sdpa"
    save_steps: int = 500
    max_steps: int | None = None
    seed: int = 42
    num_workers: int = 4
    skip_bad: bool = False
    max_text_tokens: int = 2048
    log_steps: int = 1


@dataclass
class Sample:
    id: str
    spec: ClipSpec
    conversations: list[dict[str, Any]]


@dataclass
class BadSample:
    id: str
    reason: str


class BadSampleError(RuntimeError):
    """A sample failed to load and ``skip_bad`` is off: the run stops and names it."""


@dataclass
class Schedule:
    samples: int
    world_size: int
    accumulation: int
    steps_per_epoch: int
    total_steps: int
    warmup_steps: int

    @classmethod
    def of(cls, samples: int, opts: TrainOptions, world_size: int) -> Schedule:
        per_step = opts.per_device_batch * world_size
        if opts.global_batch % per_step:
            raise ValueError(f"global batch {opts.global_batch} is not a multiple of per-device batch {opts.per_device_batch} × "
                             f"{world_size} process(es); choose --batch-size / --per-device-batch-size that divide")
        steps_per_epoch = max(1, math.ceil(samples / opts.global_batch))
        total = math.ceil(steps_per_epoch * opts.epochs)
        if opts.max_steps:
            total = min(total, opts.max_steps)
        return cls(samples, world_size, opts.global_batch // per_step, steps_per_epoch, total, int(round(total * opts.warmup_ratio)))

    def micro_batches(self, step: int, seed: int, rank: int, per_device: int) -> list[list[int]]:
        """Sample indices of this rank's micro-batches at a global step (the last batch of an epoch wraps
        around the epoch's order, so every process always has a full micro-batch)."""
        epoch, k = divmod(step, self.steps_per_epoch)
        order = epoch_order(self.samples, seed, epoch)
        g = per_device * self.world_size * self.accumulation
        start = k * g
        out = []
        for m in range(self.accumulation):
            lo = start + (m * self.world_size + rank) * per_device
            out.append([order[(lo + j) % self.samples] for j in range(per_device)])
        return out


def epoch_order(n: int, seed: int, epoch: int) -> list[int]:
    return np.random.default_rng([seed, epoch]).permutation(n).tolist()


def load_samples(train: Path, tracks: Path | None, video_roots: list[Path]) -> list[Sample]:
    """Training records (fda build-instructions output), checked up front with ``file:line`` errors."""
    track_recs = {r["id"]: r for _, r in read_jsonl(tracks, require=("id",))} if tracks else None
    roots = video_roots + [train.parent] + ([tracks.parent] if tracks else [])
    out, seen = [], set()
    for lineno, rec in read_jsonl(train, require=("id", "video", "conversations")):
        where = f"{train}:{lineno}"
        if rec["id"] in seen:
            raise RecordError(f"{where}: duplicate id {rec['id']!r}")
        seen.add(rec["id"])
        try:
            prompting.to_messages(rec["conversations"])
        except (ValueError, TypeError, AttributeError) as exc:
            raise RecordError(f"{where}: {exc}") from None
        out.append(Sample(rec["id"], spec_from_record(rec, track_recs, roots), rec["conversations"]))
    if not out:
        raise RecordError(f"{train}: no training samples")
    return out


class SampleLoader(torch.utils.data.Dataset):
    """Decodes and tokenises one sample; a failure comes back as ``BadSample`` (the trainer decides)."""

    def __init__(self, samples: list[Sample], tokenizer, cfg: FaceTrackMMConfig, max_text_tokens: int) -> None:
        self.samples, self.tok, self.cfg, self.max_text = samples, tokenizer, cfg, max_text_tokens

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> dict[str, Any] | BadSample:
        s = self.samples[i]
        try:
            ids, labels = prompting.encode(self.tok, s.conversations, train=True)
            if len(ids) > self.max_text:
                raise ValueError(f"{len(ids)} text tokens, over --max-text-tokens {self.max_text}")
            frames, faces = clip_pixels(s.spec, self.cfg.num_frames, self.cfg.image_size, self.cfg.face_input_size(),
                                        self.cfg.crop_margin, self.cfg.fill())
        except (VideoError, ValueError, OSError) as exc:
            return BadSample(s.id, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return {"id": s.id, "frames": torch.from_numpy(frames), "faces": None if faces is None else torch.from_numpy(faces),
                "input_ids": torch.tensor(ids), "labels": torch.tensor(labels)}


def collate(items: list[dict[str, Any] | BadSample]) -> tuple[Batch | None, list[BadSample]]:
    good = [x for x in items if not isinstance(x, BadSample)]
    bad = [x for x in items if isinstance(x, BadSample)]
    if not good:
        return None, bad
    faces = None if good[0]["faces"] is None else torch.stack([g["faces"] for g in good])
    return Batch(torch.stack([g["frames"] for g in good]), faces, [g["input_ids"] for g in good], [g["labels"] for g in good]), bad


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


def precision_of(opts: TrainOptions) -> str:
    if opts.precision != "auto":
        return opts.precision
    return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "fp32"


def weight_dtype(precision: str) -> torch.dtype:
    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)


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


def find_checkpoint(out: Path, resume: str) -> Path:
    """``latest`` → the newest complete ``checkpoint-N`` under the output; otherwise the given folder."""
    if resume != "latest":
        path = Path(resume)
    else:
        found = sorted((p for p in out.glob("checkpoint-*") if p.is_dir() and p.name.split("-")[-1].isdigit()
                        and (p / STATE).is_file()), key=lambda p: int(p.name.split("-")[-1]))
        if not found:
            raise FileNotFoundError(f"no checkpoint to resume under {out}")
        path = found[-1]
    for name in (STATE, OPTIMIZER, SCHEDULER, ckpt.PROJECTORS):
        if not (path / name).is_file():
            raise FileNotFoundError(f"{path} cannot resume: {name} is missing")
    return path


RESUME_MUST_MATCH = ("global_batch", "lora_r", "lora_alpha", "lora_dropout", "seed", "epochs", "max_steps", "warmup_ratio")
CONFIG_MUST_MATCH = ("llm", "vision_tower", "connector", "connector_depth", "num_frames", "face_encoder", "face_pool")


def check_resume(folder: Path, cfg: FaceTrackMMConfig, opts: TrainOptions) -> None:
    """Refuse to resume a checkpoint with options that change the model's shape or the data order."""
    saved_opts = json.loads((folder / ARGS).read_text()) if (folder / ARGS).is_file() else {}
    saved_cfg = FaceTrackMMConfig.load(folder)
    diffs = [f"{k}: {saved_opts[k]!r} → {getattr(opts, k)!r}" for k in RESUME_MUST_MATCH
             if k in saved_opts and saved_opts[k] != getattr(opts, k)]
    diffs += [f"{k}: {getattr(saved_cfg, k)!r} → {getattr(cfg, k)!r}" for k in CONFIG_MUST_MATCH
              if str(getattr(saved_cfg, k)) != str(getattr(cfg, k))]
    if diffs:
        raise ValueError(f"{folder} was trained with other settings ({'; '.join(diffs)}); "
                         "resume with the same ones, or pass --overwrite to start over")


def is_finished(out: Path) -> bool:
    state = out / STATE
    if not state.is_file():
        return False
    s = json.loads(state.read_text())
    return s["step"] >= s["total_steps"]


def _rng_state() -> dict[str, Any]:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


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
        self.acc = Accelerator(mixed_precision="no" if precision == "fp32" else precision, cpu=cpu,
                               log_with="tensorboard", project_dir=str(out))
        _seed(opts.seed, self.acc.process_index)
        self.schedule = Schedule.of(len(samples), opts, self.acc.num_processes)
        self.resume = resume
        self.model, self.tok = prepare_model(cfg, opts, resume)
        from transformers import get_cosine_schedule_with_warmup

        optimizer = torch.optim.AdamW(param_groups(self.model, opts), betas=(0.9, 0.999))
        # The scheduler is stepped by hand, once per optimizer step: accelerate's wrapper would step it
        # once per process and bend the curve with the process count.
        self.scheduler = get_cosine_schedule_with_warmup(optimizer, self.schedule.warmup_steps, self.schedule.total_steps)
        self.model, self.optimizer = self.acc.prepare(self.model, optimizer)
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
        self.optimizer.load_state_dict(torch.load(folder / OPTIMIZER, map_location="cpu", weights_only=False))
        self.scheduler.load_state_dict(torch.load(folder / SCHEDULER, map_location="cpu", weights_only=False))
        rng = folder / f"rng_state_{self.acc.process_index}.pt"
        if rng.is_file():
            _set_rng_state(torch.load(rng, map_location="cpu", weights_only=False))
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
        """Adapter, projectors, tokenizer and config (enough to caption), plus optimizer, scheduler and
        every process's RNG state (enough to resume).  Written under a temporary name and renamed, so a
        run killed mid-save never leaves a checkpoint that looks complete."""
        tmp = folder.with_name(folder.name + ".tmp") if not final else folder
        if self.is_main:
            if not final and tmp.exists():
                shutil.rmtree(tmp)
            tmp.mkdir(parents=True, exist_ok=True)
        self.acc.wait_for_everyone()
        torch.save(_rng_state(), tmp / f"rng_state_{self.acc.process_index}.pt")
        if self.is_main:
            model = self.acc.unwrap_model(self.model)
            ckpt.save(model, self.tok, tmp)
            torch.save(self.optimizer.state_dict(), tmp / OPTIMIZER)
            torch.save(self.scheduler.state_dict(), tmp / SCHEDULER)
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


# ---------------------------------------------------------------- the --dry-run plan


@dataclass
class Plan:
    rows: list[tuple[str, str]]


def plan(cfg: FaceTrackMMConfig, opts: TrainOptions, samples: list[Sample], world_size: int) -> Plan:
    """What a run would do, from the configs alone (the model is built on the meta device): parameters,
    tokens per sample, the schedule and a rough per-device memory estimate."""
    precision = precision_of(opts)
    dtype = weight_dtype(precision)
    model, tok = ckpt.build(cfg, dtype, opts.attn_implementation, empty=True)
    model.llm.requires_grad_(False)
    ckpt.add_lora(model, opts.lora_r, opts.lora_alpha, opts.lora_dropout)
    groups = {"vision tower (frozen)": model.vision, "connector": model.connector, "face projector": model.face_projector,
              "LLM": model.llm}
    counts = {}
    for name, mod in groups.items():
        if mod is None:
            continue
        ps = list(mod.parameters())
        counts[name] = (sum(p.numel() for p in ps if p.requires_grad), sum(p.numel() for p in ps if not p.requires_grad))
    trainable = sum(t for t, _ in counts.values())
    frozen = sum(f for _, f in counts.values())
    patches = cfg.image_size // model.vision.model.config.patch_size
    visual = cfg.video_tokens(patches) + cfg.face_tokens()
    text = [len(prompting.encode(tok, s.conversations)[0]) - 1 for s in samples[:200]]
    sched = Schedule.of(len(samples), opts, world_size)
    per_sample = visual + (max(text) if text else 0)
    mem = _memory_estimate(model, trainable, frozen, dtype, per_sample, opts)
    rows = [(f"{name} parameters", f"{_m(t)} trainable, {_m(f)} frozen") for name, (t, f) in counts.items()]
    rows += [
        ("trainable / total", f"{_m(trainable)} / {_m(trainable + frozen)} ({100 * trainable / max(trainable + frozen, 1):.2f}%)"),
        ("tokens per sample", f"{visual} visual ({cfg.video_tokens(patches)} video + {cfg.face_tokens()} face) + text "
                              f"{min(text) if text else 0}–{max(text) if text else 0} (mean {np.mean(text) if text else 0:.0f})"),
        ("samples", f"{len(samples)}"),
        ("batch", f"global {opts.global_batch} = {opts.per_device_batch} per device × {world_size} process(es) × {sched.accumulation} accumulation"),
        ("schedule", f"{sched.total_steps} steps ({sched.steps_per_epoch}/epoch × {opts.epochs:g} epochs), warmup {sched.warmup_steps}, cosine"),
        ("learning rates", f"LoRA {opts.lr:g}, projectors {opts.projector_lr:g}"),
        ("LoRA", f"r {opts.lora_r}, alpha {opts.lora_alpha}, dropout {opts.lora_dropout:g}, all linear layers but lm_head"),
        ("precision", f"{precision}; gradient checkpointing {'on' if opts.gradient_checkpointing else 'off'}; attention {opts.attn_implementation}"),
        ("memory per device (rough)", mem),
    ]
    return Plan(rows)


def _m(n: int) -> str:
    return f"{n / 1e6:,.1f} M" if n >= 1e7 or n == 0 else f"{n / 1e6:,.3f} M"


def _memory_estimate(model, trainable: int, frozen: int, dtype: torch.dtype, seq: int, opts: TrainOptions) -> str:
    """Weights + fp32 trainable copies, grads and Adam moments + activations (checkpointed layer inputs,
    one layer recomputed, fp32 logits)."""
    bytes_w = torch.finfo(dtype).bits // 8
    llm_cfg = model.llm.get_base_model().config if hasattr(model.llm, "get_base_model") else model.llm.config
    hidden = llm_cfg.hidden_size
    layers = llm_cfg.num_hidden_layers
    inter = getattr(llm_cfg, "intermediate_size", 4 * hidden)
    vocab = llm_cfg.vocab_size
    b = opts.per_device_batch
    weights = frozen * bytes_w + trainable * 4
    optim = trainable * (4 + 8)
    if opts.gradient_checkpointing:
        act = b * seq * (layers * hidden * bytes_w + (16 * hidden + 3 * inter) * bytes_w)
    else:
        act = b * seq * layers * (16 * hidden + 3 * inter) * bytes_w
    logits = b * seq * vocab * 4 * 2
    total = weights + optim + act + logits
    gb = lambda x: x / 2**30  # noqa: E731
    return (f"{gb(total):.1f} GiB = weights {gb(weights):.1f} + grads/Adam {gb(optim):.1f} + activations {gb(act):.1f} "
            f"+ logits {gb(logits):.1f} (batch {b} × {seq} tokens)")
