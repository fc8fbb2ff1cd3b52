"""The building blocks of every entry kind's schema: the strict `Body` base and the field
types kinds share (member ids, RFC 3339 times, digests, keys), and the closed lists of
sectors and roles. The kinds themselves are listed in `credo.ledger.kinds`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from credo.errors import EntryRejected
from credo.ledger.text import text_problem

MEMBER_ID = r"^[a-z0-9][a-z0-9-]{1,39}$"
# RFC 3339 in UTC ("Z"), checked by pydantic-core's regex engine: a Python validator per
# entry would cost more than the rest of the schema check on the submission hot path.
RFC3339_UTC = (
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?Z$"
)

SECTORS = (
    "operator",
    "government",
    "bank",
    "hospital",
    "university",
    "utility",
    "transport",
    "company",
    "civil_society",
    "automotive",
    "energy",
    "hotel",
    "retail",
)
"""Sectors are only ever added (a member's sector is on the log): the last four since 2026-12."""
ROLES = (
    "admin",
    "issuer",
    "recorder",
    "reader",
    "witness",
    "voter",
    "provider",
    "registrar",
    "convener",
)
"""Roles are only ever added, like sectors; ``convener`` (since 2026-12) opens public
consultations (`credo.ledger.kinds.consultations`)."""


def parse_utc(ts: str) -> datetime:
    """An RFC 3339 UTC time as an aware datetime; ValueError for a date no calendar has
    (``2026-02-30``), which the pattern alone lets through."""
    return datetime.fromisoformat(ts)


def _real_time(ts: str) -> str:
    parse_utc(ts)  # ~0.3 us: cheap beside a schema check, and it stops impossible dates
    return ts


Timestamp = Annotated[str, Field(pattern=RFC3339_UTC), AfterValidator(_real_time)]
MemberId = Annotated[str, Field(pattern=MEMBER_ID)]
Base64Key = Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]{43}=$")]
Digest = Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]


def _plain_text(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _plain_lines(value: str) -> str:
    problem = text_problem(value, multiline=True, blank=True)
    if problem:
        raise ValueError(problem)
    return value


ShortText = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_plain_text)]
"""A name, a reason, an origin: one line that shows as what it says (`credo.ledger.text`)."""
LongText = Annotated[str, Field(max_length=500), AfterValidator(_plain_lines)]
"""A member's note or evidence: several lines allowed, no control or bidi character. (A
person's dispute statement must also show something: `credo.services.programme`.)"""


class Body(BaseModel):
    """Base of every kind's body: strict, frozen, no unknown fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


M = TypeVar("M", bound=BaseModel)


def as_model(value: BaseModel, model: type[M]) -> M:
    """``value`` as the model it was parsed into (a governance action's params, a mandate):
    a refusal, not a crash, were a handler ever handed another kind's."""
    if not isinstance(value, model):
        raise EntryRejected(
            f"{type(value).__name__} where {model.__name__} was expected", code="schema"
        )
    return value


Clock = Callable[[], float]
"""What tells the time (Unix seconds): `time.time`, or a fixed or moving one in tests and the
demo. A node holds one and passes it to its sequencer and its services alike."""


def rfc3339(seconds: float) -> str:
    """Unix seconds as RFC 3339 UTC, to the second: the one time format entries and what
    people read use."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
