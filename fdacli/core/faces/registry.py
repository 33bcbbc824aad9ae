"""Face backends by name.

Backends are imported lazily by ``make_detector`` so that naming one never loads the others
(MTCNN pulls in torch; YuNet needs only OpenCV).  A new backend implements ``Detector`` or ``Embedder``
from base.py and is added here.
"""

from __future__ import annotations

from fdacli.core.faces.base import Detector, Embedder

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
