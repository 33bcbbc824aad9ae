"""Benchmark for `fda score`.

1. Local-judge throughput on the 400 FEC-Bench dev references, each scored against a shuffled other
   reference (TEM + AutoDQ: event extraction, relations, entailment), in captions per second, against a
   plain ROUGE-L pass over the same pairs in the same run (ratio = local judge time / ROUGE-L time; the
   target is at most 3x, and at least 200 captions/s).  The judge starts cold: its parse caches cleared.
2. LLM calls per sample, counted at a loopback OpenAI-compatible server answering the supplement's
   prompts: a cold run, an identical rerun (expected 0), and a new prediction file once reference
   events are cached (expected at most 2 per prediction for TEM).

    python bench/score.py [--n 400]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
REFS = ROOT.parent / "shared" / "data" / "fec_bench_refs_dev.json"

from fake_openai import FakeOpenAI, fec_judge  # noqa: E402

from fdacli.core.score.judges.local import LocalJudge, caches_clear as judge_caches_clear  # noqa: E402
from fdacli.core.score.metrics.ngram import rouge_l_f1  # noqa: E402
from fdacli.core.score.scoring import Captions, EventStore, score_model  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--refs", type=Path, default=REFS if REFS.exists() else ROOT / "tests" / "data" / "fec_bench_refs_slice.json")
    args = ap.parse_args()
    refs = json.loads(args.refs.read_text())[: args.n]
    ids = [str(r["id"]) for r in refs]
    caps = [r["caption"] for r in refs]
    shuffled = caps[:]
    random.Random(0).shuffle(shuffled)
    ref_c = Captions(str(args.refs), dict(zip(ids, caps)))
    pred_c = Captions("shuffled", dict(zip(ids, shuffled)))

    t = time.perf_counter()
    rouge = [rouge_l_f1(p, r) for p, r in zip(shuffled, caps)]
    t_rouge = time.perf_counter() - t

    judge = LocalJudge()
    judge_caches_clear()  # cold: nothing parsed yet (an earlier import or run must not flatter the figure)
    t = time.perf_counter()
    res = score_model(pred_c, ref_c, judge, EventStore(judge), ("tem", "autodq"))
    t_local = time.perf_counter() - t
    n = len(ids)
    print(f"captions: {n}   (reference vs shuffled reference)")
    print(f"ROUGE-L pass          {t_rouge:8.3f} s   {n / t_rouge:10.1f} captions/s   mean {sum(rouge) / n:.3f}")
    print(f"local judge TEM+AutoDQ {t_local:7.3f} s   {n / t_local:10.1f} captions/s   ratio {t_local / t_rouge:.2f}x ROUGE-L")
    print(f"  TEM {res['summary']['tem']:.3f}  AutoDQ {res['summary']['autodq']:.3f}  events/caption "
          f"{res['summary']['pred_events_per_caption']:.2f}  opposite-pair rate {res['summary']['opposite_rate']:.4f}")

    # LLM calls per sample at a loopback server
    k = min(n, 40)
    tmp = Path(tempfile.mkdtemp(prefix="fda-bench-score-"))
    refs_file = tmp / "refs.json"
    refs_file.write_text(json.dumps(refs[:k]))
    a, b = tmp / "a.jsonl", tmp / "b.jsonl"
    a.write_text("".join(json.dumps({"id": i, "caption": c}) + "\n" for i, c in zip(ids[:k], shuffled[:k])))
    b.write_text("".join(json.dumps({"id": i, "caption": c}) + "\n" for i, c in zip(ids[:k], shuffled[k : 2 * k] or shuffled[:k][::-1])))
    env = {**os.environ, "FDA_CACHE_DIR": str(tmp / "cache")}
    with FakeOpenAI(responder=fec_judge) as srv:
        def run(pred: Path, metrics: str) -> int:
            before = len(srv.requests)
            subprocess.run([sys.executable, "-m", "fdacli.cli", "score", str(pred), "--refs", str(refs_file), "-o", str(tmp / "s.json"),
                            "--judge", "openai:bench-judge", "--base-url", srv.base_url, "--metrics", metrics, "-q"],
                           check=True, env=env, capture_output=True)
            return len(srv.requests) - before

        cold = run(a, "tem")
        again = run(a, "tem")
        new = run(b, "tem")
        autodq = run(b, "tem,autodq")
    print(f"LLM calls per sample (n={k}, TEM): cold {cold / k:.2f} (reference + prediction events, relations); "
          f"identical rerun {again / k:.2f}; new predictions {new / k:.2f}; adding AutoDQ {autodq / k:.2f}")


if __name__ == "__main__":
    main()
