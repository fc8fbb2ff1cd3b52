"""The closed formulas behind every figure, checked against hand-worked values and scipy's
independent implementations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from credo.consultation._stats import (
    bh_qvalues,
    chi2_homogeneity,
    product_interval,
    prop_test,
    round_sig,
    two_prop_test,
    wilson,
    z_for,
    z_one_sided,
)


def test_z_values() -> None:
    assert z_for(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_one_sided(0.90) == pytest.approx(1.281552, abs=1e-6)  # Pol.is's 1.2816


def test_pol_is_prop_test() -> None:
    # 2 sqrt(n+1) ((s+1)/(n+1) - 1/2): 9 agrees of 10 seen
    z = prop_test(np.array([9.0]), np.array([10.0]))
    assert z[0] == pytest.approx(2 * np.sqrt(11) * (10 / 11 - 0.5))


def test_pol_is_two_prop_test() -> None:
    z = two_prop_test(np.array([8.0]), np.array([2.0]), np.array([10.0]), np.array([10.0]))
    p1, p2, p = 9 / 11, 3 / 11, 12 / 22
    assert z[0] == pytest.approx((p1 - p2) / np.sqrt(p * (1 - p) * (2 / 11)))
    # the same rates in and out: no difference
    same = two_prop_test(np.array([5.0]), np.array([5.0]), np.array([10.0]), np.array([10.0]))
    assert same[0] == 0.0


def test_wilson_matches_scipy() -> None:
    low, high = wilson(np.array([7.0, 0.0]), np.array([20.0, 10.0]), z_for(0.95))
    for i, (k, n) in enumerate([(7, 20), (0, 10)]):
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert low[i] == pytest.approx(ci.low, abs=1e-9)
        assert high[i] == pytest.approx(ci.high, abs=1e-9)
    empty = wilson(np.array([0.0]), np.array([0.0]), 1.96)
    assert (empty[0][0], empty[1][0]) == (0.0, 1.0)


def test_chi2_matches_scipy() -> None:
    table = np.array([[30, 10], [12, 25], [5, 5]])
    stat, df, p = chi2_homogeneity(table)
    ref = stats.chi2_contingency(table, correction=False)
    assert stat == pytest.approx(ref.statistic)
    assert df == ref.dof
    assert p == pytest.approx(ref.pvalue)


def test_chi2_with_nothing_to_compare() -> None:
    assert chi2_homogeneity(np.array([[5, 3], [0, 0]])) == (0.0, 0, 1.0)
    assert chi2_homogeneity(np.array([[5, 0], [7, 0]])) == (0.0, 0, 1.0)


def test_benjamini_hochberg_by_hand() -> None:
    p = [0.01, 0.04, 0.03, 0.20]
    # sorted: 0.01 (1), 0.03 (2), 0.04 (3), 0.20 (4); p m / rank: .04 .06 .0533 .20;
    # running minimum from the top: .04 .0533 .0533 .20
    q = bh_qvalues(p)
    assert q == pytest.approx([0.04, 0.053333, 0.053333, 0.20], abs=1e-6)
    assert bh_qvalues([]) == []
    assert bh_qvalues([0.9, 0.9]) == [0.9, 0.9]


def test_product_interval_holds_the_product() -> None:
    a = np.array([[9.0, 2.0], [8.0, 3.0]])
    b = np.array([[2.0, 9.0], [3.0, 8.0]])
    low, high = product_interval(a, b, 1.96)
    value = np.prod(a / (a + b), axis=0)
    assert np.all(low < value)
    assert np.all(value < high)
    assert np.all(high <= 1.0)


def test_round_sig() -> None:
    assert round_sig(0.123456789) == 0.123457
    assert round_sig(-0.0) == 0.0
    assert round_sig(1234567.0) == 1234570.0
    with pytest.raises(ValueError, match="finite"):
        round_sig(float("nan"))
