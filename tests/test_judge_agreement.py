"""The offline judge against the hand-labelled gold (tests/data/judge_gold, README there).

Thresholds sit a little under the figures measured when the grammar was frozen (docs/benchmarks.md):
a change that makes the judge agree less with careful human labels fails here.  The held-out split
(gold_c, gold_e) was not looked at while grammar-v1 was written; the fresh split (gold_f) was labelled for
issue 23 before the judge was run on it and measured once, when grammar-v2 was frozen; both were looked at
sample by sample while grammar-v3 was written.  gold_g was labelled before grammar-v3 was written and
measured once, when it was frozen.  gold_h was labelled by a pass that never saw the judge's code, and measured
once with grammar-v3.  grammar-v4 was written looking at the tuning, held-out and fresh splits only; gold_g and
gold_h were measured once more, in aggregate, when it was frozen.  grammar-v5 likewise (plus the paper's own
example and unlabelled dev references); a draft of it lost one ordering on gold_h, whose ordered count alone was
then read once per new rule: the rule that moved it (a speech cycle read as the speech) was dropped after review.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fdacli.core.run.records import RecordError
from fdacli.core.score.agreement import evaluate, gold_matrix, label_agreement, load_gold, spearman
from fdacli.core.score.judges.local import LocalJudge
from fdacli.core.score.selection import load_selections, selection_agreement

GOLD = Path(__file__).parent / "data" / "judge_gold"
TUNING = [GOLD / f"gold_{k}.jsonl" for k in "abd"]
HELD_OUT = [GOLD / f"gold_{k}.jsonl" for k in "ce"]
FRESH = [GOLD / "gold_f.jsonl"]
FRESH_G = [GOLD / "gold_g.jsonl"]
FRESH_H = [GOLD / "gold_h.jsonl"]


@pytest.fixture(scope="module")
def gold():
    return load_gold(TUNING + HELD_OUT + FRESH + FRESH_G + FRESH_H)


@pytest.fixture(scope="module")
def result(gold):
    return evaluate(LocalJudge(), gold)


def test_the_set_is_what_its_readme_says(gold):
    assert len(gold) == 80 and all(len(g["predictions"]) == 3 for g in gold)  # load_gold refuses an id twice
    assert len(load_gold(FRESH)) == 10 and len(load_gold(FRESH_G)) == 10 and len(load_gold(FRESH_H)) == 10
    refs = {str(r["id"]): r["caption"] for r in json.loads((Path(__file__).parent / "data" / "fec_bench_refs_slice.json").read_text())}
    assert not set(refs) & {g["id"] for g in gold}  # no overlap with the slice other tests use


def test_tem_agrees_with_human_labels(result):
    # grammar-v5 on all 80: Spearman 0.960 / 0.960 / 0.945, 80/80 ordered, good 0.893 (labels 0.995), mixed 0.493
    # (0.507), poor 0.097 (0.086), calibration 0.90 (0.897 unrounded), mean |error| 0.063
    # (grammar-v4: 0.959 / 0.960 / 0.945, 80/80, good 0.892, mixed 0.495, calibration 0.896, error 0.064)
    # (grammar-v3: 0.956 / 0.957 / 0.942, good 0.879, mixed 0.487, poor 0.087, calibration 0.88, error 0.070)
    assert result["spearman_tem"] >= 0.95 and result["spearman_tem_ref"] >= 0.95 and result["spearman_autodq"] >= 0.93
    assert result["ordered"] >= 0.95  # good > mixed > poor for nearly every reference
    mean, labelled = result["mean_tem"], result["gold_mean_tem"]
    assert mean["good"] > 0.87 and 0.4 < mean["mixed"] < 0.58 and mean["poor"] < 0.12
    assert abs(mean["mixed"] - labelled["mixed"]) < 0.06 and abs(mean["poor"] - labelled["poor"]) < 0.04
    assert result["calibration"]["good"] >= 0.88  # good paraphrases score near what labellers give them
    assert result["mean_abs_error_tem"] < 0.075


@pytest.mark.parametrize("files, rho, good", [(HELD_OUT, 0.94, 0.91), (FRESH, 0.94, 0.9), (FRESH_G, 0.93, 0.85),
                                              (FRESH_H, 0.94, 0.87)])
def test_splits_the_grammar_was_not_tuned_on_agree_as_well(files, rho, good):
    # grammar-v5: held-out 0.957 / 0.93, fresh 0.957 / 0.93, gold_g 0.955 / 0.87, gold_h 0.957 / 0.885 (gold_g and
    # gold_h in aggregate only); grammar-v4: 0.957 / 0.93, 0.956 / 0.92, 0.955 / 0.87, 0.957 / 0.885;
    # grammar-v3: 0.958 / 0.92, 0.960 / 0.89, 0.952 / 0.86 (gold_g measured once), 0.958 / 0.88 (gold_h, labelled
    # without the judge's code, measured once)
    res = evaluate(LocalJudge(), load_gold(files))
    assert res["spearman_tem"] >= rho and res["ordered"] == 1.0
    assert res["calibration"]["good"] >= good


def test_the_human_ceiling_two_labellers_on_the_same_captions():
    second = load_gold([GOLD / "overlap_ce.jsonl"])
    first = [g for g in load_gold(HELD_OUT) if g["id"] in {s["id"] for s in second}]
    lab = label_agreement(first, second)
    assert lab["references"] == 4 and lab["predictions"] == 12 and lab["ordered_both"] == 4
    assert lab["spearman_tem"] >= 0.9 and lab["mean_abs_diff_tem"] < 0.05
    changed = json.loads(json.dumps(second))
    changed[0]["predictions"][0]["caption"] += " She blinks."
    with pytest.raises(RecordError, match="label different captions"):
        label_agreement(first, changed)


def test_events_and_relations_match_the_labels(result):
    ex, rel = result["extraction"], result["relations"]
    # grammar-v5 on all 80: extraction F1 0.905 (count error 0.25), relations 0.979 / macro-F1 0.950
    # (grammar-v4: 0.903 (0.27), 0.979 / 0.949; grammar-v3: 0.896, 0.979 / 0.948)
    assert ex["f1"] >= 0.88 and ex["mean_count_error"] < 0.35
    assert rel["accuracy"] >= 0.97 and rel["macro_f1"] >= 0.93
    for cls in ("same", "opposite"):
        assert rel["per_class"][cls]["precision"] >= 0.85 and rel["per_class"][cls]["recall"] >= 0.9, cls


class GoldJudge:
    """Answers with the labels themselves: the evaluator must then report perfect agreement."""

    def __init__(self, gold, flip=False):
        self.events = {g["reference"]: [e["text"] for e in g["ref_events"]] for g in gold}
        self.rel = {}
        for g in gold:
            for p in g["predictions"]:
                self.events[p["caption"]] = [e["text"] for e in p["events"]]
                m = gold_matrix(p, len(g["ref_events"]))
                self.rel[(tuple(self.events[p["caption"]]), tuple(self.events[g["reference"]]))] = m
        self.flip = flip

    def extract_events(self, texts):
        return [self.events[t] for t in texts]

    def relations(self, pairs):
        out = []
        for p, r in pairs:
            m = self.rel.get((tuple(p), tuple(r)), [["none"] * len(r) for _ in p])
            out.append([["none" if x == "same" else "same" for x in row] for row in m] if self.flip else m)
        return out

    def entailed(self, pairs):
        return [[True] * len(e) for e, _ in pairs]


def test_the_evaluator_can_tell_a_perfect_judge_from_a_wrong_one(gold):
    perfect = evaluate(GoldJudge(gold), gold)
    assert perfect["spearman_tem"] == pytest.approx(1.0) and perfect["ordered"] == perfect["gold_ordered"] == 1.0
    assert perfect["relations"]["accuracy"] == pytest.approx(1.0) and perfect["mean_abs_error_tem"] == pytest.approx(0.0)
    assert perfect["extraction"] is None  # plain-string events carry no parse to compare
    wrong = evaluate(GoldJudge(gold, flip=True), gold)
    assert wrong["spearman_tem"] < 0 and wrong["ordered"] < 0.2 and wrong["relations"]["accuracy"] < 0.5
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0) and spearman([1, 1, 2], [1, 1, 2]) == pytest.approx(1.0)


def test_a_labelling_slip_stops_with_file_and_line(tmp_path):
    rec = json.loads((GOLD / "gold_a.jsonl").read_text().splitlines()[0])
    rec["predictions"][1]["same"].append([99, 0])
    bad = tmp_path / "bad.jsonl"
    bad.write_text((GOLD / "gold_a.jsonl").read_text().splitlines()[1] + "\n" + json.dumps(rec) + "\n")
    with pytest.raises(RecordError, match=r"bad.jsonl:2: a same pair is out of range"):
        load_gold([bad])


SELECTIONS = GOLD / "overlap_long.jsonl"
NEVER_READ = FRESH_G + FRESH_H


@pytest.fixture(scope="module")
def selections():
    return load_selections([SELECTIONS])


@pytest.mark.parametrize("files", [TUNING + HELD_OUT + FRESH, NEVER_READ], ids=["read-while-tuning", "never-read"])
def test_which_ten_the_judge_keeps_against_careful_labellers(selections, files):
    """On references with more than ten candidate events, two more passes picked their ten again
    (tests/data/judge_gold/SELECTION_GUIDE.md).  grammar-v5, read while tuning / never read: judge ~ first labeller
    F1 0.783 / 0.774, judge ~ another pass 0.728 / 0.750, first ~ another pass 0.756 / 0.861, two other passes
    0.902 / 0.894; good TEM against the judge's ten 0.855 / 0.843, against another pass's ten 0.804 / 0.817.
    A careful human's ten in the judge's place would not raise its TEM of good paraphrases.  The protocol's
    ceiling: careful passes extracting the reference and the good paraphrase each on its own (as the paper's
    judge does) score 0.834 / 0.864 under the judge's relations; the first labeller, who picked both with both
    in view, 0.965 / 0.935.  What the judge loses on long captions is what independent extraction loses."""
    res = selection_agreement(LocalJudge(), load_gold(files), selections)
    f1, good = res["f1"], res["tem"]["good"]
    assert res["references"] == (41 if len(files) > 2 else 10)
    assert f1["judge ~ first"] >= 0.74 and f1["judge ~ another pass"] >= 0.7 and f1["two other passes"] >= 0.85
    assert good["judge's ten"] >= good["another pass's ten"] and good["judge's ten"] >= 0.82
    assert res["tem"]["poor"]["judge's ten"] < 0.2 < res["tem"]["mixed"]["judge's ten"] < good["judge's ten"]
    assert good["judge's ten"] >= good["careful passes, each caption on its own"] - 0.03
    assert good["first labeller, both captions in view"] >= 0.9  # the relations are not what is lost


def test_the_selection_measure_gives_the_labels_back_to_a_judge_that_answers_with_them(gold, selections):
    res = selection_agreement(GoldJudge(gold), gold, selections)
    assert res["references"] == 51 and res["f1"]["judge ~ first"] is None  # plain strings carry no parse
    for q in ("good", "mixed", "poor"):
        t = res["tem"][q]
        assert t["judge's ten"] == pytest.approx(t["labels"]) and t["first's ten"] == pytest.approx(t["labels"])
    good = res["tem"]["good"]
    assert good["first labeller, both captions in view"] == pytest.approx(good["labels"])
    assert good["careful passes, each caption on its own"] == 0.0  # texts the labels never related


def test_a_selection_slip_stops_with_file_and_line(tmp_path):
    lines = SELECTIONS.read_text().splitlines()
    rec = json.loads(lines[1])
    rec["passes"][0]["kept"] = [3, 1]
    bad = tmp_path / "sel.jsonl"
    bad.write_text(lines[0] + "\n" + json.dumps(rec) + "\n")
    with pytest.raises(RecordError, match=r"sel.jsonl:2: pass .* keeps \[3, 1\]"):
        load_selections([bad])
    rec = json.loads(lines[1])
    rec["good"]["passes"][1]["kept"] = list(range(11))
    bad.write_text(json.dumps(rec) + "\n")
    with pytest.raises(RecordError, match=r"sel.jsonl:1: pass .* keeps \[0, 1, .*\] of \d+ candidates"):
        load_selections([bad])
    bad.write_text(lines[0] + "\n" + lines[0] + "\n")
    with pytest.raises(RecordError, match=r"sel.jsonl:2: id .* is picked twice"):
        load_selections([bad])


def test_a_selection_of_other_captions_is_refused_and_no_selection_gives_no_figures(gold, selections):
    changed = json.loads(json.dumps(selections[:1]))
    changed[0]["good"]["caption"] += " She blinks."
    with pytest.raises(RecordError, match="label different captions"):
        selection_agreement(LocalJudge(), gold, changed)
    empty = selection_agreement(LocalJudge(), load_gold(HELD_OUT), [s for s in selections if s["id"] == "none"])
    assert empty["references"] == 0 and empty["tem"]["good"]["judge's ten"] is None
