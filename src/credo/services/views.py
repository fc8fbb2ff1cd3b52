"""What a person is shown about themselves, typed once: records, accesses, consents, disputes
and entries, as their export (`credo.services.rights`) and their portal (`credo.services.person`)
both show them, so the two cannot disagree.

Each view is built from the store's row by one function here (`consent_view` decides a
consent's status, `record_view` a record's), and becomes JSON by `to_json` (the export's
document, the API's answers); the portal's templates read the fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from credo.ledger.categories import SPECIAL_CATEGORIES
from credo.ledger.schema import parse_utc, rfc3339
from credo.store import AccessRow, ConsentRow, DisputeRow, RecordRow

CONSENT_STATUSES = ("active", "future", "expired", "revoked")
"""A consent is revoked (whatever its dates), else expired once its ``valid_until`` has come,
else future before its ``valid_from``, else active: the window the ledger reads under
(`credo.ledger.kinds.access`)."""


class _View:
    __slots__ = ()

    def to_json(self) -> dict[str, Any]:
        """The view as JSON: what the export holds and the API answers (tuples as lists)."""
        out: dict[str, Any] = asdict(self, dict_factory=_json_dict)  # type: ignore[call-overload]
        return out


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_json_value(v) for v in value]
    return value


def _json_dict(items: list[tuple[str, Any]]) -> dict[str, Any]:
    return {key: _json_value(value) for key, value in items}


@dataclass(frozen=True, slots=True)
class RecordView(_View):
    """A record as its person (or a granted reader) sees it; ``payload`` is None when it was
    not opened (a listing) or was erased, ``payload_error`` the reason it could not be."""

    record_id: str
    category: str
    type: str
    effective_at: str
    recorded_at: str
    member: str
    special: bool
    status: str  # active | disputed | retracted | erased
    put_index: int
    updated_index: int
    commitment: str
    payload: dict[str, Any] | None = None
    payload_error: str | None = None


def record_view(
    row: RecordRow,
    disputed: set[str],
    payload: dict[str, Any] | None = None,
    payload_error: str | None = None,
) -> RecordView:
    """``row`` as its person sees it: active but under an open dispute reads "disputed"."""
    return RecordView(
        record_id=row.record_id,
        category=row.category,
        type=row.type,
        effective_at=row.effective_at,
        recorded_at=row.put_at,
        member=row.member,
        special=row.category in SPECIAL_CATEGORIES,
        status="disputed" if row.status == "active" and row.record_id in disputed else row.status,
        put_index=row.put_idx,
        updated_index=row.updated_idx,
        commitment=row.commitment,
        payload=payload,
        payload_error=payload_error,
    )


@dataclass(frozen=True, slots=True)
class DisputeView(_View):
    """A dispute as people and members read it: who must answer, and by when."""

    id: str
    record_id: str
    member: str | None  # the record's submitting member, who must answer
    opened_at: str
    opened_index: int
    answer_by: str
    status: str  # open | upheld | amended | retracted | expired
    closed_at: str | None
    closed_index: int | None
    evidence: str | None


def dispute_view(row: DisputeRow, answerer: str | None, answer_days: int) -> DisputeView:
    return DisputeView(
        id=row.id,
        record_id=row.record_id,
        member=answerer,
        opened_at=row.opened_at,
        opened_index=row.opened_idx,
        answer_by=rfc3339(parse_utc(row.opened_at).timestamp() + answer_days * 86_400),
        status=row.status,
        closed_at=row.closed_at,
        closed_index=row.closed_idx,
        evidence=row.evidence,
    )


@dataclass(frozen=True, slots=True)
class OwnRecord(RecordView):
    """One of the person's records opened for them, with its disputes, and whether they may
    dispute it now (it is active and no dispute of it is open)."""

    disputes: tuple[DisputeView, ...] = ()
    disputable: bool = False


@dataclass(frozen=True, slots=True)
class ConsentView(_View):
    id: str
    member: str
    purpose: str
    categories: tuple[str, ...]
    valid_from: str
    valid_until: str
    status: str  # one of CONSENT_STATUSES
    granted_index: int
    revoked_index: int | None
    revoke_reason: str | None


def consent_status(row: ConsentRow, now: float) -> str:
    """The one place a consent's status is decided (`CONSENT_STATUSES`)."""
    if row.revoked_idx is not None:
        return "revoked"
    if now >= parse_utc(row.valid_until).timestamp():
        return "expired"
    if now < parse_utc(row.valid_from).timestamp():
        return "future"
    return "active"


def consent_view(row: ConsentRow, now: float) -> ConsentView:
    """``row`` as its person sees it at ``now`` (Unix seconds)."""
    return ConsentView(
        id=row.id,
        member=row.member,
        purpose=row.purpose,
        categories=tuple(row.categories),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        status=consent_status(row, now),
        granted_index=row.granted_idx,
        revoked_index=row.revoked_idx,
        revoke_reason=row.revoke_reason,
    )


@dataclass(frozen=True, slots=True)
class BasisView(_View):
    """What an access relied on: a consent (``known``: one of the person's own) or a mandate
    (``known``: adopted, with its legal ground)."""

    type: str  # consent | mandate
    id: str
    known: bool
    legal_reference: str | None = None


@dataclass(frozen=True, slots=True)
class AccessView(_View):
    """An access to the person's data, granted or refused."""

    index: int
    at: str
    member: str
    purpose: str
    basis: BasisView
    categories_requested: tuple[str, ...]
    categories_granted: tuple[str, ...]
    outcome: str  # granted | refused
    reason: str
    record_ids: tuple[str, ...]

    @property
    def records(self) -> int:
        """How many records it opened."""
        return len(self.record_ids)


def access_view(row: AccessRow, basis: BasisView) -> AccessView:
    return AccessView(
        index=row.idx,
        at=row.at,
        member=row.member,
        purpose=row.purpose,
        basis=basis,
        categories_requested=tuple(row.categories_requested),
        categories_granted=tuple(row.categories_granted),
        outcome=row.outcome,
        reason=row.reason,
        record_ids=tuple(row.record_ids),
    )


@dataclass(frozen=True, slots=True)
class EntryView(_View):
    """An entry about the person: what is public of it, and its metadata opened for them
    (None where not opened: the portal's proof check reads only what is public)."""

    index: int
    kind: str
    by: str
    at: str
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class LogView(_View):
    """Which log the export's indices are positions on, and its checkpoint when exported."""

    origin: str
    checkpoint: str | None


@dataclass(frozen=True, slots=True)
class ScoreView(_View):
    score: int
    tier: str
    rules_hash: str
    as_of: str


@dataclass(frozen=True, slots=True)
class ProgrammeView(_View):
    enrolled: bool
    score: ScoreView | None


@dataclass(frozen=True, slots=True)
class Export(_View):
    """Everything held about a person, with log positions a verifier can check against the
    log (`credo.client.audit.verify_export`); `to_json` is the document they download."""

    subject: str
    generated_at: str
    log: LogView
    records: tuple[RecordView, ...]
    access: tuple[AccessView, ...]
    consents: tuple[ConsentView, ...]
    disputes: tuple[DisputeView, ...]
    programme: ProgrammeView
    entries: tuple[EntryView, ...]
