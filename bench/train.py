"""Benchmark for `fda finetune`: samples/s and tokens/s of FaceTrack-MM training steps, against the same
LLM with the same LoRA trained on text alone at the same sequence length, measured in the same run
(ratio = FaceTrack-MM step time / text-only step time: the cost of the vision tower, STC connector, face
path and splicing).

CPU (default): SmolLM2-135M-Instruct (real weights) with a tiny random CLIP tower.

    python bench/train.py [--steps 4] [--frames 4]

GPU: Mistral-7B-shaped random bf16 LLM and a ViT-L/14-336-shaped tower, 16 frames; peak memory at
per-device batch 1 and 4, training tokens/s:

    python bench/train.py --llm 7b --tower clip-l --frames 16 --batch 1 4 --steps 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import _model_setup as setup


def run(train: Path, tracks: Path, llm: Path, tower: Path, frames: int, batch: int, steps: int, work: Path) -> dict:
    import torch

    from fdacli.core.train.samples import load_samples
    from fdacli.core.train.options import TrainOptions
    from fdacli.core.train.trainer import Trainer
    from fdacli.core.model.config import FaceTrackMMConfig

    cfg = FaceTrackMMConfig(llm=str(llm), vision_tower=str(tower), num_frames=frames)
    opts = TrainOptions(global_batch=batch, per_device_batch=batch, max_steps=steps + 1, save_steps=0, num_workers=2,
                                 warmup_ratio=0.0, gradient_checkpointing=torch.cuda.is_available())
    samples = load_samples(train, tracks, [])
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    tr = Trainer(cfg, opts, samples, work / f"out-b{batch}")
    times, toks = [], []
    t = time.perf_counter()
    for log in tr.train():
        now = time.perf_counter()
        if log.step > 1:  # the first step warms up kernels and workers
            times.append(now - t)
            toks.append(log.tokens_per_s * (now - t))
        t = now
    peak = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else float("nan")
    seq = int(statistics.mean(toks) / batch)
    return {"step_s": statistics.median(times), "tokens": statistics.mean(toks), "seq": seq, "peak_gib": peak, "model": tr}


def text_only(trainer, batch: int, seq: int, steps: int) -> float:
    """The same LLM + LoRA, forward/backward on random text of the same length (median step seconds)."""
    import torch

    model = trainer.acc.unwrap_model(trainer.model)
    llm, dev = model.llm, trainer.acc.device
    opt = torch.optim.AdamW([p for p in llm.parameters() if p.requires_grad], lr=1e-5)
    vocab = llm.get_input_embeddings().weight.shape[0]
    times = []
    for i in range(steps + 1):
        ids = torch.randint(0, vocab, (batch, seq), device=dev)
        t = time.perf_counter()
        with trainer.acc.autocast():
            loss = llm(input_ids=ids, labels=ids, use_cache=False).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        if i:
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--llm", choices=["smollm2", "7b"], default="smollm2")
    ap.add_argument("--tower", choices=["tiny", "clip-l"], default="tiny")
    ap.add_argument("--frames", type=int, default=4)
    ap.add_argument("--batch", type=int, nargs="+", default=[2])
    ap.add_argument("--steps", type=int, default=4)
    args = ap.parse_args()
    setup.cpu_threads()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        llm, tower = setup.base_llm(args.llm, work), setup.tower(args.tower, work)
        train, tracks = setup.train_file(work, 64, args.frames)
        print(f"llm={args.llm} tower={args.tower} frames={args.frames}")
        print("batch  step_s  samples/s  tokens/s  seq  text-only_s  ratio  peak_GiB")
        for b in args.batch:
            r = run(train, tracks, llm, tower, args.frames, b, args.steps, work)
            base = text_only(r["model"], b, r["seq"], args.steps)
            print(f"{b:5d}  {r['step_s']:6.2f}  {b / r['step_s']:9.2f}  {r['tokens'] / r['step_s']:8.0f}  {r['seq']:4d}  "
                  f"{base:11.2f}  {r['step_s'] / base:5.2f}  {r['peak_gib']:8.1f}")
            del r


if __name__ == "__main__":
    main()
