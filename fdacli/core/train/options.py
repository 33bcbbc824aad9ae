"""Training options (paper §5.1 defaults: LoRA r64/α128, batch 32, 3 epochs) and the precision they imply.

Defined once here; `fda finetune` shows these defaults (this module imports nothing heavy)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


def precision_of(opts: TrainOptions) -> str:
    import torch

    if opts.precision != "auto":
        return opts.precision
    return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "fp32"


def weight_dtype(precision: str) -> Any:  # a torch.dtype (torch is imported only when training)
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)
