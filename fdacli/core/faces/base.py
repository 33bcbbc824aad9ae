"""The face contract: what a detection is, and what a detector and an identity embedder do.

Backends implement it (yunet.py, mtcnn.py, sface.py) and import this module; registry.py chooses them
by name.  Keeping the registry out of this file means no backend imports the module that imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass
class Face:
    """One detected face in frame pixels: box (x1, y1, x2, y2), score, 5 landmarks.

    Landmark order is the image-left eye, image-right eye, nose tip, image-left and image-right
    mouth corners — the order both YuNet and MTCNN emit and SFace's aligner expects.
    """

    box: np.ndarray  # (4,) float32
    score: float
    landmarks: np.ndarray  # (5, 2) float32

    @property
    def area(self) -> float:
        return float(max(0.0, self.box[2] - self.box[0]) * max(0.0, self.box[3] - self.box[1]))


class Detector(Protocol):
    name: str

    def detect(self, rgb: np.ndarray) -> list[Face]:
        """Faces in one RGB uint8 frame, highest score first."""
        ...


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, rgb: np.ndarray, faces: list[Face]) -> np.ndarray:
        """L2-normalised identity features, one row per face, from landmark-aligned crops."""
        ...


def l2_normalise(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(n, 1e-12)).astype(np.float32)
