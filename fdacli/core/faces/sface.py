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
        cv2, feats = self._cv2, []
        for f in faces:
            x1, y1, x2, y2 = (float(v) for v in f.box)
            row = np.array([x1, y1, x2 - x1, y2 - y1, *f.landmarks.reshape(-1), f.score], np.float32)[None]
            # Aligned on the RGB frame, then only the 112×112 crop made BGR (what FaceRecognizerSF takes): the
            # alignment works on each channel alike, so this is the crop of a BGR frame, bit for bit, without
            # converting the whole frame on every call.
            crop = cv2.cvtColor(self._rec.alignCrop(rgb, row), cv2.COLOR_RGB2BGR)
            feats.append(self._rec.feature(crop).reshape(-1))
        return l2_normalise(np.stack(feats))
