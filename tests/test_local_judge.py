"""The local judge on real FEC-Bench references."""

import json
from pathlib import Path

import numpy as np
import pytest

from fdacli.core.score.judges.local import LocalJudge, extract_events, opposite
from fdacli.core.score.metrics.tem import OPPOSITE, tem_score

REFS = json.loads((Path(__file__).parent / "data" / "fec_bench_refs_slice.json").read_text())


@pytest.fixture(scope="module")
def judge():
    return LocalJudge()


def tem_of(judge, preds, refs):
    rels = judge.relations(list(zip(preds, refs)))
    return [tem_score(m, len(p), len(r)) for m, p, r in zip(rels, preds, refs)]


def test_events_are_facial_actions_in_order():
    ev = extract_events(REFS[0]["caption"])
    assert 3 <= len(ev) <= 10 and all(len(e.split()) <= 10 for e in ev)
    assert not any("hair" in e for e in ev)  # static appearance is not an event
    joined = " | ".join(ev)
    assert joined.index("opens the eyes") < joined.index("blinks")  # caption order kept
    assert all(len(extract_events(r["caption"])) <= 10 for r in REFS)
    assert extract_events("") == []
    assert extract_events("[She seems happy.] The man smiles.") == ["the man smiles"]


def test_reference_against_itself_scores_one_and_others_far_lower(judge):
    caps = [r["caption"] for r in REFS[:40]]
    events = judge.extract_events(caps)
    same = tem_of(judge, events, events)
    assert all(r.tem == pytest.approx(1.0) for r in same)
    shuffled = events[1:] + events[:1]
    other = np.mean([r.tem for r in tem_of(judge, shuffled, events)])
    assert other < 0.6


def test_reversed_events_keep_f_but_lower_lcs(judge):
    events = judge.extract_events([r["caption"] for r in REFS[:20]])
    fwd = tem_of(judge, events, events)
    rev = tem_of(judge, [e[::-1] for e in events], events)
    assert np.mean([r.f for r in rev]) == pytest.approx(np.mean([r.f for r in fwd]))
    assert np.mean([r.lcs for r in rev]) < 0.6 * np.mean([r.lcs for r in fwd])


def test_flipped_actions_are_opposite_meaning(judge):
    pred = ["the person opens the mouth", "the person raises the eyebrows", "the eyes look to the left", "the person smiles"]
    ref = ["the person closes the mouth", "the person lowers the eyebrows", "the eyes look to the right", "the person frowns"]
    (rel,) = judge.relations([(pred, ref)])
    assert [rel[i][i] for i in range(4)] == [OPPOSITE] * 4
    r = tem_score(rel, 4, 4)
    assert r.tem == 0.0 and r.opposite_pairs >= 4
    assert not opposite("the person opens the mouth", "the person raises the eyebrows")  # different parts


def test_entailment_for_autodq(judge):
    text = REFS[0]["caption"]
    ev = extract_events(text)
    (own,) = judge.entailed([(ev, text)])
    assert all(own)
    (other,) = judge.entailed([(["the person sticks out the tongue and winks"], text)])
    assert other == [False]
