"""Beyond noise: Fisher's exact test and Welch's t against known values."""

from __future__ import annotations

import math

import pytest

from app.eval.stats import fisher_exact, means_differ, solved_differs, welch_t


@pytest.mark.parametrize(
    ("counts", "p"),
    [
        ((3, 3, 0, 3), 0.1),  # the smallest p three runs a side can give
        ((5, 5, 0, 5), 2 / 252),
        ((1, 1, 0, 1), 1.0),
        ((2, 4, 2, 4), 1.0),
        ((8, 10, 2, 10), 0.023),  # scipy.stats.fisher_exact: 0.02301
        ((1, 12, 9, 12), 0.002759),  # Wikipedia's example (studying, by sex): 0.002759
    ],
)
def test_fisher_exact(counts: tuple[int, int, int, int], p: float) -> None:
    assert fisher_exact(*counts) == pytest.approx(p, rel=0.02)
    yes_a, n_a, yes_b, n_b = counts
    assert fisher_exact(yes_b, n_b, yes_a, n_a) == pytest.approx(p, rel=0.02)  # symmetric


def test_fisher_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError):
        fisher_exact(4, 3, 0, 3)


def test_solved_differs_only_below_five_percent() -> None:
    assert solved_differs(5, 5, 0, 5)
    assert not solved_differs(3, 3, 0, 3)


def test_welch_t() -> None:
    # statistics by hand: means 2 and 5, variances 1 and 1, n 3 each -> t = 3 / sqrt(2/3)
    assert welch_t([1, 2, 3], [4, 5, 6]) == pytest.approx(3 / math.sqrt(2 / 3))
    assert welch_t([1.0], [1.0, 2.0]) is None
    assert welch_t([2, 2], [2, 2]) == 0.0
    assert welch_t([2, 2], [3, 3]) == math.inf


@pytest.mark.parametrize(
    ("a", "b", "differs"),
    [
        ([1.0, 1.1, 0.9], [3.0, 3.1, 2.9], True),
        ([1.0, 3.0, 2.0], [2.0, 1.5, 2.5], False),
        ([1.0], [9.0], None),
    ],
)
def test_means_differ(a: list[float], b: list[float], differs: bool | None) -> None:
    assert means_differ(a, b) is differs
