"""Record entries: ``record.put``, ``record.amend``, ``record.retract``, and ``subject.erase``.

A record entry carries metadata only (docs/design.md, People's data): the subject's pseudonymous
ref, the category and type, the effective date, a salted commitment to the payload and the
vault key under which the encrypted payload lives. Never a national id, never a payload.
Each is signed by the submitting member; the handlers below are pure (no vault, no clock), so
`credo rebuild` and `credo verify` replay them exactly.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from credo.errors import EntryRejected
from credo.ledger.categories import CATEGORY_PATTERN, TYPE_PATTERN, check_recordable
from credo.ledger.registry import Context
from credo.ledger.schema import Body, Timestamp
from credo.ledger.validate import Decoded
from credo.store import MemberRow, RecordRow, WriteTx

Hex32 = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
SubjectRef = Hex32
RecordId = Hex32
Commitment = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
CategoryName = Annotated[str, Field(pattern=CATEGORY_PATTERN)]
TypeName = Annotated[str, Field(pattern=TYPE_PATTERN, max_length=64)]
ReasonCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]


class RecordPut(Body):
    record_id: RecordId
    subject: SubjectRef
    category: CategoryName
    type: TypeName
    effective_at: Timestamp
    commitment: Commitment
    vault_key: Hex32


class RecordAmend(Body):
    record_id: RecordId
    type: TypeName
    effective_at: Timestamp
    commitment: Commitment
    vault_key: Hex32


class RecordRetract(Body):
    record_id: RecordId
    reason: ReasonCode  # a code, never free text: the log is public


class SubjectErase(Body):
    subject: SubjectRef


def record_context(category: str, member: str) -> bytes:
    """The associated data a record's payload is sealed under: it opens only as that
    category, submitted by that member."""
    return f"credo-record/v1\x00{category}\x00{member}".encode()


def apply_put(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    body = RecordPut.model_validate(entry.body)
    check_recordable(body.category, body.type, signer.sector)
    if tx.get_record(body.record_id) is not None:
        raise EntryRejected(f"record {body.record_id} already exists", code="record_exists")
    if tx.is_subject_erased(body.subject):
        raise EntryRejected("that subject was erased", code="subject_erased")
    tx.put_record(
        RecordRow(
            body.record_id,
            body.subject,
            body.category,
            body.type,
            body.effective_at,
            body.commitment,
            body.vault_key,
            signer.id,
            "active",
            index,
            index,
            entry.at,
        )
    )


def own_active_record(tx: WriteTx, record_id: str, signer: MemberRow) -> RecordRow:
    """The record, if ``signer`` submitted it and it is still active."""
    found = tx.get_record(record_id)
    if found is None:
        raise EntryRejected(f"no record {record_id}", code="unknown_record")
    if found.member != signer.id:
        raise EntryRejected(
            f"only the submitting member {found.member!r} may change record {record_id}",
            code="not_submitter",
        )
    if found.status != "active":
        raise EntryRejected(f"record {record_id} is {found.status}", code="record_not_active")
    return found


def apply_amend(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    body = RecordAmend.model_validate(entry.body)
    found = own_active_record(tx, body.record_id, signer)
    check_recordable(found.category, body.type, signer.sector)
    tx.put_record(
        RecordRow(
            found.record_id,
            found.subject,
            found.category,
            body.type,
            body.effective_at,
            body.commitment,
            body.vault_key,
            found.member,
            "active",
            found.put_idx,
            index,
            found.put_at,
        )
    )


def apply_retract(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    body = RecordRetract.model_validate(entry.body)
    found = own_active_record(tx, body.record_id, signer)
    tx.put_record(
        RecordRow(
            found.record_id,
            found.subject,
            found.category,
            found.type,
            found.effective_at,
            found.commitment,
            found.vault_key,
            found.member,
            "retracted",
            found.put_idx,
            index,
            found.put_at,
        )
    )


def apply_erase(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    body = SubjectErase.model_validate(entry.body)
    if tx.is_subject_erased(body.subject):
        raise EntryRejected("that subject is already erased", code="already_erased")
    tx.erase_subject(body.subject, index)
    if tx.is_enrolled(body.subject):  # forgotten people leave the programme: score and history go
        tx.withdraw(body.subject)
