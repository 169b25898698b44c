"""The intervals and tests of assistant.proportions against textbook values and against the
formulas written out here independently (Wilson's closed form, Newcombe's method 10,
Fisher's hypergeometric sum, Benjamini–Hochberg's step-up), for the mutation tests."""

from __future__ import annotations

import math

import pytest

from assistant.proportions import bh_adjust, fisher_p, newcombe_interval, newcombe_intervals, wilson_interval

Z = 1.959963984540054  # the 97.5% point of the standard normal


def wilson(count: int, n: int) -> tuple[float, float]:
    """Wilson (1927) score interval, closed form."""
    p = count / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


def newcombe10(a: int, m: int, b: int, n: int) -> tuple[float, float]:
    """Newcombe (1998), method 10: the two Wilson intervals combined."""
    p1, p2 = a / m, b / n
    l1, u1 = wilson(a, m)
    l2, u2 = wilson(b, n)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def fisher_two_sided(a: int, m: int, b: int, n: int) -> float:
    """Sum of the hypergeometric probabilities of every table with the same margins that is
    no more likely than the one seen."""
    k = a + b
    total = math.comb(m + n, k)

    def prob(x: int) -> float:
        return math.comb(m, x) * math.comb(n, k - x) / total

    seen = prob(a)
    return min(1.0, sum(prob(x) for x in range(max(0, k - n), min(k, m) + 1) if prob(x) <= seen * (1 + 1e-7)))


@pytest.mark.parametrize(
    ("count", "n", "expected"),
    # Textbook values (e.g. Agresti & Coull 1998; Newcombe 1998, Table I): 0/10, 1/10, 5/10, 10/10.
    [(0, 10, (0.0, 0.2775)), (1, 10, (0.0179, 0.4042)), (5, 10, (0.2366, 0.7634)), (10, 10, (0.7225, 1.0))],
)
def test_wilson_textbook_values(count: int, n: int, expected: tuple[float, float]) -> None:
    low, high = wilson_interval(count, n)
    assert (round(low, 4), round(high, 4)) == expected
    assert (low, high) == pytest.approx(wilson(count, n), abs=1e-12)
    assert isinstance(low, float) and isinstance(high, float)


def test_wilson_of_one_posting_is_an_interval_not_everything() -> None:
    # n = 1 is the first n that is counted: the interval of 1/1 is (0.2065, 1), not (0, 1).
    low, high = wilson_interval(1, 1)
    assert round(low, 4) == 0.2065 and high == pytest.approx(1.0)
    assert wilson_interval(0, 1) == pytest.approx((0.0, 1 - 0.2065), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("a", "m", "b", "n", "expected"),
    # Newcombe (1998), "Interval estimation for the difference between independent
    # proportions", Table II, method 10 (examples a, b, g, h).
    [(56, 70, 48, 80, (0.0524, 0.3339)), (9, 10, 3, 10, (0.1705, 0.8090)),
     (0, 10, 0, 20, (-0.1611, 0.2775)), (0, 10, 0, 10, (-0.2775, 0.2775))],
)
def test_newcombe_textbook_values(a: int, m: int, b: int, n: int, expected: tuple[float, float]) -> None:
    low, high = newcombe_interval(a, m, b, n)
    assert (round(low, 4), round(high, 4)) == expected
    assert (low, high) == pytest.approx(newcombe10(a, m, b, n), abs=1e-12)
    assert isinstance(low, float) and isinstance(high, float)


def test_newcombe_is_not_symmetric_in_its_arguments() -> None:
    # Different counts and sizes on each side, so a swapped or dropped argument shows.
    assert newcombe_interval(7, 12, 2, 30) == pytest.approx(newcombe10(7, 12, 2, 30), abs=1e-12)
    assert newcombe_interval(2, 30, 7, 12) == pytest.approx(newcombe10(2, 30, 7, 12), abs=1e-12)


def test_newcombe_intervals_are_the_single_intervals_in_order() -> None:
    counts_a, counts_b = [7, 0, 12, 3], [2, 5, 0, 30]
    intervals = newcombe_intervals(counts_a, 12, counts_b, 30)
    expected = [newcombe10(a, 12, b, 30) for a, b in zip(counts_a, counts_b, strict=True)]
    assert len(intervals) == 4
    for got, want, (a, b) in zip(intervals, expected, zip(counts_a, counts_b, strict=True), strict=True):
        assert got == pytest.approx(want, abs=1e-12)
        assert got == pytest.approx(newcombe_interval(a, 12, b, 30), abs=1e-12)
        assert all(type(x) is float for x in got)
    assert round(intervals[0][0], 4) == round(newcombe10(7, 12, 2, 30)[0], 4)


def test_newcombe_intervals_of_one_skill_and_of_none() -> None:
    (only,) = newcombe_intervals([9], 10, [3], 10)
    assert [round(x, 4) for x in only] == [0.1705, 0.8090]
    assert newcombe_intervals([], 10, [], 10) == []


@pytest.mark.parametrize(("a", "m", "b", "n"), [(6, 20, 0, 20), (8, 10, 1, 10), (3, 7, 1, 12), (1, 12, 3, 7),
                                                (0, 4, 4, 4), (2, 5, 2, 5)])
def test_fisher_p_is_the_hypergeometric_sum(a: int, m: int, b: int, n: int) -> None:
    assert fisher_p(a, m, b, n) == pytest.approx(fisher_two_sided(a, m, b, n), rel=1e-9)


def test_fisher_p_is_two_sided() -> None:
    # 0/4 vs 4/4: the table seen and its mirror, each 1 / C(8,4) = 1/70.
    assert fisher_p(0, 4, 4, 4) == pytest.approx(2 / 70)
    assert fisher_p(4, 4, 0, 4) == pytest.approx(2 / 70)
    assert type(fisher_p(0, 4, 4, 4)) is float


def test_benjamini_hochberg_textbook_example() -> None:
    # Benjamini & Hochberg (1995), section 4: 15 p-values; at q* = 0.05 the first four are
    # rejected (p(4) = 0.0095 <= 4/15 * 0.05 = 0.0133, p(5) = 0.0201 > 0.0167).
    p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262,
         0.5719, 0.6528, 0.7590, 1.0]
    q = bh_adjust(p)
    m = len(p)
    # q(i) = min over j >= i of p(j) * m / j, capped at 1.
    by_hand = [min(1.0, min(p[j] * m / (j + 1) for j in range(i, m))) for i in range(m)]
    assert q == pytest.approx(by_hand, rel=1e-12)
    assert [x <= 0.05 for x in q] == [True] * 4 + [False] * 11
    assert q[3] == pytest.approx(0.0095 * 15 / 4) and q[4] == pytest.approx(0.0201 * 15 / 5)
    assert all(type(x) is float for x in q)


def test_benjamini_hochberg_keeps_the_order_given() -> None:
    p = [0.2, 0.01, 0.04, 0.03]
    # Sorted 0.01, 0.03, 0.04, 0.2: p * 4 / rank = 0.04, 0.06, 0.0533, 0.2 -> 0.04, 0.0533, 0.0533, 0.2.
    assert bh_adjust(p) == pytest.approx([0.2, 0.04, 0.16 / 3, 0.16 / 3])
    assert bh_adjust((0.5, 0.5)) == [0.5, 0.5]
