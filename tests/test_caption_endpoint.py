"""`fda caption --backend openai:MODEL` against a real loopback OpenAI-compatible server."""

import json
import os
import subprocess
import sys

from fake_openai import FakeOpenAI
from fdacli.core.model.instructions import INSTRUCTIONS

FDA = [sys.executable, "-m", "fdacli.cli"]


def fda(*args, env=None):
    return subprocess.run([*FDA, *map(str, args)], capture_output=True, text=True, timeout=300, env=env or os.environ)


def test_endpoint_captions_with_frame_grids_and_the_training_instruction(tmp_path, ft_data):
    out = tmp_path / "preds.jsonl"
    with FakeOpenAI(responder=lambda body: ("ok", "  The man smiles.  ")) as srv:
        p = fda("caption", ft_data["one"], ft_data["two"], "--backend", "openai:qwen2-vl", "--base-url", srv.base_url,
                "--tracks", ft_data["tracks"], "-o", out, "--no-cache", "--face-crops")
        reqs = srv.requests
    assert p.returncode == 0, p.stderr
    recs = [json.loads(l) for l in out.read_text().splitlines()]
    assert {r["id"] for r in recs} == {"one", "two"}
    assert all(r["caption"] == "The man smiles." and r["model"] == "qwen2-vl" for r in recs)
    content = reqs[0]["messages"][0]["content"]
    assert content[0]["text"] == INSTRUCTIONS[0]
    # 4 key frames → one frame grid + one face-crop grid
    assert sum(c["type"] == "image_url" for c in content) == 2 and reqs[0]["model"] == "qwen2-vl"


def test_endpoint_failures_become_error_records_and_a_refused_key_stops(tmp_path, ft_data):
    out = tmp_path / "preds.jsonl"
    with FakeOpenAI(responder=lambda body: ("status", 500)) as srv:
        p = fda("caption", ft_data["one"], "--backend", "openai:m", "--base-url", srv.base_url, "--tracks", ft_data["tracks"],
                "-o", out, "--no-cache", "--max-retries", "1", "--prompt", "Describe the face.")
    assert p.returncode == 1
    rec = json.loads(out.read_text())
    assert rec["status"] == "error" and "500" in rec["error"]
    with FakeOpenAI(responder=lambda body: ("status", 401)) as srv:
        p = fda("caption", ft_data["one"], ft_data["two"], "--backend", "openai:m", "--base-url", srv.base_url,
                "--tracks", ft_data["tracks"], "-o", tmp_path / "b.jsonl", "--no-cache", "--concurrency", "1")
    assert p.returncode == 2 and "stopped" in p.stderr
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    p = fda("caption", ft_data["one"], "--backend", "openai:gpt-4o", "-o", tmp_path / "c.jsonl", env=env)
    assert p.returncode == 2 and "OPENAI_API_KEY" in p.stderr
    p = fda("caption", ft_data["one"], "--backend", "hf:x", "-o", tmp_path / "c.jsonl")
    assert p.returncode == 2 and "unknown backend" in p.stderr


def test_a_refused_endpoint_option_never_touches_the_output(tmp_path, ft_data):
    out = tmp_path / "preds.jsonl"
    out.write_text('{"id": "one", "caption": "kept", "status": "ok"}\n')
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    p = subprocess.run([*FDA, "caption", str(ft_data["one"]), "--backend", "openai:m", "-o", str(out), "--overwrite"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 2 and "no API key" in p.stderr
    assert out.read_text() == '{"id": "one", "caption": "kept", "status": "ok"}\n'  # --overwrite never reached
    fresh = tmp_path / "new.jsonl"
    p = subprocess.run([*FDA, "caption", str(ft_data["one"]), "--backend", "openai:m", "-o", str(fresh)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 2 and not fresh.exists()
