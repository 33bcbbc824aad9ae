"""Parsing an LLM judge's relation replies into the TEM matrix, robustly."""

import pytest

from fdacli.core.score.judges.llm import _matrix, _relation
from fdacli.core.llm.client import ParseError
from fdacli.core.score.metrics.tem import NONE, OPPOSITE, SAME


def row(p, *gts):
    return {"pred_event": p, "gt_events": [{"gt_event": g, "relationship": r} for g, r in gts]}


def test_repeated_events_go_to_distinct_rows_even_when_reordered():
    pred = ["Eyes look left", "Mouth opens", "Eyes look left"]
    ref = ["Mouth opens", "Eyes look left"]
    rows = [row("Eyes look left", ("Eyes look left", "Same Meaning")),
            row("Eyes look left", ("Eyes look left", "Same Meaning")),
            row("Mouth opens", ("Mouth opens", "Same Meaning"))]
    m = _matrix(rows, pred, ref)
    assert m == [[NONE, SAME], [SAME, NONE], [NONE, SAME]]


def test_partial_gt_lists_like_the_supplement_example():
    pred = ["Eyes open at the beginning", "Mouth closes towards the end"]
    ref = ["Eyes wide open", "Lips slowly open", "Eyebrows slightly raise"]
    rows = [row("Eyes open at the beginning", ("Eyes wide open", "Similar Meaning")),
            row("Mouth closes towards the end", ("Lips slowly open", "Opposite Meaning"))]
    assert _matrix(rows, pred, ref) == [[SAME, NONE, NONE], [NONE, OPPOSITE, NONE]]


def test_positions_used_only_when_the_judge_listed_everything():
    pred, ref = ["A blinks", "B smiles"], ["X", "Y"]
    full = [row("1. a blinks", ("x", "No Relation"), ("Y.", "Same Meaning")), row("b smiles!", ("X", "Same Meaning"), ("Y", "No Relation"))]
    assert _matrix(full, pred, ref) == [[NONE, SAME], [SAME, NONE]]  # paraphrased rows placed by position
    with pytest.raises(ParseError, match="answered for 1 of 2"):
        _matrix([row("A blinks", ("X", "Same Meaning"))], pred, ref)
    with pytest.raises(ParseError, match="cannot place reference event"):
        _matrix([row("A blinks", ("something else", "Same Meaning")), row("B smiles")], pred, ref)


@pytest.mark.parametrize("label,expected", [("Same Meaning", SAME), ("similar meaning", SAME), ("Opposite Meaning", OPPOSITE),
                                            ("No Relation", NONE), ("no relation.", NONE)])
def test_labels(label, expected):
    assert _relation(label) == expected


@pytest.mark.parametrize("label", ["Dissimilar", "Not the same", "not opposite", ""])
def test_unknown_labels_are_parse_errors(label):
    with pytest.raises(ParseError):
        _relation(label)
