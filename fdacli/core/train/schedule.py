"""The deterministic schedule: a seeded permutation per epoch, and every optimizer step takes the same
``global_batch`` samples whatever the number of processes, so 2 processes follow the curve of one and a
resumed run continues exactly where its checkpoint left off."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fdacli.core.train.options import TrainOptions


@dataclass
class Schedule:
    samples: int
    world_size: int
    accumulation: int
    steps_per_epoch: int
    total_steps: int
    warmup_steps: int

    @classmethod
    def of(cls, samples: int, opts: TrainOptions, world_size: int) -> Schedule:
        per_step = opts.per_device_batch * world_size
        if opts.global_batch % per_step:
            raise ValueError(f"global batch {opts.global_batch} is not a multiple of per-device batch {opts.per_device_batch} × "
                             f"{world_size} process(es); choose --batch-size / --per-device-batch-size that divide")
        steps_per_epoch = max(1, math.ceil(samples / opts.global_batch))
        total = math.ceil(steps_per_epoch * opts.epochs)
        if opts.max_steps:
            total = min(total, opts.max_steps)
        return cls(samples, world_size, opts.global_batch // per_step, steps_per_epoch, total, int(round(total * opts.warmup_ratio)))

    def micro_batches(self, step: int, seed: int, rank: int, per_device: int) -> list[list[int]]:
        """Sample indices of this rank's micro-batches at a global step (the last batch of an epoch wraps
        around the epoch's order, so every process always has a full micro-batch)."""
        epoch, k = divmod(step, self.steps_per_epoch)
        order = epoch_order(self.samples, seed, epoch)
        g = per_device * self.world_size * self.accumulation
        start = k * g
        out = []
        for m in range(self.accumulation):
            lo = start + (m * self.world_size + rank) * per_device
            out.append([order[(lo + j) % self.samples] for j in range(per_device)])
        return out


def epoch_order(n: int, seed: int, epoch: int) -> list[int]:
    return np.random.default_rng([seed, epoch]).permutation(n).tolist()
