"""The result document: every figure an analysis publishes, with its doubt, as canonical bytes.

``result_bytes`` is compact JSON with sorted keys; every float was rounded to six significant
digits when the result was built (``_stats.round_sig``), so the bytes are a function of the
votes, the parameters and the seed alone. ``parse_result`` reads a document back and
refuses one that is not in that form.
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from credo.consultation.params import Params, Previous
from credo.errors import InputError

__all__ = [
    "RESULT_FORMAT",
    "Bridging",
    "BridgingFit",
    "Consensus",
    "Counts",
    "Divisive",
    "Drift",
    "DriftVersion",
    "Estimate",
    "Group",
    "GroupCounts",
    "KChoice",
    "LanguageCount",
    "MatrixInfo",
    "Point",
    "Representative",
    "Result",
    "StatementResult",
    "parse_result",
    "previous_of",
    "result_bytes",
    "result_hash",
]

RESULT_FORMAT = "credo-consultation-result/1"
State = Literal["ok", "not_enough_votes"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Estimate(_Frozen):
    """A figure with its interval (``level`` in ``Params.interval_level``)."""

    value: float
    low: float
    high: float


class Counts(_Frozen):
    agree: int
    disagree: int
    passes: int

    @property
    def seen(self) -> int:
        return self.agree + self.disagree + self.passes


class GroupCounts(_Frozen):
    group: int
    agree: int
    disagree: int
    passes: int


class Representative(_Frozen):
    """A statement that sets a group apart (Pol.is repness): ``direction`` is what the group
    does more than the rest; ``p`` the group's rate (with pseudo-counts), ``ratio`` that rate
    over the rest's, ``z_p``/``z_ratio`` the two tests it passed, ``metric`` their product."""

    statement: str
    direction: Literal["agree", "disagree"]
    p: Estimate
    ratio: float
    z_p: float
    z_ratio: float
    metric: float


class Group(_Frozen):
    id: int
    label: str
    size: int
    centre: tuple[float, float]
    representative: tuple[Representative, ...]


class Point(_Frozen):
    """A clustered participant on the opinion map."""

    participant: str
    group: int
    x: float
    y: float


class Bridging(_Frozen):
    """The statement's matrix-factorisation figures: intercept (support across viewpoints)
    with its interval, and factor (where along the one axis its support lies)."""

    intercept: Estimate
    factor: float
    bridging: bool


class Divisive(_Frozen):
    """Do groups differ on it? Chi-square over groups x (agree, disagree), BH q-value."""

    statistic: float
    df: int
    p: float
    q: float
    divisive: bool


class DriftVersion(_Frozen):
    language: str
    agree: int
    disagree: int
    passes: int
    agree_share: Estimate | None


class Drift(_Frozen):
    """Agreement by language version shown; ``flagged`` when it differs beyond chance. The
    test figures are None when fewer than two versions had enough votes to compare."""

    versions: tuple[DriftVersion, ...]
    statistic: float | None
    df: int | None
    p: float | None
    q: float | None
    flagged: bool


class StatementResult(_Frozen):
    """Every figure for one statement; under ``min_statement_votes`` votes the figures that
    need them are None and ``state`` says "not_enough_votes"."""

    id: str
    state: State
    votes: Counts
    agree_share: Estimate | None
    groups: tuple[GroupCounts, ...]
    group_consensus: Estimate | None
    group_consensus_disagree: Estimate | None
    bridging: Bridging | None
    divisive: Divisive | None
    drift: Drift | None


class MatrixInfo(_Frozen):
    sha256: str
    participants: int
    statements: int
    votes: int


class LanguageCount(_Frozen):
    language: str
    voters: int
    votes: int


class KChoice(_Frozen):
    """How the group count was chosen: silhouette per k tried, the best this time, and the
    Pol.is smoother's state (best count of recent updates, updates in a row)."""

    silhouettes: dict[str, float]
    best: int
    chosen: int
    candidate: int
    streak: int


class Consensus(_Frozen):
    agree: tuple[str, ...]
    disagree: tuple[str, ...]


class BridgingFit(_Frozen):
    mu: float
    iterations: int
    converged: bool
    rmse: float
    ratings: int


class Result(_Frozen):
    format: Literal["credo-consultation-result/1"] = "credo-consultation-result/1"
    algorithm: str
    version: str
    params: Params
    matrix: MatrixInfo
    state: State
    voters: int
    clustered: int
    languages: tuple[LanguageCount, ...]
    axes: dict[str, tuple[float, float]]
    explained_variance: tuple[float, ...]
    k: KChoice | None
    groups: tuple[Group, ...]
    participants: tuple[Point, ...]
    statements: tuple[StatementResult, ...]
    consensus: Consensus
    bridging: BridgingFit | None
    divisive: tuple[str, ...]
    drift: tuple[str, ...]

    def group_of(self) -> dict[str, int]:
        """Clustered participant pseudonym -> group id (for "closest to group B" and the
        Pol.is export's group-id column)."""
        return {p.participant: p.group for p in self.participants}


def result_bytes(result: Result) -> bytes:
    """The canonical document: compact JSON, keys sorted, UTF-8, no NaN."""
    doc = result.model_dump(mode="json")
    return json.dumps(
        doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def result_hash(data: bytes) -> str:
    """Hex SHA-256 of a result document's bytes: its identity on the log."""
    return hashlib.sha256(data).hexdigest()


def parse_result(data: bytes) -> Result:
    """A published result document back as a ``Result``; refuses a malformed or
    non-canonical one (InputError), so a stored document is always its own bytes."""
    try:
        result = Result.model_validate_json(data)
    except ValidationError as exc:
        raise InputError(f"not a {RESULT_FORMAT} document: {exc}", code="bad_result") from exc
    if result_bytes(result) != data:
        raise InputError("the result document is not in canonical form", code="bad_result")
    return result


def previous_of(result: Result) -> Previous | None:
    """What the next update carries over from this result (None before any groups)."""
    if result.k is None:
        return None
    return Previous(
        axes=dict(result.axes),
        centres=tuple(g.centre for g in result.groups),
        k=result.k.chosen,
        candidate_k=result.k.candidate,
        streak=result.k.streak,
    )
