"""Shared fixtures: real clips composed once per session, and the tracking module per detector."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("OMP_NUM_THREADS", "2")

import media  # noqa: E402


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    return {
        "one": media.compose(d / "one.mp4", media.ONE_PERSON),
        "two": media.compose(d / "two.mp4", media.TWO_CROSSING),
        "three": media.compose(d / "three.mp4", media.THREE_PEOPLE),
        "none": media.compose(d / "none.mp4", []),
    }


@pytest.fixture(scope="session")
def carphone() -> Path:
    return media.carphone()


_modules: dict = {}


@pytest.fixture(scope="session")
def tracker_module():
    """Build (once) a FaceTrackingModule for a detector name."""
    from fdacli.core.face_tracking import FaceTrackingModule, TrackOptions

    def get(detector: str = "yunet", **kw):
        key = (detector, tuple(sorted(kw.items())))
        if key not in _modules:
            opts = TrackOptions(detector=detector)
            for k, v in kw.items():
                if hasattr(opts.tracker, k):
                    setattr(opts.tracker, k, v)
                else:
                    setattr(opts, k, v)
            _modules[key] = FaceTrackingModule(opts)
        return _modules[key]

    return get
