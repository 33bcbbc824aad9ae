"""What a training checkpoint holds, how to find the one to resume, and whether resuming it is allowed.

A checkpoint folder is what captioning needs — adapter, projectors, tokenizer and config (written by
core/model/checkpoint.py) — plus accelerate's training state (``Accelerator.save_state``: optimizer,
scheduler and every process's RNG state, sharded by DeepSpeed or FSDP when those run), the options, and
``trainer_state.json``, written last, which marks the checkpoint complete.  For one process and DDP,
accelerate loads that state with ``weights_only=True``: nothing in the checkpoint is unpickled as code.
DeepSpeed and FSDP write their own sharded formats (the full model included) and read them their way.
"""

from __future__ import annotations

import json
from pathlib import Path

from fdacli.core.model import checkpoint as ckpt
from fdacli.core.model.config import FaceTrackMMConfig
from fdacli.core.train.options import TrainOptions

STATE = "trainer_state.json"
ARGS = "train_args.json"
TRAINING_STATE = "training_state"  # accelerate's save_state folder inside a checkpoint


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
    for name in (STATE, ckpt.PROJECTORS):
        if not (path / name).is_file():
            raise FileNotFoundError(f"{path} cannot resume: {name} is missing")
    if not (path / TRAINING_STATE).is_dir():
        raise FileNotFoundError(f"{path} cannot resume: it has no {TRAINING_STATE}/ (written by fdacli before 0.2, or not a "
                                "training checkpoint); it still captions — start a new run with --overwrite")
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
