"""68-point facial landmarks with dlib's shape predictor (iBUG 300-W layout).

The model file ships inside the `face-recognition-models` package and dlib comes as the `dlib-bin`
wheel: nothing is downloaded at run time.  The model was trained on iBUG 300-W, whose terms exclude
commercial use, so both live in the optional `[actions]` extra.

The predictor is fitted inside the box `fda track` already found for the main face (no second
detector).  Its fit is checked against the tracker's own five landmarks (eye centres, nose tip, mouth
corners): a shape that wandered off the face is flagged by a low quality, not trusted.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL = "shape_predictor_68_face_landmarks.dat"

# iBUG 68-point indices (0-based).  "right"/"left" are the subject's: points 36-41 are the subject's right eye.
JAW = slice(0, 17)
BROW_RIGHT, BROW_LEFT = slice(17, 22), slice(22, 27)
EYE_RIGHT, EYE_LEFT = slice(36, 42), slice(42, 48)
NOSE_TIP, CHIN = 30, 8
MOUTH_RIGHT, MOUTH_LEFT = 48, 54


class LandmarkError(RuntimeError):
    """The landmark model cannot be loaded."""


def model_path() -> Path:
    """Where `face-recognition-models` keeps the 68-point model (found without importing the package, whose
    __init__ needs pkg_resources)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise LandmarkError("the landmark model needs the [actions] extra: pip install 'fdacli[actions]'")
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / MODEL
    if not path.is_file():
        raise LandmarkError(f"{path} is missing: reinstall face-recognition-models")
    return path


class Landmarker:
    """Fits 68 points inside a face box; one instance per worker (the dlib model is ~100 MB in memory)."""

    def __init__(self) -> None:
        import dlib

        self._dlib = dlib
        self._predictor = dlib.shape_predictor(str(model_path()))

    def fit(self, image: np.ndarray, box: list[float]) -> np.ndarray:
        """(68, 2) float32 points in frame pixels for a uint8 RGB (or grey) frame and an ``[x1, y1, x2, y2]`` box."""
        return self.fit_crop(crop_face(image, box))

    def fit_crop(self, crop: FaceCrop) -> np.ndarray:
        """(68, 2) float32 points in the pixels of the frame the crop was cut from."""
        x1, y1, x2, y2 = crop.box
        shape = self._predictor(crop.grey, self._dlib.rectangle(x1, y1, x2, y2))
        return np.array([(p.x + crop.left, p.y + crop.top) for p in shape.parts()], np.float32)


@dataclass(frozen=True)
class FaceCrop:
    """A face box and a margin around it, in grey: all a fit reads of the frame, so that fits can wait for a
    batch after the frame itself is gone (``SeenFaces``)."""

    grey: np.ndarray
    left: int  # where the crop lies in the frame
    top: int
    box: tuple[int, int, int, int]  # the face box in the crop's pixels
    frame: tuple[int, int]  # the frame's width and height (the head pose's camera)


def crop_face(image: np.ndarray, box: list[float]) -> FaceCrop:
    """The box and a fifth of its size around it, converted to grey: a whole 720p frame handed to dlib cost more
    than the fit."""
    import cv2

    h, w = image.shape[:2]
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    m = max(4, (x2 - x1 + y2 - y1) // 5)
    cx1, cy1, cx2, cy2 = max(0, x1 - m), max(0, y1 - m), min(w, x2 + m), min(h, y2 + m)
    crop = image[cy1:cy2, cx1:cx2]
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY) if crop.ndim == 3 else np.array(crop)
    return FaceCrop(grey, cx1, cy1, (x1 - cx1, y1 - cy1, x2 - cx1, y2 - cy1), (w, h))


def five_points(points: np.ndarray) -> np.ndarray:
    """The 68-point shape reduced to the tracker's five (right eye, left eye, nose tip, right and left mouth
    corner, in image order as YuNet gives them)."""
    return np.stack([points[EYE_RIGHT].mean(0), points[EYE_LEFT].mean(0), points[NOSE_TIP], points[MOUTH_RIGHT],
                     points[MOUTH_LEFT]])


def fit_error(points: np.ndarray, tracker_five: list | None) -> float | None:
    """Mean distance between the fitted shape's five points and the tracker's, over the eye distance."""
    if not tracker_five or len(tracker_five) != 5:
        return None
    mine, theirs = five_points(points), np.asarray(tracker_five, np.float32)
    iod = float(np.linalg.norm(mine[1] - mine[0])) or 1.0
    return float(np.linalg.norm(mine - theirs, axis=1).mean() / iod)
