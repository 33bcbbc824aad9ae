"""Shared set-up for the model benchmarks: a real small LLM, a random vision tower, tracked real clips."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import media  # noqa: E402


def base_llm(kind: str, work: Path) -> Path:
    """smollm2: SmolLM2-135M-Instruct, dequantised once into $FDA_CACHE_DIR; 7b: Mistral-7B-shaped random bf16."""
    from fdacli.core.llm.cache import default_cache_dir
    from tiny import mistral_7b_shaped, smollm2_base

    if kind == "7b":
        out = mistral_7b_shaped(work / "mistral-7b-shaped")
        for f in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
            (out / f).write_bytes((base_llm("smollm2", work) / f).read_bytes())
        return out
    return smollm2_base(Path(default_cache_dir()) / "models" / "smollm2-135m-instruct")


def tower(kind: str, work: Path) -> Path:
    from tiny import tiny_clip_vision

    if kind == "clip-l":  # ViT-L/14-336 shape, random weights
        return tiny_clip_vision(work / "clip-l", image_size=336, patch_size=14, hidden=1024, layers=24)
    return tiny_clip_vision(work / "clip-tiny", image_size=48, patch_size=4, hidden=32)


def train_file(work: Path, n: int, frames: int) -> tuple[Path, Path]:
    """``n`` training samples over the composed clips and carphone, tracked for real."""
    from fdacli.core.track.pipeline import FaceTrackingModule, TrackOptions
    from fdacli.core.run.inputs import VideoItem
    from fdacli.core.dataset.instructions import conversation

    refs = json.loads((ROOT / "tests" / "data" / "fec_bench_refs_slice.json").read_text())
    videos = [media.compose(work / "one.mp4", media.ONE_PERSON), media.compose(work / "two.mp4", media.TWO_CROSSING), media.carphone()]
    module = FaceTrackingModule(TrackOptions(key_frames=frames))
    tracked = [module(VideoItem(f"v{i}", str(v))) for i, v in enumerate(videos)]
    train, tracks = work / "train.jsonl", work / "tracks.jsonl"
    tracks.write_text("".join(json.dumps(t) + "\n" for t in tracked))
    with train.open("w") as f:
        for i in range(n):
            t = tracked[i % len(tracked)]
            s = conversation(f"s{i}", t["video"], refs[i % len(refs)]["caption"], i % 20)
            s.update(key_frames=t["key_frames"], key_frame_boxes=t["key_frame_boxes"])
            f.write(json.dumps(s) + "\n")
    return train, tracks


def cpu_threads() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
