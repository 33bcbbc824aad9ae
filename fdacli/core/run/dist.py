"""This process's place in a distributed job, read in one place, and re-running a command under
``accelerate launch`` (``--gpus N``), so one command line covers one process, several GPUs, CPU processes
and DeepSpeed / FSDP through an accelerate config file."""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Process:
    """Rank and world size as ``accelerate launch`` / torchrun set them (0 of 1 when run plainly)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def current() -> Process:
    """Read from the environment each time (the only place that reads RANK, WORLD_SIZE, LOCAL_*)."""
    env = os.environ
    try:
        world, rank = int(env.get("WORLD_SIZE", "1")), int(env.get("RANK", "0"))
        local_world, local_rank = int(env.get("LOCAL_WORLD_SIZE", "1")), int(env.get("LOCAL_RANK", "0"))
    except ValueError:
        return Process()
    if world <= 1 or not 0 <= rank < world:
        return Process(local_world_size=max(1, local_world))
    return Process(rank, world, local_rank, max(1, local_world))


def under_launcher() -> bool:
    return "LOCAL_RANK" in os.environ or current().world_size > 1


def strip_option(argv: list[str], names: tuple[str, ...], takes_value: bool = True) -> list[str]:
    """``argv`` without an option (``--gpus 2`` or ``--gpus=2``)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in names:
            skip = takes_value
            continue
        if any(a.startswith(n + "=") for n in names):
            continue
        out.append(a)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_command(processes: int, command_argv: list[str], config_file: str | None = None) -> tuple[list[str], dict[str, str]]:
    """The ``accelerate launch`` command line and environment that re-run ``fda <command_argv>``."""
    import torch

    env = dict(os.environ)
    cmd = [sys.executable, "-m", "accelerate.commands.launch"]
    if config_file:
        cmd += ["--config_file", config_file]
    cmd += ["--num_processes", str(processes), "--num_machines", "1", "--main_process_port", str(free_port())]
    if processes > 1 and not config_file:
        cmd.append("--multi_gpu")
    if not torch.cuda.is_available():
        env["ACCELERATE_USE_CPU"] = "true"
        env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // processes)))
    cmd += ["-m", "fdacli.cli", *command_argv]
    return cmd, env
