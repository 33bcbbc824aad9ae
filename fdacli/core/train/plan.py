"""The ``--dry-run`` plan: what a run would do, from the configs alone (the model is built on the meta
device): parameters per part, tokens per sample, the schedule and a rough per-device memory estimate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from fdacli.core.model import checkpoint as ckpt
from fdacli.core.model import prompting
from fdacli.core.model.config import FaceTrackMMConfig
from fdacli.core.train.samples import Sample
from fdacli.core.train.options import TrainOptions, precision_of, weight_dtype
from fdacli.core.train.schedule import Schedule


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
    if tok is not None:
        text = [len(prompting.encode(tok, s.conversations)[0]) - 1 for s in samples[:200]]
    else:  # the tokenizer is not on this machine: about 1.3 tokens a word, plus the chat template
        text = [int(1.3 * sum(len(str(t.get("value", "")).split()) for t in s.conversations)) + 24 for s in samples[:200]]
    sched = Schedule.of(len(samples), opts, world_size)
    per_sample = visual + (max(text) if text else 0)
    mem = _memory_estimate(model, trainable, frozen, dtype, per_sample, opts)
    rows = [(f"{name} parameters", f"{_m(t)} trainable, {_m(f)} frozen") for name, (t, f) in counts.items()]
    rows += [
        ("trainable / total", f"{_m(trainable)} / {_m(trainable + frozen)} ({100 * trainable / max(trainable + frozen, 1):.2f}%)"),
        ("tokens per sample", f"{visual} visual ({cfg.video_tokens(patches)} video + {cfg.face_tokens()} face) + text "
                              f"{min(text) if text else 0}–{max(text) if text else 0} (mean {np.mean(text) if text else 0:.0f})"
                              + ("" if tok is not None else " — estimated: the LLM's tokenizer is not on this machine")),
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
