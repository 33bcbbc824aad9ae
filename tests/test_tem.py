"""Algorithm 1 on hand-built cases with exact expected numbers."""

import pytest

from fdacli.core.score.metrics.tem import NONE, OPPOSITE, SAME, lcs_length, tem_score

S, O, N = SAME, OPPOSITE, NONE


def test_identical_sequences_score_one():
    rel = [[S, N, N], [N, S, N], [N, N, S]]
    r = tem_score(rel, 3, 3)
    assert (r.lcs_length, r.lcs, r.precision, r.recall, r.f, r.tem) == (3, 1.0, 1.0, 1.0, 1.0, 1.0)


def test_reversed_order_keeps_f_but_lowers_lcs():
    rel = [[N, N, S], [N, S, N], [S, N, N]]
    r = tem_score(rel, 3, 3)
    assert r.f == 1.0 and r.lcs_length == 1 and r.lcs == pytest.approx(1 / 3)
    assert r.tem == pytest.approx((1 / 3 + 1) / 2)


def test_the_two_normalisations_differ_when_lengths_differ():
    # 2 predicted events, 4 reference events; pred[0]~ref[1], pred[1]~ref[3]
    rel = [[N, S, N, N], [N, N, O, S]]
    by_pred = tem_score(rel, 2, 4, lcs_norm="pred")
    by_ref = tem_score(rel, 2, 4, lcs_norm="ref")
    assert by_pred.lcs_length == by_ref.lcs_length == 2
    assert by_pred.lcs == 1.0 and by_ref.lcs == 0.5
    assert by_pred.precision == 1.0 and by_pred.recall == 0.5
    assert by_pred.f == pytest.approx(2 / 3)
    assert by_pred.tem == pytest.approx((1.0 + 2 / 3) / 2)
    assert by_ref.tem == pytest.approx((0.5 + 2 / 3) / 2)
    assert by_pred.opposite_pairs == 1 and by_pred.pairs == 8


def test_the_reference_normalised_tem_is_always_reported_and_does_not_reward_saying_less():
    # 5 reference events; a one-event caption matching one of them, and a complete caption matching 3 in order
    one = tem_score([[S, N, N, N, N]], 1, 5)
    complete = tem_score([[S, N, N, N, N], [N, S, N, N, N], [N, N, N, N, N], [N, N, N, S, N], [N, N, N, N, N]], 5, 5)
    assert one.tem == pytest.approx((1.0 + 1 / 3) / 2) and complete.tem == pytest.approx(0.6)
    assert one.tem > complete.tem  # Algorithm 1 (the default) ranks the one-event caption higher...
    assert one.tem_ref == pytest.approx((0.2 + 1 / 3) / 2) and complete.tem_ref == pytest.approx(0.6)
    assert one.tem_ref < complete.tem_ref  # ...the reference-normalised TEM, reported beside it, does not
    assert "tem_ref" in one.as_dict() and tem_score([[S, N, N, N, N]], 1, 5, lcs_norm="ref").tem == one.tem_ref


def test_one_pred_event_matching_two_refs_counts_once_in_lcs():
    rel = [[S, S]]
    r = tem_score(rel, 1, 2)
    assert r.lcs_length == 1 and r.precision == 1.0 and r.recall == 1.0 and r.lcs == 1.0


def test_empty_event_lists():
    assert tem_score([], 0, 3).tem == 0.0
    r = tem_score([[], []], 2, 0)
    assert (r.tem, r.lcs, r.f) == (0.0, 0.0, 0.0)
    assert tem_score([], 0, 0).tem == 0.0


def test_opposite_is_not_a_match():
    r = tem_score([[O, N], [N, O]], 2, 2)
    assert r.tem == 0.0 and r.opposite_pairs == 2


def test_bad_matrices_are_refused():
    with pytest.raises(ValueError):
        tem_score([[S]], 2, 1)
    with pytest.raises(ValueError):
        tem_score([["similar"]], 1, 1)


def test_lcs_classic():
    # pred a b c d ; ref b d a  (S where letters equal) -> LCS "b d" = 2
    p, r = "abcd", "bda"
    rel = [[S if x == y else N for y in r] for x in p]
    assert lcs_length(rel) == 2
