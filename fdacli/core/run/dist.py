"""Re-running a command under ``accelerate launch`` (``--gpus N``), so one command line covers one
process, several GPUs, CPU processes and DeepSpeed / FSDP through an accelerate config file."""

from __future__ import annotations

import os
import socket
import sys


def under_launcher() -> bool:
    return "LOCAL_RANK" in os.environ or int(os.environ.get("WORLD_SIZE", "1")) > 1


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
