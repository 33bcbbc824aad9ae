"""Face detectors (YuNet, MTCNN) and the SFace identity embedder behind one small interface."""

from fdacli.core.faces.base import DETECTORS, Detector, Embedder, Face, make_detector, make_embedder

__all__ = ["DETECTORS", "Detector", "Embedder", "Face", "make_detector", "make_embedder"]
