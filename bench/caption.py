"""Benchmark for `fda caption`: clips/s and generated tokens/s with batched generation (``--batch-size``)
against one clip at a time (what VideoLLaMA2's inference does), measured in the same run with the same
checkpoint, clips and a fixed number of new tokens (ratio = batched throughput / batch-1 throughput).

CPU (default): SmolLM2-135M-Instruct with a tiny random CLIP tower, 4 frames.

    python bench/caption.py [--clips 8] [--batch 4] [--new-tokens 32]

GPU: Mistral-7B-shaped random LLM, ViT-L/14-336-shaped tower, 16 frames — caption latency per clip:

    python bench/caption.py --llm 7b --tower clip-l --frames 16 --batch 8 --new-tokens 128
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import _model_setup as setup


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--llm", choices=["smollm2", "7b"], default="smollm2")
    ap.add_argument("--tower", choices=["tiny", "clip-l"], default="tiny")
    ap.add_argument("--frames", type=int, default=4)
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--new-tokens", type=int, default=32)
    args = ap.parse_args()
    setup.cpu_threads()
    import torch

    from fdacli.core.caption.captioning import CaptionOptions, ClipSource, LocalCaptioner
    from fdacli.core.run.inputs import VideoItem
    from fdacli.core.model import checkpoint as ckpt
    from fdacli.core.model.config import FaceTrackMMConfig
    from fdacli.core.run.records import read_jsonl

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        llm, tower = setup.base_llm(args.llm, work), setup.tower(args.tower, work)
        _, tracks = setup.train_file(work, 3, args.frames)
        dtype = torch.bfloat16 if torch.cuda.is_available() else torch.float32
        model, tok = ckpt.build(FaceTrackMMConfig(llm=str(llm), vision_tower=str(tower), num_frames=args.frames), dtype)
        ckpt.add_lora(model, 64, 128, 0.05)
        ckpt.save(model, tok, work / "ckpt")
        del model
        device = "cuda" if torch.cuda.is_available() else "cpu"
        opts = CaptionOptions(max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens)
        cap = LocalCaptioner(work / "ckpt", opts, device)
        recs = {r["id"]: r for _, r in read_jsonl(tracks)}
        source = ClipSource(recs, [])
        ids = list(recs)
        items = [VideoItem(ids[i % len(ids)], recs[ids[i % len(ids)]]["video"]) for i in range(args.clips)]
        work_items = [(it, source.spec(it)) for it in items]
        cap.caption_batch(work_items[:1])  # warm-up
        print(f"llm={args.llm} tower={args.tower} frames={args.frames} clips={args.clips} new_tokens={args.new_tokens}")
        print("batch  seconds  clips/s  new_tok/s  latency_s  ratio")
        base = None
        for b in (1, args.batch):
            t = time.perf_counter()
            for i in range(0, len(work_items), b):
                out = cap.caption_batch(work_items[i : i + b])
                assert all(r["status"] == "ok" for r in out), out
            dt = time.perf_counter() - t
            base = base or dt
            print(f"{b:5d}  {dt:7.2f}  {args.clips / dt:7.2f}  {args.clips * args.new_tokens / dt:9.1f}  {dt / args.clips * b:14.2f}  "
                  f"{base / dt:5.2f}")


if __name__ == "__main__":
    main()
