"""How well a judge agrees with the hand-labelled gold in tests/data/judge_gold (README there).

Prints, per split (tuning: gold_a, gold_b, gold_d, looked at while the grammar was written; held-out:
gold_c, gold_e, measured once when grammar-v1 was frozen; fresh: gold_f, labelled for issue 23 and measured
once when grammar-v2 was frozen — both looked at sample by sample while grammar-v3 was written; fresh-g:
gold_g, labelled before grammar-v3 was written and measured once when it was frozen; fresh-h: gold_h, labelled
by a pass that never saw the judge's code, measured once with grammar-v3; grammar-v4 was written reading the
first three only, and measured fresh-g and fresh-h once more, in aggregate; grammar-v5 likewise, with gold_h's
ordered count read once per new rule) and over all: Spearman of the judge's TEM against gold TEM (and of TEM-ref
and AutoDQ), the share of references ordered good > mixed > poor, mean TEM per quality beside the gold means
and their ratio (calibration), event-extraction precision/recall against the gold events, relation accuracy
on the gold event pairs, the references where the judge is furthest from the labels, and the human ceiling:
a second labelling pass over some references of gold_c and gold_e (overlap_ce.jsonl) against the first,
beside the judge against either pass on the same captions; and on the long references, which ten events each
labelling pass kept (overlap_long.jsonl: two more passes each) against each other and against the judge's ten,
with the TEM the judge gives each prediction against each pass's ten (fdacli/core/score/selection.py).

    python bench/judge_agreement.py --split all          # the local grammar judge, every split
    python bench/judge_agreement.py --judge openai:MODEL --base-url URL   # any LLM judge, same figures
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
GOLD = ROOT / "tests" / "data" / "judge_gold"
SPLITS = {"tuning": ("gold_a.jsonl", "gold_b.jsonl", "gold_d.jsonl"), "held-out": ("gold_c.jsonl", "gold_e.jsonl"),
          "fresh": ("gold_f.jsonl",), "fresh-g": ("gold_g.jsonl",), "fresh-h": ("gold_h.jsonl",)}
OVERLAP = ("overlap_ce.jsonl", ("gold_c.jsonl", "gold_e.jsonl"))  # second pass, and the passes it relabels
SELECTIONS = "overlap_long.jsonl"  # the long references picked from again by two more passes each
NEVER_READ = ("fresh-g", "fresh-h")  # splits measured in aggregate only

from fdacli.core.score.agreement import QUALITIES, evaluate, label_agreement, load_gold, spearman  # noqa: E402
from fdacli.core.score.judges import make_judge  # noqa: E402
from fdacli.core.score.selection import load_selections, selection_agreement  # noqa: E402


def show(name: str, res: dict) -> None:
    mt, gm = res["mean_tem"], res["gold_mean_tem"]
    print(f"[{name}] {res['references']} references, {res['predictions']} predictions")
    print(f"  Spearman vs gold: TEM {res['spearman_tem']:.3f}  TEM-ref {res['spearman_tem_ref']:.3f}  "
          f"AutoDQ {res['spearman_autodq']:.3f}   mean |TEM - gold| {res['mean_abs_error_tem']:.3f}")
    print(f"  ordered good > mixed > poor: {res['ordered']:.0%} of references (gold labels: {res['gold_ordered']:.0%})")
    print("  mean TEM  " + "  ".join(f"{q} {mt[q]:.3f} (gold {gm[q]:.3f})" for q in QUALITIES))
    print("  calibration (judge / labels)  " + "  ".join(f"{q} {res['calibration'][q]:.2f}" for q in QUALITIES if res["calibration"][q]))
    ex = res["extraction"]
    if ex:
        print(f"  events: precision {ex['precision']:.3f} recall {ex['recall']:.3f} F1 {ex['f1']:.3f} "
              f"({ex['events_found']} found, {ex['events_gold']} labelled, mean count error {ex['mean_count_error']:.2f})")
    r = res["relations"]
    pc = r["per_class"]
    print(f"  relations on gold events ({r['pairs']} pairs): accuracy {r['accuracy']:.3f} macro-F1 {r['macro_f1']:.3f}  "
          + "  ".join(f"{c} P {pc[c]['precision']:.2f} R {pc[c]['recall']:.2f} (n={pc[c]['gold']})" for c in pc))


def ceiling(judge) -> None:
    """Two labellers on the same captions, and the judge against each of them on those captions."""
    second_file, first_files = OVERLAP
    if not (GOLD / second_file).exists():
        return
    second = load_gold([GOLD / second_file])
    ids = {g["id"] for g in second}
    first = [g for g in load_gold([GOLD / f for f in first_files]) if g["id"] in ids]
    lab = label_agreement(first, second)
    print(f"\n[human ceiling] {lab['references']} references relabelled from the guide alone ({lab['predictions']} predictions)")
    print(f"  labeller vs labeller: Spearman TEM {lab['spearman_tem']:.3f}   mean |TEM - TEM| {lab['mean_abs_diff_tem']:.3f}   "
          f"ordered by both {lab['ordered_both']}/{lab['references']}")
    print("  mean labelled TEM  " + "  ".join(f"{q} {a:.3f} / {b:.3f}" for q, (a, b) in lab["mean_tem"].items()))
    rows = evaluate(judge, first)["rows"]
    tems = [r["tem"] for r in rows]
    by = {(r["id"], q): t for r in lab["rows"] for q, t in r["second"].items()}
    print(f"  judge vs first pass: Spearman {spearman(tems, [r['gold_tem'] for r in rows]):.3f}   "
          f"judge vs second pass: {spearman(tems, [by[(r['id'], r['quality'])] for r in rows]):.3f}")


def which_ten(judge) -> None:
    """On the long references: the ten each labelling pass kept, against each other and the judge's (selection.py)."""
    if not (GOLD / SELECTIONS).exists():
        return
    selections = load_selections([GOLD / SELECTIONS])
    groups = {"read while tuning": [f for n, fs in SPLITS.items() if n not in NEVER_READ for f in fs],
              "never read": [f for n in NEVER_READ for f in SPLITS[n]]}
    res = {name: selection_agreement(judge, load_gold([GOLD / f for f in files]), selections) for name, files in groups.items()}
    print(f"\n[which ten] long references picked from again by two more passes ({SELECTIONS}): "
          + ", ".join(f"{r['references']} {name}" for name, r in res.items()))
    print("  " + " " * 58 + "".join(f"{name:>20}" for name in res))
    for key in next(iter(res.values()))["f1"]:
        print(f"  event F1, {key:<48}" + "".join(f"{_num(r['f1'].get(key)):>20}" for r in res.values()))
    for q in QUALITIES:
        for key in next(iter(res.values()))["tem"][q]:
            label = f"{q} TEM, " + ("labelled" if key == "labels" else f"judge against {key}" if key.endswith("ten") else key)
            print(f"  {label:<58}" + "".join(f"{_num(r['tem'][q][key]):>20}" for r in res.values()))


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--judge", default="local")
    ap.add_argument("--base-url", default=None)
    ap.add_argument("--split", choices=[*SPLITS, "all"], default="tuning")
    ap.add_argument("--ceiling", action="store_true", help="also print the human ceiling (always with --split all)")
    ap.add_argument("--worst", type=int, default=5, help="list this many predictions furthest from gold TEM")
    args = ap.parse_args()
    client = None
    if args.judge.startswith("openai:"):
        from fdacli.core.llm.client import LLMClient, LLMConfig

        client = LLMClient(LLMConfig(model=args.judge.split(":", 1)[1], base_url=args.base_url))
    judge = make_judge(args.judge, client)
    everything = []
    for name, files in SPLITS.items():
        if args.split not in (name, "all"):
            continue
        paths = [GOLD / f for f in files if (GOLD / f).exists()]
        if not paths:
            continue
        gold = load_gold(paths)
        everything += gold
        show(name, evaluate(judge, gold))
    res = evaluate(judge, everything)
    if args.split == "all":
        show("all", res)
    if args.split == "all" or args.ceiling:
        ceiling(judge)
        which_ten(judge)
    print(f"\nfurthest from the labels ({args.worst}):")
    for r in sorted(res["rows"], key=lambda r: -abs(r["tem"] - r["gold_tem"]))[: args.worst]:
        print(f"  {r['id']:>4} {r['quality']:<5} TEM {r['tem']:.3f} gold {r['gold_tem']:.3f}")


if __name__ == "__main__":
    main()
