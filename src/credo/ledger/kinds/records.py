"""Record entries: ``record.put``, ``record.amend``, ``record.retract``, and ``subject.erase``.

On the log a record entry is a personal entry (`credo.ledger.personal`): a fresh tag and
sealed metadata. The metadata, which only the vault opens, is the record id, category and
type, the effective date, a salted commitment to the payload and the vault key under which the
encrypted payload lives. Never a national id, never a payload. Each is signed by the
submitting member; the handlers below use no clock, so `credo rebuild` and `credo verify`
replay them exactly.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from pydantic import Field

from credo.errors import EntryRejected
from credo.ledger.categories import CATEGORY_PATTERN, TYPE_PATTERN, check_recordable
from credo.ledger.personal import Meta, open_personal, require_person, resolve_tag
from credo.ledger.registry import Context
from credo.ledger.schema import Timestamp
from credo.ledger.validate import Decoded
from credo.store import MemberRow, RecordRow, WriteTx

Hex32 = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
RecordId = Hex32
Commitment = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
CategoryName = Annotated[str, Field(pattern=CATEGORY_PATTERN)]
TypeName = Annotated[str, Field(pattern=TYPE_PATTERN, max_length=64)]
ReasonCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]


class RecordPutMeta(Meta):
    record_id: RecordId
    category: CategoryName
    type: TypeName
    effective_at: Timestamp
    commitment: Commitment  # to the payload, sealed in the vault under vault_key
    vault_key: Hex32


class RecordAmendMeta(Meta):
    record_id: RecordId
    type: TypeName
    effective_at: Timestamp
    commitment: Commitment
    vault_key: Hex32


class RecordRetractMeta(Meta):
    record_id: RecordId
    reason: ReasonCode


def record_context(category: str, member: str) -> bytes:
    """The associated data a record's payload is sealed under: it opens only as that
    category, submitted by that member."""
    return f"credo-record/v1\x00{category}\x00{member}".encode()


def apply_put(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    p = open_personal(tx, index, entry, ctx, RecordPutMeta)
    meta = require_person(tx, p, ctx)
    if meta is None or p.subject is None:
        p.mark(tx)
        return
    check_recordable(meta.category, meta.type, signer.sector)
    if tx.get_record(meta.record_id) is not None:
        raise EntryRejected(f"record {meta.record_id} already exists", code="record_exists")
    p.mark(tx)
    tx.put_record(
        RecordRow(
            meta.record_id,
            p.subject,
            meta.category,
            meta.type,
            meta.effective_at,
            meta.commitment,
            meta.vault_key,
            signer.id,
            "active",
            index,
            index,
            entry.at,
        )
    )


def own_active_record(tx: WriteTx, record_id: str, subject: str, signer: MemberRow) -> RecordRow:
    """The record, if it is about ``subject``, ``signer`` submitted it and it is active."""
    found = tx.get_record(record_id)
    if found is None or found.subject != subject:
        raise EntryRejected(f"no record {record_id} about this person", code="unknown_record")
    if found.member != signer.id:
        raise EntryRejected(
            f"only the submitting member {found.member!r} may change record {record_id}",
            code="not_submitter",
        )
    if found.status != "active":
        raise EntryRejected(f"record {record_id} is {found.status}", code="record_not_active")
    return found


def apply_amend(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    p = open_personal(tx, index, entry, ctx, RecordAmendMeta)
    meta = require_person(tx, p, ctx)
    if meta is None or p.subject is None:
        p.mark(tx)
        return
    found = own_active_record(tx, meta.record_id, p.subject, signer)
    check_recordable(found.category, meta.type, signer.sector)
    p.mark(tx)
    tx.put_record(
        replace(
            found,
            type=meta.type,
            effective_at=meta.effective_at,
            commitment=meta.commitment,
            vault_key=meta.vault_key,
            updated_idx=index,
        )
    )


def apply_retract(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    p = open_personal(tx, index, entry, ctx, RecordRetractMeta)
    meta = require_person(tx, p, ctx)
    if meta is None or p.subject is None:
        p.mark(tx)
        return
    found = own_active_record(tx, meta.record_id, p.subject, signer)
    p.mark(tx)
    tx.put_record(replace(found, status="retracted", updated_idx=index))


def apply_erase(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    p = resolve_tag(tx, index, entry, ctx)
    if p.subject is not None:
        if tx.is_subject_erased(p.subject):
            raise EntryRejected("that subject is already erased", code="already_erased")
        if ctx.policy is not None and not tx.is_known(p.subject):
            raise EntryRejected("no entry names that subject", code="unknown_subject")
    p.mark(tx)
    if p.subject is None:
        return
    tx.erase_subject(p.subject, index)
    tx.erase_opinions(p.subject)  # what they said in consultations leaves every later result
    if tx.is_enrolled(p.subject):  # forgotten people leave the programme: score and history go
        tx.withdraw(p.subject)
