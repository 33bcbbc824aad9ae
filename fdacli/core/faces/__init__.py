"""Face detectors (YuNet, MTCNN) and the SFace identity embedder behind one small interface."""

from fdacli.core.faces.base import Detector, Embedder, Face
from fdacli.core.faces.registry import DETECTORS, make_detector, make_embedder

__all__ = ["DETECTORS", "Detector", "Embedder", "Face", "make_detector", "make_embedder"]
