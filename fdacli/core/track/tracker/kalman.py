"""Constant-velocity Kalman filter over (cx, cy, aspect, height) with confidence-scaled noise.

Noise is proportional to the box height so that it is scale-free; the position and velocity weights
(1/20, 1/160) are the values DeepSORT/StrongSORT use.  NSA (StrongSORT): a confident detection is
trusted more, by scaling the measurement covariance with (1 - confidence).
"""

from __future__ import annotations

import numpy as np



def xyxy_to_xyah(box: np.ndarray) -> np.ndarray:
    w, h = box[2] - box[0], box[3] - box[1]
    return np.array([box[0] + w / 2, box[1] + h / 2, w / max(h, 1e-6), h], np.float64)


def xyah_to_xyxy(m: np.ndarray) -> np.ndarray:
    cx, cy, a, h = (float(v) for v in m[:4])
    w = a * h
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], np.float32)


class BoxKalman:
    """One track's motion state, a thin layer over filterpy's KalmanFilter."""

    def __init__(self, box: np.ndarray, std_weight_position: float = 1 / 20, std_weight_velocity: float = 1 / 160) -> None:
        from filterpy.kalman import KalmanFilter

        self.wp, self.wv = std_weight_position, std_weight_velocity
        kf = KalmanFilter(dim_x=8, dim_z=4)
        kf.F = np.eye(8)
        kf.F[:4, 4:] = np.eye(4)  # position += velocity, one step per analysed frame
        kf.H = np.eye(4, 8)
        z = xyxy_to_xyah(box)
        kf.x = np.r_[z, np.zeros(4)].reshape(8, 1)
        h = z[3]
        std = [2 * self.wp * h, 2 * self.wp * h, 1e-2, 2 * self.wp * h, 10 * self.wv * h, 10 * self.wv * h, 1e-5, 10 * self.wv * h]
        kf.P = np.diag(np.square(std))
        self.kf = kf

    @property
    def mean(self) -> np.ndarray:
        return self.kf.x.reshape(-1)

    def box(self) -> np.ndarray:
        return xyah_to_xyxy(self.mean)

    def predict(self) -> None:
        h = self.mean[3]
        std = [self.wp * h, self.wp * h, 1e-2, self.wp * h, self.wv * h, self.wv * h, 1e-5, self.wv * h]
        self.kf.predict(Q=np.diag(np.square(std)))

    def _measurement_cov(self, confidence: float | None = None) -> np.ndarray:
        h = self.mean[3]
        r = np.diag(np.square([self.wp * h, self.wp * h, 1e-1, self.wp * h]))
        if confidence is not None:
            r = r * max(1.0 - float(confidence), 1e-3)  # NSA; floor keeps S invertible
        return r

    def update(self, box: np.ndarray, confidence: float) -> None:
        # filterpy needs z as a (dim_z, 1) column when H is explicit; a 1-D z corrupts the state.
        self.kf.update(xyxy_to_xyah(box).reshape(4, 1), R=self._measurement_cov(confidence))

    def gating_distance(self, boxes: np.ndarray) -> np.ndarray:
        """Squared Mahalanobis distance of each (x1, y1, x2, y2) box to the predicted measurement."""
        if len(boxes) == 0:
            return np.zeros(0)
        H, P = self.kf.H, self.kf.P
        S = H @ P @ H.T + self._measurement_cov()
        chol = np.linalg.cholesky(S)
        d = np.stack([xyxy_to_xyah(b) for b in boxes]) - (H @ self.kf.x).reshape(-1)
        sol = np.linalg.solve(chol, d.T)
        return np.sum(sol * sol, axis=0)
