"""Why the offline judge under-scores good paraphrases: each good prediction set beside its labels.

For every good prediction of the chosen split whose judge TEM is below its labelled TEM, the judge's events
are aligned with the labelled ones (an LCS where two events match when the grammar reads them as one action;
what is left over is then paired by shared content words, a *misreading*), and the gap is put down to causes:

  ref-cut        a reference event the labeller kept within ten, found by the grammar but cut by its cap
  ref-extra      an event the judge kept in the reference's ten that the labeller did not
  ref-miss       a labelled reference event the grammar never found (a wording it cannot read)
  ref-misread    a labelled reference event the grammar found as another action or part
  pred-miss / pred-extra / pred-misread     the same on the prediction's side
  relation       both events found, the labeller called them Same, the grammar does not

and the TEM is recomputed with the labelled events put in step by step (the reference's, then the
prediction's), so the share of the gap each side explains is measured, not guessed.  Events are reported
with the grammar's reading (part · action · direction); ``state``, ``head`` and ``repeat`` say what kind of
candidate a cut or extra event was.

    python bench/judge_causes.py --split tuning held-out   # the table of causes
    python bench/judge_causes.py --split tuning --detail   # every event of every case
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from judge_agreement import GOLD, SPLITS  # noqa: E402

from fdacli.core.score.agreement import gold_event, gold_matrix, load_gold  # noqa: E402
from fdacli.core.score.metrics.tem import SAME, tem_score  # noqa: E402
from fdacli.core.text import grammar  # noqa: E402

_STOP = set("the a an of to and his her their its is are was were person slightly slight little bit at in on with as then "
            "while it that this very more some man woman man's woman's girl boy he she".split())


def _words(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z]+", text.lower()) if w not in _STOP}


def _same(a, b) -> bool:
    return grammar.relation(a, b)[0] == SAME


def align(found: list, labelled: list) -> dict[int, int]:
    """found index -> labelled index: an LCS under Same Meaning."""
    n, m = len(found), len(labelled)
    L = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n):
        for j in range(m):
            L[i + 1][j + 1] = L[i][j] + 1 if _same(found[i], labelled[j]) else max(L[i][j + 1], L[i + 1][j])
    out, i, j = {}, n, m
    while i and j:
        if _same(found[i - 1], labelled[j - 1]) and L[i][j] == L[i - 1][j - 1] + 1:
            out[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif L[i - 1][j] >= L[i][j - 1]:
            i -= 1
        else:
            j -= 1
    return out


def by_words(found: list, labelled: list, taken: dict[int, int]) -> dict[int, int]:
    """Left-over events paired by content words (Dice >= 0.5), in order: the grammar read them otherwise."""
    used = set(taken.values())
    out = {}
    for i, f in enumerate(found):
        if i in taken:
            continue
        wf = _words(f.text)
        best = max(((2 * len(wf & _words(g.text)) / (len(wf) + len(_words(g.text)) or 1), j)
                    for j, g in enumerate(labelled) if j not in used), default=(0, None))
        if best[0] >= 0.5:
            out[i] = best[1]
            used.add(best[1])
    return out


def kind(ev, events: list, k: int) -> str:
    tags = []
    if ev.negated:
        tags.append("negated")
    if ev.state:
        tags.append("state")
    if ev.family == "head":
        tags.append("head")
    if any((e.family, e.action) == (ev.family, ev.action) for e in events[:k]):
        tags.append("repeat")
    if not ev.parsed:
        tags.append("fallback")
    return "+".join(tags) or "movement"


def tem(pe, re_, rel=None):
    rel = rel or [[grammar.relation(a, b)[0] for b in re_] for a in pe]
    return tem_score(rel, len(pe), len(re_)).tem


def diagnose(g: dict, p: dict, detail: bool) -> tuple[float, float, list[tuple[str, str]]]:
    full = list(grammar.parse(g["reference"]))
    kept = grammar.extract(g["reference"])
    kept_idx = []
    it = iter(range(len(full)))
    for e in kept:
        kept_idx.append(next(k for k in it if full[k] is e or full[k] == e))
    gref = [gold_event(e) for e in g["ref_events"]]
    pe = grammar.extract(p["caption"])
    gpe = [gold_event(e) for e in p["events"]]
    causes: list[tuple[str, str]] = []
    # the reference: the grammar's every candidate against the labeller's ten
    a_full = align(full, gref)
    a_words = by_words(full, gref, a_full)
    inv = {j: i for i, j in a_full.items()}
    invw = {j: i for i, j in a_words.items()}
    for j, ev in enumerate(gref):
        if j in inv:
            if inv[j] not in kept_idx:
                k = inv[j]
                causes.append(("ref-cut", f"{kind(full[k], full, k)}: {full[k].structure()}"))
        elif j in invw:
            causes.append(("ref-misread", f"{g['ref_events'][j]['text']!r} as {full[invw[j]].structure()} (label {ev.structure()})"))
        else:
            causes.append(("ref-miss", f"{g['ref_events'][j]['text']!r} ({ev.structure()})"))
    for k in kept_idx:
        if k not in a_full and k not in a_words:
            causes.append(("ref-extra", f"{kind(full[k], full, k)}: {full[k].structure()} | {full[k].text}"))
    # the prediction
    a_p = align(pe, gpe)
    a_pw = by_words(pe, gpe, a_p)
    invp = {j: i for i, j in a_p.items()}
    invpw = {j: i for i, j in a_pw.items()}
    for j, ev in enumerate(gpe):
        if j in invp:
            continue
        if j in invpw:
            causes.append(("pred-misread", f"{p['events'][j]['text']!r} as {pe[invpw[j]].structure()} (label {ev.structure()})"))
        else:
            causes.append(("pred-miss", f"{p['events'][j]['text']!r} ({ev.structure()})"))
    for i, ev in enumerate(pe):
        if i not in a_p and i not in a_pw:
            causes.append(("pred-extra", f"{kind(ev, pe, i)}: {ev.structure()} | {ev.text}"))
    # relations between events both sides found: labelled Same, read otherwise
    for gi, gj in p["same"]:
        if gi in invp and gj in inv and inv[gj] in kept_idx:
            a, b = pe[invp[gi]], full[inv[gj]]
            if not _same(a, b):
                causes.append(("relation", f"{a.structure()} / {b.structure()}: {grammar.relation(a, b)[1]}"))
    t0 = tem(pe, kept)
    gt = tem_score(gold_matrix(p, len(gref)), len(gpe), len(gref)).tem
    t_ref = tem(pe, gref)  # the labeller's reference events, the judge's prediction events
    t_both = tem(gpe, gref)  # the labeller's events on both sides, the grammar's relations
    if detail:
        print(f"\n== {g['id']} {p['quality']}: judge {t0:.3f} -> labelled ref {t_ref:.3f} -> labelled both {t_both:.3f} -> labels {gt:.3f}")
        for c, s in causes:
            print(f"   {c:12} {s}")
    return t0, gt, causes, (t0, t_ref, t_both, gt)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=[*SPLITS, "all"], nargs="+", default=["tuning"])
    ap.add_argument("--quality", default="good")
    ap.add_argument("--detail", action="store_true")
    ap.add_argument("--below", type=float, default=1.0, help="only predictions with judge / labels under this")
    args = ap.parse_args()
    files = [f for name, fs in SPLITS.items() if name in args.split or "all" in args.split for f in fs]
    gold = load_gold([GOLD / f for f in files if (GOLD / f).exists()])
    counts, cases, steps = Counter(), Counter(), []
    kinds = Counter()
    rows = []
    for g in gold:
        for p in g["predictions"]:
            if p["quality"] != args.quality:
                continue
            t0, gt, causes, st = diagnose(g, p, False)
            if gt and t0 / gt < args.below:
                rows.append((t0 / gt, g, p))
    for _, g, p in sorted(rows, key=lambda r: r[0]):
        t0, gt, causes, st = diagnose(g, p, args.detail)
        steps.append(st)
        for c, s in causes:
            counts[c] += 1
            if c in ("ref-cut", "ref-extra", "pred-extra"):
                kinds[(c, s.split(":")[0])] += 1
        for c in {c for c, _ in causes}:
            cases[c] += 1
    n = len(steps)
    print(f"\n{n} {args.quality} predictions under {args.below:.2f} x their labelled TEM ({', '.join(args.split)})")
    if n:
        m = [sum(s[k] for s in steps) / n for k in range(4)]
        print(f"mean TEM: judge {m[0]:.3f} -> with the labelled reference events {m[1]:.3f} -> and the labelled prediction "
              f"events {m[2]:.3f} (only relations left) -> labels {m[3]:.3f}")
    print(f"{'cause':14} {'events':>6} {'cases':>6}")
    for c in ("ref-cut", "ref-extra", "ref-miss", "ref-misread", "pred-miss", "pred-extra", "pred-misread", "relation"):
        print(f"{c:14} {counts[c]:6} {cases[c]:6}")
    print("kinds of cut / extra events:")
    for (c, k), v in sorted(kinds.items()):
        print(f"  {c:11} {k:22} {v}")


if __name__ == "__main__":
    main()
