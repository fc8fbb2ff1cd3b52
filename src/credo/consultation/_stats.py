"""Small statistical tools, vectorised over statements: the Pol.is proportion tests, Wilson
intervals, a chi-square test of homogeneity and Benjamini-Hochberg q-values.

Every function is a closed formula over counts, so the same counts give the same figures on
any machine; nothing here draws random numbers. SciPy is imported where it is used, as in
``groups`` (why: its docstring).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def z_for(level: float) -> float:
    """The two-sided normal quantile for a confidence level (0.95 -> 1.95996...)."""
    from scipy.special import ndtri  # imported where used: the module docstring says why

    return float(ndtri(0.5 + level / 2))


def z_one_sided(level: float) -> float:
    """The one-sided normal quantile (Pol.is's 90% significance: 1.2816)."""
    from scipy.special import ndtri

    return float(ndtri(level))


def prop_test(successes: Array, n: Array) -> Array:
    """Pol.is's one-proportion test against 1/2, with one pseudo-count each
    (polismath repness.clj ``prop-test``): z = 2 sqrt(n+1) ((s+1)/(n+1) - 1/2)."""
    s1, n1 = successes + 1.0, n + 1.0
    return np.asarray(2.0 * np.sqrt(n1) * (s1 / n1 - 0.5), dtype=np.float64)


def two_prop_test(s_in: Array, s_out: Array, n_in: Array, n_out: Array) -> Array:
    """Pol.is's two-proportion z test, one pseudo-count on every count
    (repness.clj ``two-prop-test``): is the group's rate higher than everyone else's?"""
    s1, s2, n1, n2 = s_in + 1.0, s_out + 1.0, n_in + 1.0, n_out + 1.0
    p1, p2 = s1 / n1, s2 / n2
    p = (s1 + s2) / (n1 + n2)
    den = np.sqrt(p * (1.0 - p) * (1.0 / n1 + 1.0 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(den > 0, (p1 - p2) / np.where(den > 0, den, 1.0), 0.0)
    return np.asarray(z, dtype=np.float64)


def wilson(successes: Array, n: Array, z: float) -> tuple[Array, Array]:
    """The Wilson score interval for successes/n (Wilson 1927): honest near 0 and 1 and
    for small n, where the normal approximation is not. (0, 1) when n = 0."""
    n_safe = np.where(n > 0, n, 1.0)
    p = successes / n_safe
    z2 = z * z
    denom = 1.0 + z2 / n_safe
    centre = (p + z2 / (2 * n_safe)) / denom
    half = z / denom * np.sqrt(p * (1 - p) / n_safe + z2 / (4 * n_safe * n_safe))
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), 0.0)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), 1.0)
    return low, high


def chi2_homogeneity(table: npt.NDArray[np.int64]) -> tuple[float, int, float]:
    """Pearson's chi-square test that every row has the same column proportions.

    Rows or columns with no counts are dropped first; fewer than two of either leaves
    nothing to compare (statistic 0, p = 1). Returns (statistic, degrees of freedom, p).
    """
    from scipy.special import chdtrc

    t = np.asarray(table, dtype=np.float64)
    t = t[t.sum(axis=1) > 0]
    t = t[:, t.sum(axis=0) > 0] if t.size else t
    if t.shape[0] < 2 or t.shape[1] < 2:
        return 0.0, 0, 1.0
    expected = np.outer(t.sum(axis=1), t.sum(axis=0)) / t.sum()
    stat = float(((t - expected) ** 2 / expected).sum())
    df = (t.shape[0] - 1) * (t.shape[1] - 1)
    return stat, df, float(chdtrc(df, stat))


def bh_qvalues(p: list[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values): reject where q <= the chosen FDR.

    Benjamini & Hochberg (1995): sort the m p-values, q_(i) = min over j >= i of
    p_(j) m / j, capped at 1. Ties keep input order, so the result is reproducible.
    """
    m = len(p)
    if m == 0:
        return []
    order = sorted(range(m), key=lambda i: (p[i], i))
    q = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * m / rank)
        q[i] = min(running, 1.0)
    return q


def product_interval(a: Array, b: Array, z: float) -> tuple[Array, Array]:
    """An interval for a product of independent Beta(a, b) posterior means (the group-informed
    consensus), by the delta method on the log scale: Var log p ~ b / (a (a + b + 1)) per
    factor, summed over factors (rows of ``a``/``b`` are groups, columns statements)."""
    log_mean = np.log(a / (a + b)).sum(axis=0)
    var = (b / (a * (a + b + 1.0))).sum(axis=0)
    half = z * np.sqrt(var)
    return np.exp(log_mean - half), np.minimum(np.exp(log_mean + half), 1.0)


def round_sig(x: float, digits: int = 6) -> float:
    """A float rounded to ``digits`` significant digits, -0.0 made 0.0: what results hold, so
    last-bit differences between BLAS builds do not reach the published bytes."""
    if not math.isfinite(x):
        raise ValueError(f"not a finite figure: {x}")
    r = float(f"{x:.{digits}g}")
    return 0.0 if r == 0 else r
