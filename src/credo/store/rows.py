"""The rows the store hands back: one frozen dataclass per derived table.

Each field is named as its column, and backends select the columns by these names
(`columns`), so a row is never filled by the position of a ``SELECT *``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

CORRUPT_LOG = "corrupt_log"
"""The code of the `StoreError` that reading the log's entries raises when stored data no
longer decodes (tampering, a damaged disk); `credo verify` reports it as a failure."""


PERSONAL_TABLES = (
    "records",
    "consents",
    "access",
    "erased_subjects",
    "entry_tags",
    "enrolments",
    "disputes",
    "consultation_statements",
    "consultation_votes",
    "consultation_flags",
    "consultation_translations",
    "consultation_participants",
)
"""The derived tables built from personal entries: a replay without the vault's key (a
stranger's) cannot rebuild them, and compares only the others."""


def columns(row: type[Any]) -> tuple[str, ...]:
    """The column names of a row class, in field order."""
    return tuple(f.name for f in fields(row))


@dataclass(frozen=True, slots=True)
class MemberRow:
    id: str
    name: str
    sector: str
    roles: tuple[str, ...]
    public_key: bytes
    key_id: str
    status: str  # "active" | "retired"
    admitted_idx: int


@dataclass(frozen=True, slots=True)
class AttestationRow:
    """Where a document's attestation is in the log; what it says is in those entries."""

    digest: str  # "sha256:<64 hex>"
    issuer: str
    issued_idx: int
    revoked_idx: int | None = None


@dataclass(frozen=True, slots=True)
class LeaseRow:
    """The sequencer's lease as the store holds it: who may write the log, the address other
    processes forward submissions to, the epoch its writes are fenced with, and how many
    seconds it has left by the store's clock (negative: expired)."""

    holder: str
    url: str
    epoch: int
    expires_in: float


@dataclass(frozen=True, slots=True)
class CheckpointRow:
    seq: int
    size: int
    note: bytes


@dataclass(frozen=True, slots=True)
class RecordRow:
    record_id: str
    subject: str
    category: str
    type: str
    effective_at: str
    commitment: str
    vault_key: str
    member: str
    status: str  # active | retracted | erased
    put_idx: int
    updated_idx: int
    put_at: str


@dataclass(frozen=True, slots=True)
class ConsentRow:
    id: str
    subject: str
    member: str
    purpose: str
    categories: tuple[str, ...]
    valid_from: str
    valid_until: str
    granted_idx: int
    revoked_idx: int | None = None
    revoke_reason: str | None = None


@dataclass(frozen=True, slots=True)
class MandateRow:
    id: str
    purpose: str
    categories: tuple[str, ...]
    members: tuple[str, ...]
    sectors: tuple[str, ...]
    legal_reference: str
    valid_from: str
    valid_until: str | None
    adopted_idx: int
    repealed_idx: int | None = None


@dataclass(frozen=True, slots=True)
class AccessRow:
    idx: int
    at: str
    subject: str | None
    member: str
    purpose: str
    basis: str
    categories_requested: tuple[str, ...]
    categories_granted: tuple[str, ...]
    outcome: str  # granted | refused
    reason: str
    record_ids: tuple[str, ...]
    request_digest: str


@dataclass(frozen=True, slots=True)
class ProposalRow:
    id: str
    proposer: str
    action: str
    params: dict[str, Any]
    status: str
    proposed_idx: int
    decided_idx: int | None = None


@dataclass(frozen=True, slots=True)
class RulesRow:
    adopted_idx: int
    hash: str
    document: bytes
    proposal_id: str


@dataclass(frozen=True, slots=True)
class ProgrammeStats:
    """The figures the public consortium page shows, counted in the store (no person in them)."""

    enrolled: int
    records_by_member: tuple[tuple[str, int], ...]
    disputes: tuple[tuple[str, str, str | None], ...]  # (status, opened_at, closed_at)
    reading_members: tuple[str, ...]  # members with at least one read on the log


@dataclass(frozen=True, slots=True)
class DisputeRow:
    id: str
    record_id: str
    subject: str
    statement: str
    opened_idx: int
    opened_at: str
    status: str
    closed_idx: int | None = None
    closed_at: str | None = None
    evidence: str | None = None


@dataclass(frozen=True, slots=True)
class ScoreRow:
    subject: str
    rules_hash: str
    as_of: int
    score: int
    tier: str
    doc: str
