"""Rules documents: the data that says how records become points, tiers and benefits.

A rules document is adopted through governance and identified by the SHA-256 of its exact
bytes (DESIGN "The credit programme"). ``load_rules`` is the single gate: it parses JSON or
YAML, validates the shape published in ``rules.schema.json`` and refuses, with a reason code,
anything the programme forbids: special categories, reaching outside a benefit's context, and
every form of penalty.
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from importlib import resources
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from credo.errors import RulesRejected
from credo.scoring import _checks

__all__ = [
    "DEFAULT_RULES",
    "DEFAULT_RULES_BYTES",
    "DEFAULT_RULES_HASH",
    "SPECIAL_CATEGORIES",
    "Benefit",
    "Cap",
    "Line",
    "RulesDocument",
    "ScoreRange",
    "Scorecard",
    "Tier",
    "load_rules",
    "rules_hash",
    "rules_schema",
]

SPECIAL_CATEGORIES = _checks.SPECIAL_CATEGORIES

# The published shape is authoritative; these bounds keep every milli-point sum inside a
# signed 64-bit integer for any realistic record volume (see engine.py).
_MAX_POINTS = 1_000_000
_Id = Annotated[StrictStr, Field(min_length=1, max_length=128)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScoreRange(_Frozen):
    min: StrictInt
    max: StrictInt
    base: StrictInt


class Tier(_Frozen):
    name: _Id
    min_score: StrictInt


class Cap(_Frozen):
    """At most ``max_points`` undecayed points per line per ``period_days`` bucket."""

    period_days: Annotated[StrictInt, Field(ge=1)]
    max_points: Annotated[StrictInt, Field(ge=1, le=_MAX_POINTS)]


class Line(_Frozen):
    id: _Id
    category: _Id
    type: _Id
    # Not bounded below here on purpose: a zero or negative value is a penalty and is
    # refused with code "penalty" rather than a generic schema error.
    points: Annotated[StrictInt, Field(le=_MAX_POINTS)]
    half_life_days: Annotated[StrictInt, Field(ge=1)]
    cap: Cap | None = None


class Scorecard(_Frozen):
    id: _Id
    context: _Id
    lines: Annotated[tuple[Line, ...], Field(min_length=1)]


class Benefit(_Frozen):
    id: _Id
    provider: _Id
    context: _Id
    scorecard: _Id
    min_tier: _Id
    description: Annotated[StrictStr, Field(min_length=1)]


class RulesDocument(_Frozen):
    """A validated rules document; build it with ``load_rules``, never directly."""

    version: Annotated[StrictInt, Field(ge=1)]
    score: ScoreRange
    tiers: Annotated[tuple[Tier, ...], Field(min_length=1)]
    contexts: Annotated[dict[str, tuple[_Id, ...]], Field(min_length=1)]
    scorecards: Annotated[tuple[Scorecard, ...], Field(min_length=1)]
    benefits: tuple[Benefit, ...] = ()
    dispute_answer_days: Annotated[StrictInt, Field(ge=1)] = 30

    @cached_property
    def lines_by_kind(self) -> dict[tuple[str, str], tuple[tuple[int, int], ...]]:
        """(category, type) to the (scorecard, line) positions that score that kind of record.
        Worked out once per document: built on each scoring, it was a third of scoring's time
        (the score page scores a person thirteen times, for its history)."""
        index: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for c, card in enumerate(self.scorecards):
            for n, line in enumerate(card.lines):
                index.setdefault((line.category, line.type), []).append((c, n))
        return {kind: tuple(at) for kind, at in index.items()}

    def scorecard(self, scorecard_id: str) -> Scorecard:
        for card in self.scorecards:
            if card.id == scorecard_id:
                return card
        raise KeyError(scorecard_id)

    def tier_for(self, score: int) -> str:
        """The highest tier whose ``min_score`` the score reaches (tiers are ascending)."""
        name = self.tiers[0].name
        for tier in self.tiers:
            if tier.min_score <= score:
                name = tier.name
        return name

    def tier_min(self, name: str) -> int:
        for tier in self.tiers:
            if tier.name == name:
                return tier.min_score
        raise KeyError(name)


def rules_hash(doc_bytes: bytes) -> str:
    """Hex SHA-256 of the exact document bytes: the rules' identity on the log."""
    return hashlib.sha256(doc_bytes).hexdigest()


def _parse(text: bytes) -> Any:
    """JSON first (the canonical form), then YAML, which people may write by hand."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesRejected(
            f"rules document is neither JSON nor YAML: {exc}", code="schema"
        ) from exc


def load_rules(text: bytes) -> RulesDocument:
    """Parse, validate and vet a rules document, or raise ``RulesRejected`` with a code.

    Codes: ``penalty`` (penalty words, non-positive points, a base below the range, tiers
    below the base), ``schema`` (shape, unknown keys, dangling references),
    ``special_category`` (a rule naming a special category), ``out_of_context`` (a line or
    benefit reaching outside its context).
    """
    raw = _parse(text)
    if not isinstance(raw, dict):
        raise RulesRejected("rules document must be a JSON/YAML object", code="schema")
    # Penalty words first: a "penalty" key must be refused as a penalty, not as an unknown key.
    _checks.refuse_penalty_words(raw)
    try:
        doc = RulesDocument.model_validate(raw)
    except ValidationError as exc:
        raise RulesRejected(
            f"rules document does not match the schema: {exc}", code="schema"
        ) from exc
    _checks.vet(doc)
    return doc


def rules_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of a rules document."""
    loaded: dict[str, Any] = json.loads(_read("rules.schema.json"))
    return loaded


def _read(name: str) -> bytes:
    return resources.files("credo.scoring").joinpath(name).read_bytes()


DEFAULT_RULES_BYTES: bytes = _read("default_rules.json")
DEFAULT_RULES: RulesDocument = load_rules(DEFAULT_RULES_BYTES)
DEFAULT_RULES_HASH: str = rules_hash(DEFAULT_RULES_BYTES)
