"""``analyse``: votes and parameters in, a result document out; ``verify``: recompute and compare.

The whole analysis runs with BLAS and OpenMP held to one thread (threadpoolctl), so sums are
taken in one order, and every published float is rounded to six significant digits: the same
votes, version and seed give the same bytes (docs/consultation-analysis.md says how far
that holds across machines).
"""

from __future__ import annotations

import json
import threading
from typing import Any

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from credo.consultation import bridging as mf
from credo.consultation._stats import (
    bh_qvalues,
    chi2_homogeneity,
    product_interval,
    round_sig,
    wilson,
    z_for,
    z_one_sided,
)
from credo.consultation.consensus import consensus, group_informed, representative
from credo.consultation.drift import by_language, drift_tests
from credo.consultation.groups import (
    Clusters,
    OpinionMap,
    cluster,
    cross_fitted_counts,
    group_counts,
    opinion_map,
)
from credo.consultation.matrix import VoteMatrix, matrix_hash
from credo.consultation.params import ALGORITHM, ALGORITHM_VERSION, Params
from credo.consultation.result import (
    Bridging,
    BridgingFit,
    Consensus,
    Counts,
    Divisive,
    Drift,
    DriftVersion,
    Estimate,
    Group,
    GroupCounts,
    KChoice,
    LanguageCount,
    MatrixInfo,
    Point,
    Representative,
    Result,
    StatementResult,
    parse_result,
    result_bytes,
)
from credo.errors import InputError, VerificationError

__all__ = ["analyse", "verify"]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
r = round_sig


def _label(group: int) -> str:
    return chr(ord("A") + group)


def _est(value: float, low: float, high: float) -> Estimate:
    return Estimate(value=r(value), low=r(low), high=r(high))


_ONE_AT_A_TIME = threading.Lock()
"""threadpoolctl's limit is process-wide: two analyses in two threads would restore each
other's limits early, so they take turns (one analysis is one thread anyway)."""


def analyse(matrix: VoteMatrix, params: Params | None = None) -> Result:
    """Opinion groups, representative and consensus statements, group-informed consensus,
    bridging, divisive statements and translation drift for one vote matrix."""
    params = params or Params()
    with _ONE_AT_A_TIME, threadpool_limits(limits=1):
        return _analyse(matrix, params)


def _analyse(matrix: VoteMatrix, params: Params) -> Result:
    n_p, n_s = matrix.shape
    z_int = z_for(params.interval_level)
    z_sig = z_one_sided(params.repness_confidence)
    order_key = list(range(n_s))  # statements are in canonical order: rank breaks ties
    agree = np.bincount(matrix.cols[matrix.values == 1], minlength=n_s)
    disagree = np.bincount(matrix.cols[matrix.values == -1], minlength=n_s)
    passes = np.bincount(matrix.cols[matrix.values == 0], minlength=n_s)
    seen = agree + disagree + passes
    enough = seen >= params.min_statement_votes
    a_low, a_high = wilson(agree.astype(np.float64), seen.astype(np.float64), z_int)

    omap = opinion_map(matrix, params)
    clusters = cluster(omap.coords, params) if omap is not None else None
    k = clusters.centres.shape[0] if clusters is not None else 0
    if omap is not None and clusters is not None:
        g_agree, g_dis, g_pass = group_counts(matrix, omap.clustered, clusters.labels, k)
    else:
        g_agree = g_dis = g_pass = np.zeros((0, n_s), dtype=np.int64)
    g_seen = g_agree + g_dis + g_pass

    groups = _groups(matrix, clusters, g_agree, g_dis, g_seen, z_sig, z_int, params, order_key)
    cons = Consensus(agree=(), disagree=())
    if k >= 1:
        c_agree, c_dis = consensus(g_agree, g_dis, g_seen, z_sig, params.pick_max, order_key)
        cons = Consensus(
            agree=tuple(matrix.statements[j] for j in c_agree),
            disagree=tuple(matrix.statements[j] for j in c_dis),
        )
    gac = _group_informed(g_agree, g_seen, z_int) if k >= 1 else None
    gacd = _group_informed(g_dis, g_seen, z_int) if k >= 1 else None

    fit = _bridging(matrix, omap, params) if omap is not None else None
    divisive: dict[int, Divisive] = {}
    if omap is not None and clusters is not None and k >= 2:
        split = cross_fitted_counts(omap, n_s, k, params)
        divisive = _divisive(*split, params) if split is not None else {}
    l_agree, l_dis, l_pass = by_language(matrix)
    drift = _drift(l_agree, l_dis, params)

    statements = []
    for j, sid in enumerate(matrix.statements):
        ok = bool(enough[j])
        statements.append(
            StatementResult(
                id=sid,
                state="ok" if ok else "not_enough_votes",
                votes=Counts(agree=int(agree[j]), disagree=int(disagree[j]), passes=int(passes[j])),
                agree_share=_est(agree[j] / seen[j], a_low[j], a_high[j]) if ok else None,
                groups=tuple(
                    GroupCounts(
                        group=g,
                        agree=int(g_agree[g, j]),
                        disagree=int(g_dis[g, j]),
                        passes=int(g_pass[g, j]),
                    )
                    for g in range(k)
                ),
                group_consensus=_est(*(x[j] for x in gac)) if ok and gac else None,
                group_consensus_disagree=_est(*(x[j] for x in gacd)) if ok and gacd else None,
                bridging=_bridging_of(fit, j, params) if fit is not None else None,
                divisive=divisive.get(j),
                drift=_drift_of(matrix, l_agree, l_dis, l_pass, j, drift.get(j), params, z_int),
            )
        )

    return Result(
        algorithm=ALGORITHM,
        version=ALGORITHM_VERSION,
        params=params,
        matrix=MatrixInfo(
            sha256=matrix_hash(matrix), participants=n_p, statements=n_s, votes=matrix.n_votes
        ),
        state="ok" if clusters is not None else "not_enough_votes",
        voters=n_p,
        clustered=0 if omap is None else int(omap.clustered.size),
        languages=_languages(matrix),
        axes=(
            {}
            if omap is None
            else {
                sid: (r(float(omap.axes[0, j])), r(float(omap.axes[1, j])))
                for j, sid in enumerate(matrix.statements)
            }
        ),
        explained_variance=() if omap is None else tuple(r(float(v)) for v in omap.explained),
        k=_k_choice(clusters),
        groups=groups,
        participants=_points(matrix, omap, clusters),
        statements=tuple(statements),
        consensus=cons,
        bridging=(
            None
            if fit is None
            else BridgingFit(
                mu=r(fit.mu),
                iterations=fit.iterations,
                converged=fit.converged,
                rmse=r(fit.rmse),
                ratings=int(fit.ratings_per_statement.sum()),
            )
        ),
        divisive=tuple(matrix.statements[j] for j in sorted(divisive) if divisive[j].divisive),
        drift=tuple(matrix.statements[j] for j in sorted(drift) if drift[j][3] <= params.fdr),
    )


def _k_choice(clusters: Clusters | None) -> KChoice | None:
    if clusters is None:
        return None
    return KChoice(
        silhouettes={str(k): r(v) for k, v in sorted(clusters.silhouettes.items())},
        best=clusters.best,
        chosen=clusters.chosen,
        candidate=clusters.candidate,
        streak=clusters.streak,
    )


def _points(
    matrix: VoteMatrix, omap: OpinionMap | None, clusters: Clusters | None
) -> tuple[Point, ...]:
    if omap is None or clusters is None:
        return ()
    people = matrix.participants
    return tuple(
        Point(participant=people[row], group=g, x=r(x), y=r(y))
        for row, g, (x, y) in zip(
            omap.clustered.tolist(), clusters.labels.tolist(), omap.coords.tolist(), strict=True
        )
    )


def _groups(
    matrix: VoteMatrix,
    clusters: Clusters | None,
    g_agree: I64,
    g_dis: I64,
    g_seen: I64,
    z_sig: float,
    z_int: float,
    params: Params,
    order_key: list[int],
) -> tuple[Group, ...]:
    if clusters is None:
        return ()
    k = clusters.centres.shape[0]
    sizes = np.bincount(clusters.labels, minlength=k)
    reps = (
        representative(g_agree, g_dis, g_seen, z_sig, z_int, params.pick_max, order_key)
        if k >= 2
        else [[] for _ in range(k)]
    )
    return tuple(
        Group(
            id=g,
            label=_label(g),
            size=int(sizes[g]),
            centre=(r(float(clusters.centres[g, 0])), r(float(clusters.centres[g, 1]))),
            representative=tuple(
                Representative(
                    statement=matrix.statements[rep.statement],
                    direction=rep.direction,
                    p=_est(rep.p, rep.low, rep.high),
                    ratio=r(rep.ratio),
                    z_p=r(rep.z_p),
                    z_ratio=r(rep.z_ratio),
                    metric=r(rep.metric),
                )
                for rep in reps[g]
            ),
        )
        for g in range(k)
    )


def _group_informed(hits: I64, seen: I64, z: float) -> tuple[F64, F64, F64]:
    value, a, b = group_informed(hits, seen)
    low, high = product_interval(a, b, z)
    return value, low, high


def _bridging(matrix: VoteMatrix, omap: OpinionMap, params: Params) -> mf.Fit:
    """Fit over the clustered participants' agree and disagree votes."""
    n_p, n_s = matrix.shape
    user_of = np.full(n_p, -1, dtype=np.int64)
    user_of[omap.clustered] = np.arange(omap.clustered.size)
    u = user_of[matrix.rows]
    keep = (u >= 0) & (matrix.values != 0)
    ratings = (matrix.values[keep] == 1).astype(np.float64)
    fit = mf.fit(
        u[keep],
        matrix.cols[keep],
        ratings,
        int(omap.clustered.size),
        n_s,
        lam_i=params.intercept_lambda,
        lam_f=params.factor_lambda,
        seed=params.seed,
        max_iterations=params.mf_max_iterations,
        tolerance=params.mf_tolerance,
    )
    # The factor's sign is arbitrary; orient it with the map's first axis.
    if float(fit.user_factor @ omap.coords[:, 0]) < 0:
        fit = mf.Fit(**{**fit.__dict__, "user_factor": -fit.user_factor, "factor": -fit.factor})
    return fit


def _bridging_of(fit: mf.Fit, j: int, params: Params) -> Bridging | None:
    if fit.ratings_per_statement[j] < params.min_statement_votes:
        return None
    z = z_for(params.interval_level)
    i, se, f = float(fit.intercept[j]), float(fit.intercept_se[j]), float(fit.factor[j])
    return Bridging(
        intercept=_est(i, i - z * se, i + z * se),
        factor=r(f),
        bridging=i >= params.bridging_threshold and abs(f) < params.bridging_factor_limit,
    )


def _divisive(g_agree: I64, g_dis: I64, params: Params) -> dict[int, Divisive]:
    """Chi-square over groups x (agree, disagree) for every statement with enough such
    votes, BH across them; the counts are ``cross_fitted_counts``."""
    tested: list[tuple[int, float, int, float]] = []
    for j in range(g_agree.shape[1]):
        table = np.stack([g_agree[:, j], g_dis[:, j]], axis=1)
        if int(table.sum()) < params.min_statement_votes:
            continue
        stat, df, p = chi2_homogeneity(table)
        tested.append((j, stat, df, p))
    qs = bh_qvalues([t[3] for t in tested])
    return {
        j: Divisive(statistic=r(stat), df=df, p=r(p), q=r(q), divisive=q <= params.fdr)
        for (j, stat, df, p), q in zip(tested, qs, strict=True)
    }


def _drift(l_agree: I64, l_dis: I64, params: Params) -> dict[int, tuple[float, int, float, float]]:
    """(statistic, df, p, q) per statement tested, BH across them."""
    tests = drift_tests(l_agree, l_dis, params.min_statement_votes)
    qs = bh_qvalues([t.p for t in tests])
    return {t.statement: (t.statistic, t.df, t.p, q) for t, q in zip(tests, qs, strict=True)}


def _drift_of(
    matrix: VoteMatrix,
    l_agree: I64,
    l_dis: I64,
    l_pass: I64,
    j: int,
    test: tuple[float, int, float, float] | None,
    params: Params,
    z: float,
) -> Drift | None:
    if not matrix.languages:
        return None
    versions = []
    for li, lang in enumerate(matrix.languages):
        a, d, p = int(l_agree[li, j]), int(l_dis[li, j]), int(l_pass[li, j])
        if a + d + p == 0:
            continue
        share = None
        if a + d >= params.min_statement_votes:
            lo, hi = wilson(np.array([a], dtype=np.float64), np.array([a + d], dtype=np.float64), z)
            share = _est(a / (a + d), float(lo[0]), float(hi[0]))
        versions.append(
            DriftVersion(language=lang, agree=a, disagree=d, passes=p, agree_share=share)
        )
    if test is None:
        return Drift(
            versions=tuple(versions), statistic=None, df=None, p=None, q=None, flagged=False
        )
    stat, df, p_value, q = test
    return Drift(
        versions=tuple(versions),
        statistic=r(stat),
        df=df,
        p=r(p_value),
        q=r(q),
        flagged=q <= params.fdr,
    )


def _languages(matrix: VoteMatrix) -> tuple[LanguageCount, ...]:
    out = []
    for li, lang in enumerate(matrix.languages):
        mask = matrix.shown == li
        out.append(
            LanguageCount(
                language=lang,
                voters=int(np.unique(matrix.rows[mask]).size),
                votes=int(mask.sum()),
            )
        )
    return tuple(out)


def verify(matrix: VoteMatrix, params: Params, data: bytes) -> None:
    """Recompute the result for ``matrix`` and ``params`` and compare it with the published
    document ``data``, byte for byte. Returns None; raises VerificationError saying what
    differs (the matrix hash, the parameters, the algorithm version, or the first figure)."""
    try:
        published = parse_result(data)
    except InputError as exc:
        raise VerificationError(f"the result document cannot be read: {exc}") from exc
    given = matrix_hash(matrix)
    if published.matrix.sha256 != given:
        raise VerificationError(
            f"the result names vote matrix {published.matrix.sha256}; "
            f"the matrix given hashes to {given}"
        )
    if (published.algorithm, published.version) != (ALGORITHM, ALGORITHM_VERSION):
        raise VerificationError(
            f"the result was computed by {published.algorithm} {published.version}; "
            f"this is {ALGORITHM} {ALGORITHM_VERSION}"
        )
    if published.params != params:
        raise VerificationError(
            "the result's parameters differ from those given: "
            + _first_difference(published.params.model_dump(), params.model_dump(), "params")
        )
    computed = result_bytes(analyse(matrix, params))
    if computed != data:
        raise VerificationError(
            "the recomputed result differs from the published one: "
            + _first_difference(json.loads(data), json.loads(computed), "")
        )


def _first_difference(published: Any, computed: Any, path: str) -> str:
    """Where two JSON values first differ, as ``path: published X, computed Y``."""
    if isinstance(published, dict) and isinstance(computed, dict):
        for key in sorted(set(published) | set(computed)):
            if published.get(key) != computed.get(key):
                return _first_difference(published.get(key), computed.get(key), f"{path}.{key}")
    if (
        isinstance(published, list)
        and isinstance(computed, list)
        and len(published) == len(computed)
    ):
        for i, (a, b) in enumerate(zip(published, computed, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{path}[{i}]")
    where = path.lstrip(".") or "document"
    return f"{where}: published {_short(published)}, computed {_short(computed)}"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."
