"""pass@k, maj@k and summarize_samples against hand-computed values."""

import math

import pytest

from rlvr.errors import DatasetError, RlvrError
from rlvr.eval.metrics import (
    MetricError,
    maj_at_k,
    majority_vote,
    mean_interval,
    normalize_answer,
    pass_at_k,
    wilson_interval,
)
from rlvr.eval.summary import default_ks, summarize_samples


@pytest.mark.parametrize(
    "n,c,k,expected",
    [
        (5, 2, 2, 0.7),  # 1 - C(3,2)/C(5,2) = 1 - 3/10
        (10, 3, 1, 0.3),
        (4, 0, 2, 0.0),
        (3, 2, 2, 1.0),  # fewer than k wrong samples: any k-subset holds a correct one
        (200, 1, 100, 0.5),  # 1 - C(199,100)/C(200,100); the product form stays exact at large n
        (6, 3, 3, 0.95),  # 1 - C(3,3)/C(6,3) = 1 - 1/20
    ],
)
def test_pass_at_k_hand_computed(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_pass_at_k_rejects_k_above_n_with_a_clear_message():
    with pytest.raises(MetricError, match=r"pass@6 needs at least 6 samples.*only 5 were drawn; use k <= 5"):
        pass_at_k(5, 1, 6)
    # still a ValueError (the original contract) and an RlvrError (rendered by the CLI, exit 2)
    with pytest.raises(ValueError):
        pass_at_k(5, 1, 6)
    assert issubclass(MetricError, RlvrError)


def test_normalize_answer():
    assert normalize_answer("5.0") == "5"
    assert normalize_answer(" 42. ") == "42"
    assert normalize_answer("1,000") == "1000"
    assert normalize_answer("$\\frac{1}{2}$") == "\\frac{1}{2}"
    assert normalize_answer("0.50") == "0.50"
    assert normalize_answer(None) is None
    assert normalize_answer("  ") is None


def test_majority_vote_breaks_ties_by_first_occurrence():
    assert majority_vote(["7", "3", "3", "7"]) == 0  # 7 and 3 tie; 7 came first
    assert majority_vote(["3", "7", "7"]) == 1
    assert majority_vote([None, "4", None]) == 1
    assert majority_vote([None, None]) is None


def test_maj_at_k_small_known_table():
    # samples answer A, A, B in that order
    a_right = [True, False]
    assert maj_at_k([0, 0, 1], a_right, 1) == pytest.approx(2 / 3)
    assert maj_at_k([0, 0, 1], a_right, 2) == pytest.approx(1.0)  # {A,A}; {A,B} and {A,B} tie -> A first
    assert maj_at_k([0, 0, 1], a_right, 3) == pytest.approx(1.0)
    b_right = [False, True]
    assert maj_at_k([0, 0, 1], b_right, 1) == pytest.approx(1 / 3)
    assert maj_at_k([0, 0, 1], b_right, 2) == pytest.approx(0.0)
    # no answer (-1) never wins: {none, B} -> B
    assert maj_at_k([-1, 1, -1], [False, True], 2) == pytest.approx(2 / 3)
    with pytest.raises(MetricError, match="maj@4 needs at least 4"):
        maj_at_k([0, 0, 1], a_right, 4)


def test_maj_at_k_sampled_subsets_are_deterministic():
    ids = [i % 3 for i in range(30)]  # C(30, 10) subsets: sampled with a fixed seed
    right = [True, False, False]
    first = maj_at_k(ids, right, 10)
    assert first == maj_at_k(ids, right, 10)
    assert 0.3 < first < 0.9


def _rows(problem, table):
    return [
        {"id": problem, "prompt": f"q {problem}", "extracted": ans, "passed": ok, "sample_index": i}
        for i, (ans, ok) in enumerate(table)
    ]


def test_summarize_samples_hand_computed():
    rows = _rows("a", [("5", True), ("5", True), ("4", False), ("3", False)])
    rows += _rows("b", [("1", False), ("2", True), ("1", False), (None, None)])  # one unverifiable
    s = summarize_samples(rows)
    assert s["n_problems"] == 2
    assert s["n_samples"] == 4
    assert s["unverifiable"] == 1
    assert s["ks"] == [1, 2, 3, 4]
    assert s["pass@1"] == pytest.approx((2 / 4 + 1 / 3) / 2)
    assert s["pass@2"] == pytest.approx((5 / 6 + 2 / 3) / 2)
    assert s["pass@3"] == pytest.approx(1.0)
    # a: A=5 wins 5 of 6 pairs (only {4,3} loses); b: answers 1,2,1 -> only {2,1} (tie, 2 first) wins
    assert s["maj@2"] == pytest.approx((5 / 6 + 1 / 3) / 2)
    assert s["maj@3"] == pytest.approx((1.0 + 0.0) / 2)
    # problem b has only 3 verified samples, so pass@4 averages over problem a alone
    assert s["pass@4_problems"] == 1
    assert s["pass@4"] == 1.0 and s["maj@4"] == 1.0
    lo, hi = s["pass@2_ci"]
    assert lo <= s["pass@2"] <= hi
    assert summarize_samples(rows) == s  # fixed seed: identical intervals on every call


def test_summarize_greedy_uses_wilson():
    rows = [{"id": f"p{i}", "extracted": "1", "passed": ok, "sample_index": 0} for i, ok in enumerate([1, 1, 1, 0])]
    rows = [{**r, "passed": bool(r["passed"])} for r in rows]
    s = summarize_samples(rows)
    assert s["pass@1"] == 0.75
    assert s["pass@1_ci"] == pytest.approx(list(wilson_interval(3, 4)))
    assert s["maj@1"] == 0.75
    assert s["ks"] == [1]
    assert s["solved"] == 3


def test_summarize_rejects_k_above_n_and_bad_rows():
    rows = _rows("a", [("5", True), ("4", False)])
    with pytest.raises(MetricError, match=r"pass@3 needs at least 3 samples"):
        summarize_samples(rows, ks=[1, 3])
    with pytest.raises(DatasetError, match="lacks 'passed'"):
        summarize_samples([{"id": "x", "completion": "1"}])
    with pytest.raises(DatasetError, match="must be true, false or null"):
        summarize_samples([{"id": "x", "passed": "yes"}])


def test_default_ks_and_intervals():
    assert default_ks(3) == [1, 2, 3]
    assert default_ks(20) == [1, 2, 4, 8, 16, 20]
    lo, hi = mean_interval([0.5, 0.25, 1.0, 0.75])  # not 0/1: bootstrap over problems
    assert 0.25 <= lo < 0.625 < hi <= 1.0
    assert all(math.isnan(x) for x in mean_interval([]))
