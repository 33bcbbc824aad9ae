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
    from fdacli.core.track.pipeline import FaceTrackingModule, TrackOptions

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


@pytest.fixture(scope="session")
def smol_base(tmp_path_factory) -> Path:
    """SmolLM2-135M-Instruct (the real pretrained LLM shipped as GGUF) as a local base-model folder."""
    from tiny import smollm2_base

    return smollm2_base(tmp_path_factory.mktemp("llm") / "smollm2")


@pytest.fixture(scope="session")
def tiny_tower(tmp_path_factory) -> Path:
    """A random CLIP vision tower: 48-px images in 4-px patches (12x12 grid), saved like a real one."""
    from tiny import tiny_clip_vision

    return tiny_clip_vision(tmp_path_factory.mktemp("tower") / "clip", image_size=48, patch_size=4, hidden=32)


CAPTIONS = {
    "one": "He smiles broadly, then blinks twice.",
    "two": "She frowns, then raises her eyebrows.",
    "carphone": "The man talks and nods slowly.",
}


@pytest.fixture(scope="session")
def ft_data(tmp_path_factory, clips, carphone) -> dict[str, Path]:
    """Real clips tracked by `fda track`'s module, and instruction data built from them (short captions)."""
    import json

    from fdacli.core.track.pipeline import FaceTrackingModule, TrackOptions
    from fdacli.core.run.inputs import VideoItem
    from fdacli.core.dataset.instructions import conversation

    d = tmp_path_factory.mktemp("ft")
    module = FaceTrackingModule(TrackOptions(key_frames=4))
    videos = {"one": clips["one"], "two": clips["two"], "carphone": carphone}
    tracks, train = d / "tracks.jsonl", d / "train.jsonl"
    with tracks.open("w") as ft, train.open("w") as fr:
        for rid, video in videos.items():
            rec = module(VideoItem(rid, str(video)))
            assert rec["status"] == "ok"
            ft.write(json.dumps(rec) + "\n")
            sample = conversation(rid, str(video), CAPTIONS[rid], 0)
            sample.update(key_frames=rec["key_frames"], key_frame_boxes=rec["key_frame_boxes"])
            fr.write(json.dumps(sample) + "\n")
    return {"dir": d, "tracks": tracks, "train": train, **{k: Path(v) for k, v in videos.items()}}


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """A real llama.cpp server (xllamacpp + SmolLM2 GGUF) on a free loopback port, as a subprocess: its base
    URL.  Stopped when the tests end; its log is kept in the session's tmp folder."""
    import subprocess

    log = tmp_path_factory.mktemp("llama") / "server.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen([sys.executable, str(Path(__file__).parent / "llama_server.py"), "--parallel", "2"],
                                stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        url = proc.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"the llama.cpp server did not start; see {log}:\n" + log.read_text(errors="replace")[-2000:])
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def labelstudio(tmp_path_factory):
    """A real Label Studio server (its own venv; tests/labelstudio_server.py) with a lead, three annotators and a
    reviewer, started once for the session: its first start runs migrations for about a minute and a half."""
    import labelstudio_server as lss

    if lss.binary() is None:
        msg = f"Label Studio is not installed in {lss.VENV}: run `{lss.SETUP}` (README: Quick start)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    srv = lss.start(tmp_path_factory.mktemp("labelstudio"))
    yield srv
    srv.stop()
