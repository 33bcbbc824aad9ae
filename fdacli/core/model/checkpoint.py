"""Building, saving and loading FaceTrack-MM.

A checkpoint folder holds ``config.json``, ``projectors.safetensors`` (connector and face projector),
``tokenizer/`` and either ``adapter/`` (a peft LoRA adapter over the base LLM named in the config) or,
after a merge, ``llm/`` and ``vision_tower/`` with full weights.  Relative paths in the config resolve
against the checkpoint folder, so a merged checkpoint can be moved; nothing is guessed from folder names.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from fdacli.core.model.config import FaceTrackMMConfig
from fdacli.core.model.connector import FaceProjector, build_connector
from fdacli.core.model.facetrack_mm import FaceTrackMM
from fdacli.core.model.llm import load_llm, load_tokenizer
from fdacli.core.model.vision import SWIN_VARIANTS, SwinFaceEncoder, config_source, load_vision_tower

PROJECTORS = "projectors.safetensors"
ADAPTER = "adapter"
TOKENIZER = "tokenizer"
FACE_ENCODER = "face_encoder.safetensors"


def _quiet_hub() -> None:
    """Our own progress display is the only one: no per-shard loading bars, no deprecation chatter."""
    import warnings

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")


def _where(ref: str | None, folder: Path | None) -> str | None:
    if ref and folder is not None and not Path(ref).is_absolute() and (folder / ref).exists():
        return str(folder / ref)
    return ref


def _face_encoder(cfg: FaceTrackMMConfig, vision: nn.Module, dtype: torch.dtype, folder: Path | None,
                  empty: bool = False) -> nn.Module | None:
    if cfg.face_encoder == "none":
        return None
    if cfg.face_encoder == "vision_tower":
        return vision
    if cfg.face_encoder not in SWIN_VARIANTS:
        raise ValueError(f"unknown face encoder {cfg.face_encoder!r} (vision_tower, {', '.join(SWIN_VARIANTS)}, none)")
    enc = SwinFaceEncoder(cfg.face_encoder)
    if empty:
        return enc
    weights = _where(FACE_ENCODER, folder) if folder is not None and (folder / FACE_ENCODER).exists() else cfg.face_encoder_path
    if not weights:
        raise ValueError(f"face encoder {cfg.face_encoder} needs its checkpoint (--face-encoder-path)")
    enc.load_checkpoint(weights)
    return enc.to(dtype).requires_grad_(False).eval()


def build(cfg: FaceTrackMMConfig, dtype: torch.dtype = torch.float32, attn_implementation: str = "sdpa",
          folder: Path | None = None, empty: bool = False) -> tuple[FaceTrackMM, object]:
    """The model with fresh projectors over the pretrained tower and LLM named by ``cfg`` (filled in with
    their sizes), and the LLM's tokenizer.  ``empty``: shapes only, on the meta device, from the configs
    alone (for ``--dry-run`` plans of models that would not fit here)."""
    from contextlib import nullcontext

    from accelerate import init_empty_weights

    _quiet_hub()
    with init_empty_weights() if empty else nullcontext():
        return _build(cfg, dtype, attn_implementation, folder, empty)


def _build(cfg: FaceTrackMMConfig, dtype: torch.dtype, attn_implementation: str, folder: Path | None,
           empty: bool) -> tuple[FaceTrackMM, object]:
    vision = load_vision_tower(_where(cfg.vision_tower, folder), cfg.vision_layer, dtype,
                               cfg.image_mean if folder is not None else None, cfg.image_std if folder is not None else None, empty)
    cfg.image_size, cfg.vision_hidden_size = vision.image_size, vision.hidden_size
    cfg.image_mean, cfg.image_std = tuple(vision.mean.flatten().tolist()), tuple(vision.std.flatten().tolist())
    face = _face_encoder(cfg, vision, dtype, folder, empty)
    llm = load_llm(_where(cfg.llm, folder), dtype, attn_implementation, empty)
    cfg.llm_hidden_size = llm.get_input_embeddings().weight.shape[1]
    cfg.face_hidden_size = face.hidden_size if face is not None else 0
    connector = build_connector(cfg.connector, cfg.vision_hidden_size, cfg.llm_hidden_size, cfg.connector_depth, cfg.mlp_pool)
    projector = FaceProjector(cfg.face_hidden_size, cfg.llm_hidden_size, cfg.face_pool) if face is not None else None
    tok_src = folder / TOKENIZER if folder is not None and (folder / TOKENIZER).is_dir() else _where(cfg.llm, folder)
    # a plan (``empty``) of a hub model uses its tokenizer only if it is already on this machine
    offline = empty and config_source(_where(cfg.llm, folder), True) != _where(cfg.llm, folder)
    return FaceTrackMM(cfg, vision, face, connector, projector, llm), load_tokenizer(str(tok_src), offline=offline)


def add_lora(model: FaceTrackMM, r: int, alpha: int, dropout: float) -> None:
    from peft import get_peft_model

    from fdacli.core.model.llm import lora_config

    model.llm = get_peft_model(model.llm, lora_config(r, alpha, dropout))


def save(model: FaceTrackMM, tokenizer, folder: str | Path) -> Path:
    """Config, adapter (or full LLM when it has none), projectors and tokenizer — all a caption needs."""
    from peft import PeftModel
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cfg = model.cfg
    if isinstance(model.llm, PeftModel):
        cfg.adapter = ADAPTER
        model.llm.save_pretrained(str(folder / ADAPTER))
    save_file({k: v.detach().contiguous().cpu() for k, v in model.projector_state().items()}, str(folder / PROJECTORS))
    tokenizer.save_pretrained(str(folder / TOKENIZER))
    cfg.save(folder)
    return folder


def load(folder: str | Path, dtype: torch.dtype = torch.float32, attn_implementation: str = "sdpa",
         base_llm: str | None = None, trainable: bool = False) -> tuple[FaceTrackMM, object]:
    """A saved checkpoint: base LLM (``base_llm`` overrides the config's), then its adapter, then the
    projectors — every piece named explicitly by the checkpoint."""
    from safetensors.torch import load_file

    folder = Path(folder)
    cfg = FaceTrackMMConfig.load(folder)
    if base_llm:
        cfg.llm = base_llm
    if not (folder / PROJECTORS).is_file():
        raise FileNotFoundError(f"{folder}: {PROJECTORS} is missing (an interrupted save?)")
    model, tok = build(cfg, dtype, attn_implementation, folder)
    if cfg.adapter:
        from peft import PeftModel

        adapter = folder / cfg.adapter
        if not (adapter / "adapter_config.json").is_file():
            raise FileNotFoundError(f"{folder}: the adapter folder {cfg.adapter}/ is missing or incomplete")
        model.llm = PeftModel.from_pretrained(model.llm, str(adapter), is_trainable=trainable)
    model.load_projector_state(load_file(str(folder / PROJECTORS)))
    model.connector.to(dtype)
    if model.face_projector is not None:
        model.face_projector.to(dtype)
    return model, tok


def merge(folder: str | Path, out: str | Path, dtype: torch.dtype = torch.float32) -> Path:
    """A self-contained copy: LoRA folded into the LLM, the vision tower (and a Swin face encoder) saved
    beside it, the config pointing at those sub-folders."""
    from peft import PeftModel
    from safetensors.torch import save_file

    model, tok = load(folder, dtype)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    llm = model.llm.merge_and_unload() if isinstance(model.llm, PeftModel) else model.llm
    llm.save_pretrained(str(out / "llm"))
    model.vision.model.save_pretrained(str(out / "vision_tower"))
    if model.face_encoder is not None:
        save_file({f"features.{k}": v.contiguous() for k, v in model.face_encoder.features.state_dict().items()}, str(out / FACE_ENCODER))
    model.llm = llm
    model.cfg.llm, model.cfg.vision_tower, model.cfg.adapter = "llm", "vision_tower", None
    model.cfg.face_encoder_path = FACE_ENCODER if model.face_encoder is not None else None
    return save(model, tok, out)
