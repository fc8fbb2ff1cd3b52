"""What each group thinks, what everyone agrees on, and the group-informed consensus.

Formulas from Pol.is (compdemocracy/polis math/src/polismath/math/repness.clj and the
group-aware consensus of conversation.clj), every rate with one pseudo-count each side:

- in group g on statement s: p_a = (A+1)/(S+2), p_d = (D+1)/(S+2), A agrees, D disagrees,
  S votes seen (passes included);
- representative: the group's rate tested against 1/2 (``prop_test``) and against the rest of
  the participants (``two_prop_test``), both above the one-sided 90% z (1.2816); ranked by
  ratio x its test x rate x its test, at most five per group;
- consensus: over all clustered participants, p_a > 1/2 and its test above 1.2816, ranked by
  p_a x test (the same for disagreement);
- group-informed consensus: the product over groups of (A_g+1)/(S_g+2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from credo.consultation._stats import prop_test, two_prop_test, wilson

__all__ = ["Rep", "consensus", "group_informed", "representative"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Rep:
    statement: int
    direction: Literal["agree", "disagree"]
    p: float
    low: float
    high: float
    ratio: float
    z_p: float
    z_ratio: float
    metric: float


def representative(
    agree: I64,
    disagree: I64,
    seen: I64,
    z_sig: float,
    z_interval: float,
    pick_max: int,
    order_key: list[int],
) -> list[list[Rep]]:
    """Per group, its representative statements (column indices), best first.

    ``order_key`` ranks columns for ties (the canonical statement order)."""
    a, d, s = agree.astype(np.float64), disagree.astype(np.float64), seen.astype(np.float64)
    a_rest, d_rest, s_rest = a.sum(0) - a, d.sum(0) - d, s.sum(0) - s
    pa, pd = (a + 1) / (s + 2), (d + 1) / (s + 2)
    ra = pa / ((a_rest + 1) / (s_rest + 2))
    rd = pd / ((d_rest + 1) / (s_rest + 2))
    pat, pdt = prop_test(a, s), prop_test(d, s)
    rat, rdt = two_prop_test(a, a_rest, s, s_rest), two_prop_test(d, d_rest, s, s_rest)
    a_low, a_high = wilson(a, s, z_interval)
    d_low, d_high = wilson(d, s, z_interval)
    out: list[list[Rep]] = []
    for g in range(a.shape[0]):
        reps: list[Rep] = []
        for j in range(a.shape[1]):
            if rat[g, j] > rdt[g, j]:  # repness.clj: repful-for the direction tested harder
                if pat[g, j] > z_sig and rat[g, j] > z_sig:
                    m = ra[g, j] * rat[g, j] * pa[g, j] * pat[g, j]
                    reps.append(
                        Rep(
                            j,
                            "agree",
                            pa[g, j],
                            a_low[g, j],
                            a_high[g, j],
                            ra[g, j],
                            pat[g, j],
                            rat[g, j],
                            m,
                        )
                    )
            elif pdt[g, j] > z_sig and rdt[g, j] > z_sig:
                m = rd[g, j] * rdt[g, j] * pd[g, j] * pdt[g, j]
                reps.append(
                    Rep(
                        j,
                        "disagree",
                        pd[g, j],
                        d_low[g, j],
                        d_high[g, j],
                        rd[g, j],
                        pdt[g, j],
                        rdt[g, j],
                        m,
                    )
                )
        reps.sort(key=lambda r: (-r.metric, order_key[r.statement]))
        out.append(reps[:pick_max])
    return out


def consensus(
    agree: I64, disagree: I64, seen: I64, z_sig: float, pick_max: int, order_key: list[int]
) -> tuple[list[int], list[int]]:
    """Statements most clustered participants agree (disagree) with, best first."""

    def pick(hits: F64, n: F64) -> list[int]:
        p = (hits + 1) / (n + 2)
        z = prop_test(hits, n)
        ok = [j for j in range(p.size) if p[j] > 0.5 and z[j] > z_sig]
        ok.sort(key=lambda j: (-(p[j] * z[j]), order_key[j]))
        return ok[:pick_max]

    total = seen.sum(0).astype(np.float64)
    return (
        pick(agree.sum(0).astype(np.float64), total),
        pick(disagree.sum(0).astype(np.float64), total),
    )


def group_informed(hits: I64, seen: I64) -> tuple[F64, F64, F64]:
    """Π_g (hits_g + 1)/(seen_g + 2) per statement, with the Beta(hits+1, seen-hits+1)
    parameters of each factor for its interval: (value, a, b), a and b groups x statements."""
    a = hits.astype(np.float64) + 1.0
    b = (seen - hits).astype(np.float64) + 1.0
    value = np.prod(a / (a + b), axis=0)
    return value, a, b
