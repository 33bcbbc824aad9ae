"""Against a real llama.cpp server (xllamacpp serving SmolLM2-135M-Instruct on loopback): the judge's calls
are bounded and grammar-constrained, a run ends with every sample scored or failed with its reason, the
cache makes the rerun free, and a server that cannot do what is asked stops a run in seconds with why.

A 135M model is a poor judge: these tests check the plumbing and the bounds, not the verdicts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow
FDA = [sys.executable, "-m", "fdacli.cli"]
REFS = Path(__file__).parent / "data" / "fec_bench_refs_slice.json"


def fda(*args, timeout=900, **env):
    return subprocess.run([*FDA, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "150", **env})


def test_score_against_a_real_llama_cpp_server_is_bounded_structured_and_cached(tmp_path, llama_server):
    refs = json.loads(REFS.read_text())[:3]
    (tmp_path / "refs.json").write_text(json.dumps(refs))
    # each clip described with the next clip's reference: real FEC-Bench prose, the wrong clip
    (tmp_path / "preds.jsonl").write_text("".join(json.dumps({"id": r["id"], "caption": refs[(k + 1) % 3]["caption"]}) + "\n"
                                                  for k, r in enumerate(refs)))
    args = ["score", tmp_path / "preds.jsonl", "-r", tmp_path / "refs.json", "-o", tmp_path / "s.json",
            "--judge", "openai:smollm2", "--base-url", llama_server, "--metrics", "tem,autodq,judge",
            "--cache-dir", tmp_path / "cache", "--concurrency", "2"]
    p = fda(*args)  # the subprocess timeout is the bound: without token limits this ran for 9 minutes on 10 samples
    assert p.returncode in (0, 1), p.stderr
    result = json.loads((tmp_path / "s.json").read_text())
    judge, model = result["judge"], result["models"]["preds"]
    assert judge["structured_output"] == "json_schema"  # llama.cpp took the schemas (grammar-constrained)
    assert judge["served_model"].endswith(".gguf") and judge["endpoint_host"].startswith("127.0.0.1:")
    for s in model["samples"]:  # every sample scored or failed with its reason, per metric
        for metric, key in (("tem", "tem"), ("autodq", "autodq"), ("judge", "correctness")):
            assert (key in s) != (metric in s.get("failed", {})), s
            if metric in s.get("failed", {}):
                assert len(s["failed"][metric]) > 10
    calls = judge["calls"]
    assert calls["done"] + calls["failures"] == calls["calls"] > 0
    # bounded replies: unbounded, this model wrote 1,000-1,760 tokens a reply
    assert calls["completion_tokens"] / calls["requests"] < 600, calls
    assert calls["mean_reply_seconds"] > 0
    # the rerun is answered from the cache: every reply the first run got (asked or reused) is reused, so only what
    # failed is asked again — with the calls that waited on it (a caption whose events failed to come back still has
    # its relation and entailment calls to make: one failure under load was six calls on the rerun).  A lost cache
    # entry is a call instead of a hit, and fails the first line.
    p2 = fda(*args)
    assert p2.returncode in (0, 1), p2.stderr
    rerun = json.loads((tmp_path / "s.json").read_text())
    again = rerun["judge"]["calls"]
    assert again["cache_hits"] >= calls["done"] + calls["cache_hits"] and calls["done"] > 0, (calls, again)
    if calls["failures"] == 0:
        assert again["calls"] == 0, again  # nothing failed, nothing waited: nothing to ask
    for first, second in zip(model["samples"], rerun["models"]["preds"]["samples"]):
        for key in ("tem", "autodq", "correctness", "detail", "context", "temporal"):
            if key in first:  # scored from cached replies: the same value
                assert second.get(key) == first[key], (key, first, second)


def test_a_text_only_server_asked_for_images_stops_the_run_in_seconds_with_its_reason(tmp_path, llama_server):
    import cv2

    clip = tmp_path / "clip.mp4"
    w = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 8, (160, 96))
    for k in range(16):
        w.write(np.full((96, 160, 3), 15 * k, np.uint8))
    w.release()
    (tmp_path / "tracks.jsonl").write_text("".join(
        json.dumps({"id": f"c{i}", "video": str(clip), "status": "ok", "key_frames": [0, 4, 8, 12],
                    "key_frame_boxes": [[40.0, 20.0, 100.0, 80.0]] * 4}) + "\n" for i in range(12)))
    p = fda("preannotate", tmp_path / "tracks.jsonl", "-o", tmp_path / "pre.jsonl", "--model", "smollm2",
            "--base-url", llama_server, "--no-cache", timeout=120)
    assert p.returncode == 2, p.stderr
    err = " ".join(p.stderr.split())
    assert "stopped:" in err and "image input is not supported" in err and "look at its log" in err, err
    written = (tmp_path / "pre.jsonl").read_text().splitlines() if (tmp_path / "pre.jsonl").exists() else []
    assert len(written) < 12  # stopped early, resumable: not one failed request per clip after another
