"""Is a difference between two eval runs beyond noise: Fisher's exact test and Welch's t.

Solved rates are counts out of K runs: Fisher's exact test (two-sided) on the 2x2 table,
from hypergeometric probabilities computed with `math.comb`; a difference is beyond noise
when p < 0.05. Continuous figures (USD, turns, wall time) compare means with Welch's t, which
needs a variance on both sides (K >= 2); beyond noise when |t| > 2.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

FISHER_ALPHA = 0.05
WELCH_T = 2.0
_RELATIVE_TIE = 1e-7


def fisher_exact(yes_a: int, n_a: int, yes_b: int, n_b: int) -> float:
    """Two-sided p of `yes_a` of `n_a` against `yes_b` of `n_b`: the total probability of
    the tables with the same margins that are no more likely than the one observed."""
    if not (0 <= yes_a <= n_a and 0 <= yes_b <= n_b) or n_a + n_b == 0:
        raise ValueError("counts must lie between 0 and their totals")
    yes, total = yes_a + yes_b, n_a + n_b
    denominator = math.comb(total, yes)

    def probability(first: int) -> float:
        return math.comb(n_a, first) * math.comb(n_b, yes - first) / denominator

    observed = probability(yes_a)
    tables = range(max(0, yes - n_b), min(n_a, yes) + 1)
    p = sum(q for q in map(probability, tables) if q <= observed * (1 + _RELATIVE_TIE))
    return min(1.0, p)


def welch_t(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Welch's t of mean(b) - mean(a); None when a side has fewer than two values. Two
    sides without any variance give 0 when equal, an infinite t otherwise."""
    if len(a) < 2 or len(b) < 2:
        return None
    spread = statistics.variance(a) / len(a) + statistics.variance(b) / len(b)
    difference = statistics.fmean(b) - statistics.fmean(a)
    if spread == 0:
        return 0.0 if difference == 0 else math.copysign(math.inf, difference)
    return difference / math.sqrt(spread)


def solved_differs(yes_a: int, n_a: int, yes_b: int, n_b: int) -> bool:
    """Whether two solved counts differ beyond noise (Fisher p < 0.05)."""
    return fisher_exact(yes_a, n_a, yes_b, n_b) < FISHER_ALPHA


def means_differ(a: Sequence[float], b: Sequence[float]) -> bool | None:
    """Whether two samples' means differ beyond noise (|t| > 2); None: no noise estimate."""
    t = welch_t(a, b)
    return None if t is None else abs(t) > WELCH_T
