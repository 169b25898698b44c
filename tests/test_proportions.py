"""Intervals, exact tests and the false discovery rate correction, against published or
hand-computed values."""

from __future__ import annotations

import pytest

from assistant.proportions import bh_adjust, fisher_p, newcombe_interval, wilson_interval


@pytest.mark.parametrize(
    ("count", "n", "expected"),
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3.
    [(81, 263, (0.2553, 0.3662)), (15, 148, (0.0624, 0.1605)), (0, 20, (0.0, 0.1611)), (1, 29, (0.0061, 0.1718))],
)
def test_wilson_interval_matches_the_published_examples(count: int, n: int, expected: tuple[float, float]) -> None:
    low, high = wilson_interval(count, n)
    assert (round(low, 4), round(high, 4)) == expected


def test_wilson_interval_of_nothing_is_everything() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_newcombe_interval_is_the_hybrid_score_method() -> None:
    # Newcombe (1998), Table II, method 10: 56/70 vs 48/80 and 9/10 vs 3/10.
    assert [round(x, 4) for x in newcombe_interval(56, 70, 48, 80)] == [0.0524, 0.3339]
    assert [round(x, 4) for x in newcombe_interval(9, 10, 3, 10)] == [0.1705, 0.8090]
    # At the boundary the upper end stays at 1, where Wald's would pass it.
    assert newcombe_interval(10, 10, 0, 10)[1] == pytest.approx(1.0)


def test_fisher_p_is_the_exact_two_sided_probability() -> None:
    # 6 of 20 against 0 of 20: C(20,6)/C(40,6) for the table seen and as much for its mirror.
    assert fisher_p(6, 20, 0, 20) == pytest.approx(2 * 38760 / 3838380)
    # 8/10 vs 1/10: tables with 8, 9, 1 or 0 of the 9 mentions in the first role, out of C(20,10).
    assert fisher_p(8, 10, 1, 10) == pytest.approx((495 + 11 + 495 + 11) / 184756)
    assert fisher_p(10, 10, 10, 10) == 1.0 and fisher_p(0, 5, 0, 7) == 1.0


def test_benjamini_hochberg_by_hand() -> None:
    # Sorted: 0.01, 0.012, 0.035, 0.04, 0.2 -> p * 5 / rank = 0.05, 0.03, 0.0583, 0.05, 0.2,
    # then each is the smallest of itself and those ranked after it: 0.03, 0.03, 0.05, 0.05, 0.2.
    q = bh_adjust([0.035, 0.01, 0.2, 0.012, 0.04])
    assert q == pytest.approx([0.05, 0.03, 0.2, 0.03, 0.05])
    assert bh_adjust([]) == [] and bh_adjust([0.3]) == [0.3]
