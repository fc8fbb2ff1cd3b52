"""The analysis parameters: everything besides the votes that decides a result.

A result document repeats its parameters in full, the seed and what was carried over from
the previous update included, so anyone holding the matrix and the result can recompute it.
Defaults are the published values of the method each figure comes from (docs/
consultation-analysis.md names them).
"""

from __future__ import annotations

import json
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, ValidationError

from credo.errors import InputError

__all__ = ["ALGORITHM", "ALGORITHM_VERSION", "Params", "Previous", "params_bytes", "parse_params"]

ALGORITHM = "credo.consultation"
ALGORITHM_VERSION = "1"
"""Bump when any figure for the same votes, parameters and seed would change."""

_Prob = Annotated[StrictFloat, Field(gt=0.0, lt=1.0)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Previous(_Frozen):
    """What an update carries over from the last result so the map and the groups stay put
    (Pol.is seeds its clustering with the last centres and smooths the group count).

    ``axes`` maps statement id to its two loadings; ``centres`` are indexed by group id;
    ``k`` is the group count shown, ``candidate_k``/``streak`` the best count of the last
    updates and for how many updates in a row it was best.
    """

    axes: dict[str, tuple[float, float]]
    centres: tuple[tuple[float, float], ...]
    k: Annotated[StrictInt, Field(ge=0)]
    candidate_k: Annotated[StrictInt, Field(ge=0)]
    streak: Annotated[StrictInt, Field(ge=0)]


class Params(_Frozen):
    """Analysis parameters; ``Params()`` is the published default with seed 0."""

    seed: Annotated[StrictInt, Field(ge=0, lt=2**32)] = 0
    min_participant_votes: Annotated[StrictInt, Field(ge=1)] = 7
    """Pol.is: a participant is clustered with at least min(7, statements) votes."""
    zeroed_statements: Annotated[StrictInt, Field(ge=0)] = 0
    """Statements moderated out but kept, as Pol.is keeps them, as columns of zeros: they
    count in both terms of the projection's scale sqrt((statements + z) / (votes + z)),
    which damps it. 0 is the scale as Pol.is describes it; the number of moderated-out
    statements reproduces Pol.is's own groups (docs/consultation-analysis.md)."""
    min_participants: Annotated[StrictInt, Field(ge=3)] = 10
    """Fewer clustered participants than this: no groups yet ("not enough votes")."""
    max_groups: Annotated[StrictInt, Field(ge=2, le=9)] = 5
    """Pol.is tries 2 to 5 groups and keeps the best silhouette."""
    k_buffer: Annotated[StrictInt, Field(ge=1)] = 4
    """Pol.is's group-count smoother: a new count must be best this many updates in a row."""
    kmeans_restarts: Annotated[StrictInt, Field(ge=1)] = 10
    silhouette_sample: Annotated[StrictInt, Field(ge=100)] = 3000
    """Silhouette is quadratic: above this many participants it is taken on a seeded sample."""
    repness_confidence: _Prob = 0.90
    """Pol.is: one-sided 90% (z > 1.2816) for representative and consensus statements."""
    pick_max: Annotated[StrictInt, Field(ge=1)] = 5
    """Pol.is shows at most five representative statements per group and five consensus."""
    min_statement_votes: Annotated[StrictInt, Field(ge=1)] = 5
    """Under this many votes a statement's figures are "not enough votes yet" (Community
    Notes scores a note only from five ratings)."""
    interval_level: _Prob = 0.95
    fdr: _Prob = 0.05
    """Benjamini-Hochberg false discovery rate for divisive statements and drift."""
    intercept_lambda: Annotated[StrictFloat, Field(ge=0.0)] = 0.15
    factor_lambda: Annotated[StrictFloat, Field(ge=0.0)] = 0.03
    """Community Notes' regularisation: intercepts 0.15, factors 0.03 (five times lighter)."""
    bridging_threshold: StrictFloat = 0.40
    """Community Notes: a note is helpful when its intercept reaches 0.40 ..."""
    bridging_factor_limit: Annotated[StrictFloat, Field(gt=0.0)] = 0.50
    """... and its factor stays under 0.5 in absolute value."""
    mf_max_iterations: Annotated[StrictInt, Field(ge=1)] = 500
    mf_tolerance: Annotated[StrictFloat, Field(gt=0.0)] = 1e-6
    """Stop when no parameter moves more than this: far inside every interval shown."""
    previous: Previous | None = None


def params_bytes(params: Params) -> bytes:
    """The parameters as compact JSON with sorted keys, as a log entry or a result holds them."""
    return json.dumps(
        params.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode()


def parse_params(data: bytes | str) -> Params:
    """Parameters from JSON (a log entry's, a command line's); InputError if malformed."""
    try:
        return Params.model_validate_json(data)
    except ValidationError as exc:
        raise InputError(f"analysis parameters refused: {exc}", code="bad_params") from exc
