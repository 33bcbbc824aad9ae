"""YuNet (OpenCV FaceDetectorYN): a 75k-parameter detector with 5 landmarks, fast on CPU."""

from __future__ import annotations

import numpy as np

from fdacli.core.faces.base import Face
from fdacli.core.faces.models import YUNET_FILE, model_path


class YuNetDetector:
    name = "yunet"

    def __init__(self, score_threshold: float = 0.7, nms_threshold: float = 0.3, min_size: int = 16) -> None:
        import cv2

        self._cv2 = cv2
        self.min_size = min_size
        self._det = cv2.FaceDetectorYN.create(str(model_path(YUNET_FILE)), "", (320, 320), score_threshold, nms_threshold, 5000)
        self._size = (320, 320)

    def detect(self, rgb: np.ndarray) -> list[Face]:
        h, w = rgb.shape[:2]
        if (w, h) != self._size:
            self._det.setInputSize((w, h))
            self._size = (w, h)
        bgr = self._cv2.cvtColor(np.ascontiguousarray(rgb), self._cv2.COLOR_RGB2BGR)
        _, rows = self._det.detect(bgr)
        if rows is None:
            return []
        faces = []
        for r in rows:
            x, y, bw, bh = (float(v) for v in r[:4])
            if min(bw, bh) < self.min_size:
                continue
            box = np.array([max(0.0, x), max(0.0, y), min(float(w), x + bw), min(float(h), y + bh)], np.float32)
            faces.append(Face(box=box, score=float(r[14]), landmarks=r[4:14].reshape(5, 2).astype(np.float32)))
        faces.sort(key=lambda f: -f.score)
        return faces
