"""Bridging: support across viewpoints, by Community Notes' one-dimensional matrix factorisation.

Community Notes (Wojcik et al. 2022, "Birdwatch: crowd wisdom and bridging algorithms can
inform understanding and reduce the spread of misinformation"; twitter/communitynotes,
scoring/src/scoring/matrix_factorization) predicts each rating as
r_un = mu + i_u + i_n + f_u f_n and minimises, as its code does, the mean squared error plus
lambda times the mean square of each kind of parameter:

    mean (r_un - r^_un)^2 + lambda_i (mean i_u^2 + mean i_n^2 + mu^2)
                          + lambda_f (mean f_u^2 + mean f_n^2)

with lambda_i = 0.15, five times lambda_f = 0.03: the factor term soaks up agreement
explained by a viewpoint, and what is left in a statement's intercept i_n is support that
does not depend on it. A rating is a vote: agree 1, disagree 0 (Community Notes' helpful and
not helpful); a pass says no opinion and is left out. Multiplied through by the number of
ratings N, each of the n_e participants (or statements) carries a ridge penalty of
lambda N / n_e, and the loss is minimised by alternating exact ridge solves (participants
given statements, statements given participants, then mu) from a seeded start: no learning
rate, no randomness after the start, deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Fit", "fit"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Fit:
    mu: float
    user_intercept: F64
    user_factor: F64
    intercept: F64
    factor: F64
    intercept_se: F64
    ratings_per_statement: I64
    iterations: int
    converged: bool
    rmse: float


def _solve(
    cnt: F64, sx: F64, sxx: F64, sy: F64, sxy: F64, lam_i: float, lam_f: float
) -> tuple[F64, F64, F64, F64]:
    """Per entity e, the ridge fit y ~ i_e + f_e x over its ratings, from its sums: the 2x2
    normal equations [[N_e + L_i, Sx], [Sx, Sxx + L_f]] [i, f] = [Sy, Sxy] in closed form,
    where L = lambda N / (entities with ratings) is Community Notes' mean-square penalty
    scaled to the summed error. Returns i, f, and the normal matrix's c and determinant
    (for the intercept's standard error)."""
    scale = float(cnt.sum()) / max(int(np.count_nonzero(cnt)), 1)
    a = cnt + lam_i * scale
    c = sxx + lam_f * scale
    det = a * c - sx * sx
    safe = np.where(det > 0, det, 1.0)
    i = np.where(det > 0, (c * sy - sx * sxy) / safe, 0.0)
    f = np.where(det > 0, (a * sxy - sx * sy) / safe, 0.0)
    return i, f, c, safe


def fit(
    users: I64,
    items: I64,
    ratings: F64,
    n_users: int,
    n_items: int,
    *,
    lam_i: float,
    lam_f: float,
    seed: int,
    max_iterations: int,
    tolerance: float,
) -> Fit:
    """Fit the model to (user, item, rating) triples; every entity's parameters are solved
    exactly in turn until no parameter moves by more than ``tolerance``.

    The sums each solve needs are sparse products with the rating pattern (``ones``) and the
    ratings (``rated``): Σ over a user's ratings of f_n is ``ones @ f``, and so on."""
    import scipy.sparse as sp  # imported where used, as in groups (its docstring says why)

    rng = np.random.default_rng(seed)
    fu = rng.normal(0.0, 0.1, n_users)
    fn = rng.normal(0.0, 0.1, n_items)
    iu, inn = np.zeros(n_users), np.zeros(n_items)
    mu = float(ratings.mean()) if ratings.size else 0.0
    shape = (n_users, n_items)
    ones = sp.csr_matrix((np.ones(ratings.size), (users, items)), shape=shape)
    rated = sp.csr_matrix((ratings, (users, items)), shape=shape)
    ones_t, rated_t = ones.T.tocsr(), rated.T.tocsr()
    u_cnt, n_cnt = np.asarray(ones.sum(axis=1)).ravel(), np.asarray(ones_t.sum(axis=1)).ravel()
    u_sum, n_sum = np.asarray(rated.sum(axis=1)).ravel(), np.asarray(rated_t.sum(axis=1)).ravel()
    total, n = float(ratings.sum()), ratings.size
    converged, it = False, 0
    c_n = det_n = np.ones(n_items)
    for it in range(1, max_iterations + 1):  # noqa: B007 - the count is reported
        sx = ones @ fn
        new_iu, new_fu, *_ = _solve(
            u_cnt,
            sx,
            ones @ (fn * fn),
            u_sum - mu * u_cnt - ones @ inn,
            rated @ fn - mu * sx - ones @ (inn * fn),
            lam_i,
            lam_f,
        )
        sx = ones_t @ new_fu
        new_in, new_fn, c_n, det_n = _solve(
            n_cnt,
            sx,
            ones_t @ (new_fu * new_fu),
            n_sum - mu * n_cnt - ones_t @ new_iu,
            rated_t @ new_fu - mu * sx - ones_t @ (new_iu * new_fu),
            lam_i,
            lam_f,
        )
        resid = total - u_cnt @ new_iu - n_cnt @ new_in - new_fu @ (ones @ new_fn)
        new_mu = float(resid / (n * (1.0 + lam_i))) if n else 0.0
        moved = max(
            float(np.abs(new_iu - iu).max(initial=0.0)),
            float(np.abs(new_fu - fu).max(initial=0.0)),
            float(np.abs(new_in - inn).max(initial=0.0)),
            float(np.abs(new_fn - fn).max(initial=0.0)),
            abs(new_mu - mu),
        )
        iu, fu, inn, fn, mu = new_iu, new_fu, new_in, new_fn, new_mu
        if moved < tolerance:
            converged = True
            break
    pred = mu + iu[users] + inn[items] + fu[users] * fn[items]
    resid = ratings - pred
    sigma2 = float((resid**2).mean()) if ratings.size else 0.0
    # Conditional on the participants' parameters, (i_n, f_n) is a ridge estimate with
    # covariance sigma^2 A^-1: the intercept's variance is sigma^2 c / det.
    se = np.sqrt(sigma2 * c_n / det_n)
    return Fit(
        mu=mu,
        user_intercept=iu,
        user_factor=fu,
        intercept=inn,
        factor=fn,
        intercept_se=se,
        ratings_per_statement=np.bincount(items, minlength=n_items).astype(np.int64),
        iterations=it,
        converged=converged,
        rmse=float(np.sqrt(sigma2)),
    )
