"""Translation drift: does a statement's agreement depend on which language version was shown?

Each vote records the version its voter read. Per statement, a chi-square test of
homogeneity over versions x (agree, disagree), taking only versions with at least
``min_statement_votes`` agree-or-disagree votes; the p-values of all statements tested are
adjusted together (Benjamini-Hochberg), and a statement is flagged when its q-value is at or
under the chosen false discovery rate. A flag asks a moderator to compare the versions: the
readers of two versions may also simply differ (docs/consultation-analysis.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from credo.consultation._stats import chi2_homogeneity
from credo.consultation.matrix import VoteMatrix

__all__ = ["DriftTest", "by_language", "drift_tests"]

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class DriftTest:
    statement: int
    statistic: float
    df: int
    p: float


def by_language(matrix: VoteMatrix) -> tuple[I64, I64, I64]:
    """Agree, disagree and pass counts per (language, statement); votes with no language
    recorded are left out."""
    n_l, n_s = len(matrix.languages), len(matrix.statements)
    keep = matrix.shown >= 0
    cell = matrix.shown[keep] * n_s + matrix.cols[keep]
    vals = matrix.values[keep]

    def count(mask: npt.NDArray[np.bool_]) -> I64:
        return np.bincount(cell[mask], minlength=n_l * n_s).reshape(n_l, n_s).astype(np.int64)

    return count(vals == 1), count(vals == -1), count(vals == 0)


def drift_tests(agree: I64, disagree: I64, min_votes: int) -> list[DriftTest]:
    """One test per statement shown in at least two versions with enough votes each."""
    tests: list[DriftTest] = []
    for j in range(agree.shape[1]):
        table = np.stack([agree[:, j], disagree[:, j]], axis=1)
        table = table[table.sum(axis=1) >= min_votes]
        if table.shape[0] < 2:
            continue
        stat, df, p = chi2_homogeneity(table)
        tests.append(DriftTest(j, stat, df, p))
    return tests
