"""The frozen image encoders: a Hugging Face CLIP or SigLIP vision tower (frames, and face crops by
default) and an optional Swin face encoder in the FaceXFormer style.

Pixels arrive as uint8 (B, N, S, S, 3) at the tower's input size; normalisation happens here, on the
model's device, so data loading stays cheap.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from fdacli.core.model.config import CLIP_MEAN, CLIP_STD


def is_local(name: str) -> bool:
    return Path(name).expanduser().exists()


def hub_kwargs(name: str) -> dict:
    """A local path never touches the network."""
    return {"local_files_only": True} if is_local(name) else {}


def config_source(name: str, empty: bool) -> str:
    """Where a model's config is read from.  For a ``--dry-run`` plan (``empty``) of the paper's default
    models the configs that ship in fdacli/data/configs are used — small facts, so the plan works offline
    and never waits for a model hub; everything else is the name itself (a local folder or a hub name)."""
    if empty and not is_local(name):
        shipped = Path(__file__).resolve().parents[2] / "data" / "configs" / name.replace("/", "--")
        if (shipped / "config.json").is_file():
            return str(shipped)
    return name


def _tower_class(model_type: str):
    from transformers import CLIPVisionModel, SiglipVisionModel

    if model_type in ("clip", "clip_vision_model"):
        return CLIPVisionModel, True
    if model_type in ("siglip", "siglip_vision_model"):
        return SiglipVisionModel, False
    raise ValueError(f"vision tower model_type {model_type!r} is not supported (CLIP or SigLIP)")


class VisionTower(nn.Module):
    """Patch features of one hidden layer, without the CLS token."""

    def __init__(self, model: nn.Module, layer: int, has_cls: bool, mean, std) -> None:
        super().__init__()
        self.model, self.layer, self.has_cls = model, layer, has_cls
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        cfg = model.config
        self.image_size, self.hidden_size = cfg.image_size, cfg.hidden_size
        self.patches_per_side = cfg.image_size // cfg.patch_size

    @torch.no_grad()
    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """uint8 (B, N, S, S, 3) → (B, N, P, C) in the tower's dtype."""
        b, n = pixels.shape[:2]
        x = pixels.reshape(b * n, *pixels.shape[2:]).permute(0, 3, 1, 2).float().div_(255)
        x = ((x - self.mean) / self.std).to(self.model.dtype)
        h = self.model(pixel_values=x, output_hidden_states=True).hidden_states[self.layer]
        if self.has_cls:
            h = h[:, 1:]
        return h.reshape(b, n, h.shape[1], h.shape[2])


def _processor_stats(name: str, model_type: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    from transformers import AutoImageProcessor

    try:
        proc = AutoImageProcessor.from_pretrained(name, **hub_kwargs(name))
        return tuple(proc.image_mean), tuple(proc.image_std)
    except (OSError, ValueError, AttributeError, TypeError):
        return ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)) if "siglip" in model_type else (CLIP_MEAN, CLIP_STD)


def load_vision_tower(name: str, layer: int = -2, dtype: torch.dtype = torch.float32, mean=None, std=None,
                      empty: bool = False) -> VisionTower:
    """``empty``: the architecture alone, from the config (weights are not read)."""
    from transformers import AutoConfig

    src = config_source(name, empty)
    cfg = AutoConfig.from_pretrained(src, **hub_kwargs(src))
    cls, has_cls = _tower_class(cfg.model_type)
    if empty:
        vcfg = getattr(cfg, "vision_config", cfg)
        model = cls._from_config(vcfg, dtype=dtype)
        mean, std = mean or CLIP_MEAN, std or CLIP_STD
    else:
        model = cls.from_pretrained(name, dtype=dtype, **hub_kwargs(name))
    if mean is None or std is None:
        mean, std = _processor_stats(name, cfg.model_type)
    model.requires_grad_(False).eval()
    return VisionTower(model, layer, has_cls, mean, std)


SWIN_VARIANTS = {"swin_t": 768, "swin_s": 768, "swin_b": 1024}


class SwinFaceEncoder(nn.Module):
    """FaceXFormer's backbone: a torchvision Swin transformer on 224-px face crops; its last feature map
    (7x7) is the face feature grid.  Weights come from a checkpoint whose backbone keys are found under
    ``backbone.`` (FaceXFormer) or at the top level (a bare Swin state dict)."""

    def __init__(self, variant: str = "swin_b") -> None:
        super().__init__()
        import torchvision

        if variant not in SWIN_VARIANTS:
            raise ValueError(f"unknown Swin variant {variant!r} ({', '.join(SWIN_VARIANTS)})")
        self.features = getattr(torchvision.models, variant)(weights=None).features
        self.hidden_size = SWIN_VARIANTS[variant]
        self.register_buffer("mean", torch.tensor((0.485, 0.456, 0.406)).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor((0.229, 0.224, 0.225)).view(1, 3, 1, 1), persistent=False)

    def load_checkpoint(self, path: str | Path) -> None:
        state = _read_state_dict(path)
        for prefix in ("backbone.features.", "backbone.", "features.", ""):
            sub = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
            own = self.features.state_dict()
            matched = {k: v for k, v in sub.items() if k in own and own[k].shape == v.shape}
            if len(matched) == len(own):
                self.features.load_state_dict(matched)
                return
        raise ValueError(f"{path}: no Swin backbone weights found that fit this encoder "
                         f"(looked under backbone.features., backbone., features. and the top level)")

    @torch.no_grad()
    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        b, n = pixels.shape[:2]
        x = pixels.reshape(b * n, *pixels.shape[2:]).permute(0, 3, 1, 2).float().div_(255)
        x = ((x - self.mean) / self.std).to(next(self.parameters()).dtype)
        h = self.features(x)  # (BN, 7, 7, C), channels last
        return h.reshape(b, n, h.shape[1] * h.shape[2], h.shape[3])


def _read_state_dict(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"face encoder checkpoint not found: {path}")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    state = torch.load(str(path), map_location="cpu", weights_only=True)
    for key in ("state_dict_backbone", "state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            return state[key]
    return state
