"""Opinion groups the Pol.is way: who is clustered, the two-axis map, the groups, and the
per-group vote counts every group figure is computed from.

Pol.is (compdemocracy/polis, math/src/polismath/math): participants with at least
min(7, statements) votes; PCA of the mean-imputed, centred matrix; each participant projected
from their own votes only and scaled by sqrt(statements / their votes), so that someone who
voted on few statements is not pulled to the centre; k-means for k = 2..5, the k with the
best silhouette, smoothed across updates; clusters seeded from the last update's centres.

scikit-learn and SciPy are imported inside the functions that use them: at module level they
cost about a second of every `credo` command's start (``python -X importtime``), and only an
analysis needs them (docs/architecture.md, "Fast paths").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from credo.consultation.matrix import VoteMatrix
from credo.consultation.params import Params, Previous

__all__ = [
    "Clusters",
    "OpinionMap",
    "cluster",
    "cross_fitted_counts",
    "group_counts",
    "opinion_map",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class OpinionMap:
    """``clustered``: matrix row of each participant on the map (ascending); ``axes``: the two
    principal axes (2 x statements); ``coords``: each clustered participant's (x, y);
    ``rows``/``cols``/``vals``: their votes, rows numbered as in ``clustered``."""

    clustered: I64
    axes: F64
    explained: F64
    coords: F64
    rows: I64
    cols: I64
    vals: F64


@dataclass(frozen=True)
class Clusters:
    """``labels`` per clustered participant (group ids 0..k-1); ``centres`` by group id."""

    labels: I64
    centres: F64
    silhouettes: dict[int, float]
    best: int
    chosen: int
    candidate: int
    streak: int


def votes_per_participant(matrix: VoteMatrix) -> I64:
    return np.bincount(matrix.rows, minlength=len(matrix.participants)).astype(np.int64)


def _pca(
    rows: I64, cols: I64, vals: F64, n_rows: int, n_s: int, zeroed: int
) -> tuple[F64, F64, F64, F64, F64]:
    """PCA of the mean-imputed, centred matrix and the sparsity-aware projection.

    Returns the two axes (2 x n_s, signs not yet fixed), their share of the variance, each
    row's (x, y), its scale sqrt((n_s + zeroed) / (its votes + zeroed)) (Pol.is pca.clj
    ``sparsity-aware-project-ptpt``), and each vote minus its statement's mean.
    """
    import scipy.sparse as sp  # imported where used: the module docstring says why

    counts = np.bincount(cols, minlength=n_s)
    sums = np.bincount(cols, weights=vals, minlength=n_s)
    means = np.divide(sums, counts, out=np.zeros(n_s), where=counts > 0)
    # Mean imputation then centring leaves 0 in every gap: the centred matrix is as sparse
    # as the votes, and its covariance is a sparse product.
    data = vals - means[cols]
    centred = sp.csr_matrix((data, (rows, cols)), shape=(n_rows, n_s))
    cov = np.asarray((centred.T @ centred).toarray()) / n_rows
    eigvals, eigvecs = np.linalg.eigh(cov)
    axes = eigvecs[:, ::-1][:, :2].T.copy()
    total = float(eigvals.clip(min=0).sum())
    explained = eigvals[::-1][:2] / total if total > 0 else np.zeros(2)
    per = np.bincount(rows, minlength=n_rows)
    scale = np.sqrt((n_s + zeroed) / np.maximum(per + zeroed, 1))
    coords = np.asarray(centred @ axes.T) * scale[:, None]
    return axes, explained, coords, scale, data


def opinion_map(matrix: VoteMatrix, params: Params) -> OpinionMap | None:
    """The clustered participants and their place on the map; None while there are fewer
    than ``min_participants`` of them or fewer than two statements."""
    import scipy.sparse as sp

    n_p, n_s = matrix.shape
    if n_s < 2:
        return None
    per = votes_per_participant(matrix)
    threshold = min(params.min_participant_votes, n_s)
    clustered = np.flatnonzero(per >= threshold).astype(np.int64)
    if clustered.size < params.min_participants:
        return None
    new_row = np.full(n_p, -1, dtype=np.int64)
    new_row[clustered] = np.arange(clustered.size)
    keep = np.flatnonzero(new_row[matrix.rows] >= 0)
    rows, cols = new_row[matrix.rows[keep]], matrix.cols[keep]
    vals = matrix.values[keep].astype(np.float64)
    axes, explained, _, scale, data = _pca(
        rows, cols, vals, clustered.size, n_s, params.zeroed_statements
    )
    _orient(axes, matrix.statements, params.previous)
    centred = sp.csr_matrix((data, (rows, cols)), shape=(clustered.size, n_s))
    coords = np.asarray(centred @ axes.T) * scale[:, None]
    return OpinionMap(
        clustered=clustered,
        axes=axes,
        explained=explained,
        coords=coords,
        rows=rows,
        cols=cols,
        vals=vals,
    )


def _orient(axes: F64, statements: tuple[str, ...], previous: Previous | None) -> None:
    """Fix each axis's sign (an eigenvector's sign is arbitrary): the same as last update's
    axis over the statements both know, else the largest loading positive."""
    for k in range(axes.shape[0]):
        dot = 0.0
        if previous is not None:
            dot = sum(
                axes[k, j] * previous.axes[s][k]
                for j, s in enumerate(statements)
                if s in previous.axes
            )
        if dot == 0.0:
            dot = float(axes[k, int(np.argmax(np.abs(axes[k])))])
        if dot < 0:
            axes[k] *= -1.0


def cluster(coords: F64, params: Params) -> Clusters:
    """k-means for k = 2..max_groups, chosen by silhouette and smoothed (Pol.is
    ``group-k-smoother``: a new k replaces the shown one after ``k_buffer`` updates in a row)."""
    previous = params.previous
    distinct = np.unique(coords, axis=0).shape[0]
    k_top = min(params.max_groups, distinct - 1, coords.shape[0] - 1)
    fits: dict[int, tuple[I64, F64]] = {}
    silhouettes: dict[int, float] = {}
    for k in range(2, k_top + 1):
        labels, centres = _kmeans(coords, k, params, previous)
        fits[k] = (labels, centres)
        silhouettes[k] = _silhouette(coords, labels, params)
    if not fits:  # every participant at one or two points: one group is all there is
        labels = np.zeros(coords.shape[0], dtype=np.int64)
        fits[1] = (labels, coords.mean(axis=0, keepdims=True))
        silhouettes[1] = 0.0
    best = max(silhouettes, key=lambda k: (silhouettes[k], -k))
    if previous is not None and previous.k in fits:
        streak = previous.streak + 1 if best == previous.candidate_k else 1
        chosen = best if streak >= params.k_buffer else previous.k
    else:
        streak, chosen = 1, best
    labels, centres = fits[chosen]
    labels, centres = _relabel(labels, centres, previous)
    return Clusters(labels, centres, silhouettes, best, chosen, best, streak)


def _kmeans(coords: F64, k: int, params: Params, previous: Previous | None) -> tuple[I64, F64]:
    from sklearn.cluster import KMeans

    if previous is not None and len(previous.centres) == k:
        model = KMeans(n_clusters=k, init=np.asarray(previous.centres), n_init=1)
    else:
        model = KMeans(
            n_clusters=k, init="k-means++", n_init=params.kmeans_restarts, random_state=params.seed
        )
    model.fit(coords)
    return model.labels_.astype(np.int64), np.asarray(model.cluster_centers_, dtype=np.float64)


def _silhouette(coords: F64, labels: I64, params: Params) -> float:
    from sklearn.metrics import silhouette_score

    if np.unique(labels).size < 2:
        return -1.0
    n = coords.shape[0]
    if n <= params.silhouette_sample:
        return float(silhouette_score(coords, labels))
    rng = np.random.default_rng(params.seed)
    pick = np.sort(rng.choice(n, size=params.silhouette_sample, replace=False))
    if np.unique(labels[pick]).size < 2:
        return -1.0
    return float(silhouette_score(coords[pick], labels[pick]))


def _relabel(labels: I64, centres: F64, previous: Previous | None) -> tuple[I64, F64]:
    """Stable group ids: matched to the last update's centres (least total distance), else
    by size, largest first (ties by centre)."""
    from scipy.optimize import linear_sum_assignment

    k = centres.shape[0]
    sizes = np.bincount(labels, minlength=k)
    order = sorted(range(k), key=lambda g: (-sizes[g], centres[g, 0], centres[g, 1]))
    new_id = {g: i for i, g in enumerate(order)}
    if previous is not None and previous.centres:
        prev = np.asarray(previous.centres)
        cost = np.linalg.norm(centres[:, None, :] - prev[None, :, :], axis=2)
        new_idx, prev_idx = linear_sum_assignment(cost)
        new_id = {int(g): int(p) for g, p in zip(new_idx, prev_idx, strict=True)}
        free = iter(sorted(set(range(k)) - set(new_id.values())))
        for g in order:
            if g not in new_id:
                new_id[g] = next(free)
        if sorted(new_id.values()) != list(range(k)):  # fewer groups than last time
            ranked = sorted(new_id, key=lambda g: new_id[g])
            new_id = {g: i for i, g in enumerate(ranked)}
    mapping = np.array([new_id[g] for g in range(k)], dtype=np.int64)
    out = np.empty_like(centres)
    out[mapping] = centres
    return mapping[labels], out


def group_counts(matrix: VoteMatrix, clustered: I64, labels: I64, k: int) -> tuple[I64, I64, I64]:
    """Agree, disagree and pass counts per (group, statement) over clustered participants."""
    n_p, n_s = matrix.shape
    group_of = np.full(n_p, -1, dtype=np.int64)
    group_of[clustered] = labels
    g = group_of[matrix.rows]
    keep = g >= 0
    cell = g[keep] * n_s + matrix.cols[keep]
    vals = matrix.values[keep]
    size = k * n_s

    def count(mask: npt.NDArray[np.bool_]) -> I64:
        return np.bincount(cell[mask], minlength=size).reshape(k, n_s).astype(np.int64)

    return count(vals == 1), count(vals == -1), count(vals == 0)


def cross_fitted_counts(
    omap: OpinionMap, n_s: int, k: int, params: Params
) -> tuple[I64, I64] | None:
    """Agree and disagree counts per (group, statement) where each statement's voters are
    grouped by the *other* half of the statements.

    Groups drawn from the very votes they are compared on make every statement that shaped
    them look divisive, even in pure noise. So the statements are split in two halves
    (seeded); the clustered participants are mapped and clustered into k groups on one half
    (the same PCA, projection and k-means), and those groups are compared on the other half's
    statements, and the other way round: sample splitting, so a test's p-value is honest.
    None with fewer than four statements (each half needs two axes' worth).
    """
    from sklearn.cluster import KMeans

    if n_s < 4:
        return None
    perm = np.random.default_rng(params.seed).permutation(n_s)
    halves = (np.sort(perm[: n_s // 2]), np.sort(perm[n_s // 2 :]))
    agree = np.zeros((k, n_s), dtype=np.int64)
    disagree = np.zeros((k, n_s), dtype=np.int64)
    n_rows = omap.clustered.size
    for fit_on, test_on in (halves, halves[::-1]):
        inside = np.zeros(n_s, dtype=bool)
        inside[fit_on] = True
        mask = inside[omap.cols]
        local = np.full(n_s, -1, dtype=np.int64)
        local[fit_on] = np.arange(fit_on.size)
        coords = _pca(
            omap.rows[mask],
            local[omap.cols[mask]],
            omap.vals[mask],
            n_rows,
            fit_on.size,
            params.zeroed_statements,
        )[2]
        if np.unique(coords, axis=0).shape[0] <= k:
            continue
        labels = (
            KMeans(n_clusters=k, n_init=params.kmeans_restarts, random_state=params.seed)
            .fit(coords)
            .labels_.astype(np.int64)
        )
        tested = np.zeros(n_s, dtype=bool)
        tested[test_on] = True
        sel = tested[omap.cols]
        cell = labels[omap.rows[sel]] * n_s + omap.cols[sel]
        vals = omap.vals[sel]
        agree += np.bincount(cell[vals == 1], minlength=k * n_s).reshape(k, n_s)
        disagree += np.bincount(cell[vals == -1], minlength=k * n_s).reshape(k, n_s)
    return agree, disagree
