"""The face interface: what a detection is, and how backends are chosen by name.

Backends are imported lazily by ``make_detector`` so that naming one never loads the others
(MTCNN pulls in torch; YuNet needs only OpenCV).
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


DETECTORS = ("yunet", "mtcnn")


def make_detector(name: str, score_threshold: float = 0.7, min_size: int = 16) -> Detector:
    """Build a detector backend by name; unknown names fail with the list of known ones."""
    name = name.lower()
    if name == "yunet":
        from fdacli.core.faces.yunet import YuNetDetector

        return YuNetDetector(score_threshold=score_threshold, min_size=min_size)
    if name == "mtcnn":
        from fdacli.core.faces.mtcnn import MTCNNDetector

        return MTCNNDetector(score_threshold=score_threshold, min_size=min_size)
    raise ValueError(f"unknown detector {name!r}; choose one of: {', '.join(DETECTORS)}")


def make_embedder(name: str = "sface") -> Embedder:
    if name.lower() != "sface":
        raise ValueError(f"unknown face embedder {name!r}; available: sface")
    from fdacli.core.faces.sface import SFaceEmbedder

    return SFaceEmbedder()


def l2_normalise(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(n, 1e-12)).astype(np.float32)
