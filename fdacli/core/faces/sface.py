"""SFace identity features (OpenCV FaceRecognizerSF) on landmark-aligned 112x112 crops."""

from __future__ import annotations

import numpy as np

from fdacli.core.faces.base import Face, l2_normalise
from fdacli.core.faces.models import SFACE_FILE, model_path


class SFaceEmbedder:
    name = "sface"
    dim = 128

    def __init__(self) -> None:
        import cv2

        self._cv2 = cv2
        self._rec = cv2.FaceRecognizerSF.create(str(model_path(SFACE_FILE)), "")

    def embed(self, rgb: np.ndarray, faces: list[Face]) -> np.ndarray:
        if not faces:
            return np.zeros((0, self.dim), np.float32)
        bgr = self._cv2.cvtColor(np.ascontiguousarray(rgb), self._cv2.COLOR_RGB2BGR)
        feats = []
        for f in faces:
            x1, y1, x2, y2 = (float(v) for v in f.box)
            row = np.array([x1, y1, x2 - x1, y2 - y1, *f.landmarks.reshape(-1), f.score], np.float32)[None]
            crop = self._rec.alignCrop(bgr, row)
            feats.append(self._rec.feature(crop).reshape(-1))
        return l2_normalise(np.stack(feats))
