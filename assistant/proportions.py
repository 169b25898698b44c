"""Intervals and tests for shares of postings, from statsmodels and scipy rather than
hand-written formulas.

Which skills separate two roles is one question asked of every skill at once, so the
p-values are corrected together (Benjamini–Hochberg): among the skills reported as
separating, the expected share of false discoveries is at most the chosen rate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import fisher_exact
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

FDR = 0.05  # the false discovery rate a list of separating skills is held to


def wilson_interval(count: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a share; (0, 1) when there is nothing to count."""
    if n == 0:
        return 0.0, 1.0
    low, high = proportion_confint(count, n, alpha=0.05, method="wilson")
    return float(low), float(high)


def newcombe_interval(count_a: int, n_a: int, count_b: int, n_b: int) -> tuple[float, float]:
    """95% interval of the difference of two independent shares (Newcombe's hybrid score
    method, his method 10: statsmodels' "newcomb"), which behaves at shares near 0 and 1
    where Wald's does not."""
    low, high = confint_proportions_2indep(count_a, n_a, count_b, n_b, method="newcomb", compare="diff", alpha=0.05)
    return float(low), float(high)


def newcombe_intervals(counts_a: Sequence[int], n_a: int, counts_b: Sequence[int], n_b: int) -> list[tuple[float, float]]:
    """`newcombe_interval` of many skills between the same two roles, in one call (a
    comparison of every skill would otherwise spend most of its time in call overhead)."""
    if not counts_a:
        return []
    lows, highs = confint_proportions_2indep(np.asarray(counts_a), n_a, np.asarray(counts_b), n_b,
                                             method="newcomb", compare="diff", alpha=0.05)
    return [(float(low), float(high)) for low, high in zip(np.atleast_1d(lows), np.atleast_1d(highs), strict=True)]


def fisher_p(count_a: int, n_a: int, count_b: int, n_b: int) -> float:
    """Two-sided p-value of Fisher's exact test that both roles mention the skill equally
    often. Exact, so it holds for roles of a handful of postings and for shares of 0 or 1,
    where the large-sample tests are off or undefined."""
    table = [[count_a, n_a - count_a], [count_b, n_b - count_b]]
    return float(fisher_exact(table, alternative="two-sided").pvalue)


def bh_adjust(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (q), in the order given."""
    if not p_values:
        return []
    return [float(q) for q in multipletests(list(p_values), method="fdr_bh")[1]]
