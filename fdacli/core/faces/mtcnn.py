"""MTCNN (facenet-pytorch): the three-stage cascade with 5 landmarks; weights ship in the wheel."""

from __future__ import annotations

import numpy as np

from fdacli.core.faces.base import Face


class MTCNNDetector:
    name = "mtcnn"

    def __init__(self, score_threshold: float = 0.7, min_size: int = 16, device: str = "cpu") -> None:
        from facenet_pytorch import MTCNN

        self.score_threshold = score_threshold
        self._mtcnn = MTCNN(keep_all=True, device=device, min_face_size=max(12, min_size), post_process=False)

    def detect(self, rgb: np.ndarray) -> list[Face]:
        import torch

        with torch.inference_mode():
            boxes, probs, points = self._mtcnn.detect(np.ascontiguousarray(rgb), landmarks=True)
        if boxes is None:
            return []
        h, w = rgb.shape[:2]
        faces = []
        for b, p, pts in zip(boxes, probs, points):
            if p is None or p < self.score_threshold:
                continue
            box = np.array([max(0.0, b[0]), max(0.0, b[1]), min(float(w), b[2]), min(float(h), b[3])], np.float32)
            faces.append(Face(box=box, score=float(p), landmarks=np.asarray(pts, np.float32).reshape(5, 2)))
        faces.sort(key=lambda f: -f.score)
        return faces
