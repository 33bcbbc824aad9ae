"""Benchmark: grounding, prompt hints and the timeline captioner on clips with very many measured events.

An `fda actions` record of a long clip can hold hundreds of thousands of events; every reader of them must be
linear in their number.  Baseline in the same run: parsing the record's JSON line (what any reader pays).

    python bench/events.py [--events 200000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fdacli.core.score.grounding import ground  # noqa: E402
from fdacli.core.text.timeline import caption, hints  # noqa: E402

KINDS = [("mouth", "open", []), ("mouth", "close", []), ("eyes", "blink", []), ("head", "turn", ["left"]),
         ("head", "nod", []), ("brows", "raise", [])]
CAPTION = ("At the beginning he opens his mouth, blinks, turns his head to the left and nods. Then he smiles and raises "
           "his eyebrows. He does not shake his head.")


def record(n: int) -> dict:
    events = [{"region": r, "action": a, "directions": d, "start": 0.1 * k, "end": 0.1 * k + 0.1}
              for k, (r, a, d) in ((k, KINDS[k % len(KINDS)]) for k in range(n))]
    return {"id": "long", "status": "ok", "main_face": True, "mean_quality": 0.9, "events": events,
            "neutral": {"mouth_open": 0.1}, "signals": {"mouth_open": [0.1, 0.3]}}


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=200_000)
    args = ap.parse_args()
    rec = record(args.events)
    line = json.dumps(rec)
    base = timed(lambda: json.loads(line))
    for name, fn in (("grounding", lambda: ground(CAPTION, rec)), ("hints", lambda: hints(rec["events"])),
                     ("timeline caption", lambda: caption(rec["events"], 0.1 * args.events))):
        t = timed(fn)
        print(f"{name}: {args.events} events in {t:.2f} s ({t / base:.1f}x parsing the record's JSON, {base:.2f} s)")


if __name__ == "__main__":
    main()
