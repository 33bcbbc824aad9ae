"""The model's own ``config.json``: which vision tower, LLM and face encoder, and the connector's shape.

A plain dataclass rather than a transformers ``PretrainedConfig``: the parts are ordinary Hugging Face
models referenced by name or path, and this file only records how they are wired, so a checkpoint stays
readable and editable by hand.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

CONFIG_NAME = "config.json"
MODEL_TYPE = "facetrack-mm"

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass
class FaceTrackMMConfig:
    llm: str = "mistralai/Mistral-7B-Instruct-v0.2"
    vision_tower: str = "openai/clip-vit-large-patch14-336"
    vision_layer: int = -2  # patch features of the second-to-last layer (VideoLLaMA2)
    connector: str = "stc"  # "stc" | "mlp"
    connector_depth: int = 4  # RegStage depth on each side of the 3-D convolution
    mlp_pool: int = 4  # "mlp" connector: average-pool stride over each frame's patch grid
    num_frames: int = 16
    face_encoder: str = "vision_tower"  # "vision_tower" | "swin_t" | "swin_s" | "swin_b" (FaceXFormer) | "none"
    face_encoder_path: str | None = None  # the Swin / FaceXFormer checkpoint for a swin face encoder
    face_pool: int = 2  # face tokens per crop = face_pool ** 2
    crop_margin: float = 0.5
    crop_size: int = 224
    image_size: int = 336  # filled from the vision tower when it is loaded
    image_mean: tuple[float, ...] = CLIP_MEAN
    image_std: tuple[float, ...] = CLIP_STD
    vision_hidden_size: int = 1024
    face_hidden_size: int = 1024
    llm_hidden_size: int = 4096
    adapter: str | None = None  # sub-folder with the peft adapter, when the LLM is not merged
    extra: dict[str, Any] = field(default_factory=dict)

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / CONFIG_NAME
        data = {"model_type": MODEL_TYPE, **asdict(self)}
        path.write_text(json.dumps(data, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, folder: str | Path) -> FaceTrackMMConfig:
        path = Path(folder) / CONFIG_NAME
        if not path.is_file():
            raise FileNotFoundError(f"{folder} is not a FaceTrack-MM checkpoint: no {CONFIG_NAME}")
        data = json.loads(path.read_text())
        if data.get("model_type") != MODEL_TYPE:
            raise ValueError(f"{path}: model_type is {data.get('model_type')!r}, not {MODEL_TYPE!r}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known - {"model_type"})
        if unknown:
            raise ValueError(f"{path}: unknown fields {unknown} (written by a newer fda?)")
        for k in ("image_mean", "image_std"):
            if k in data:
                data[k] = tuple(data[k])
        return cls(**{k: v for k, v in data.items() if k in known})

    def video_tokens(self, patches_per_side: int) -> int:
        """Video tokens per clip for a vision tower with this many patches per side."""
        t, s = self.num_frames, patches_per_side
        if self.connector == "stc":
            return (t // 2 + 1) * (s // 2 + 1) ** 2  # Conv3d kernel 2, stride 2, padding 1
        return t * (s // self.mlp_pool) ** 2

    def face_input_size(self) -> int | None:
        """Side of the face crops the face encoder takes (None: no face encoder)."""
        if self.face_encoder == "none":
            return None
        return self.image_size if self.face_encoder == "vision_tower" else self.crop_size

    def fill(self) -> tuple[int, int, int]:
        """The padding colour for square frames: the tower's mean, in 0-255."""
        return tuple(int(round(m * 255)) for m in self.image_mean)  # type: ignore[return-value]

    def face_tokens(self) -> int:
        return 0 if self.face_encoder == "none" else self.num_frames * self.face_pool**2
