"""Legal bases for reading a person's records: consent artefacts and consortium mandates.

Consent is modelled on the consent artefact of India's Account Aggregator framework (ReBIT
"Consent Artefact"): one data user (a member), one purpose, a set of categories and a validity
window, granted and revoked through the consent manager (the operator member, which signs
``consent.grant`` and ``consent.revoke`` for the person). A mandate is the consortium's own
basis (``mandate.adopt``, for now signed by an admin; governance may adopt one too through the
``adopt_mandate`` action). Storage and checks do not depend on who adopted a mandate.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Protocol

from pydantic import BaseModel, Field

from credo.errors import EntryRejected
from credo.ledger.categories import (
    CATEGORIES,
    PURPOSE_PATTERN,
    check_categories,
    check_purpose,
    readable,
)
from credo.ledger.kinds.records import CategoryName, Hex32, ReasonCode
from credo.ledger.personal import Meta, open_personal, require_person
from credo.ledger.registry import Context
from credo.ledger.schema import (
    SECTORS,
    Body,
    MemberId,
    ShortText,
    Timestamp,
    as_model,
    parse_utc,
)
from credo.ledger.validate import Decoded
from credo.store import ConsentRow, MandateRow, MemberRow, ProposalRow, WriteTx

PurposeName = Annotated[str, Field(pattern=PURPOSE_PATTERN)]
MandateId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]
Categories = Annotated[list[CategoryName], Field(min_length=1, max_length=len(CATEGORIES))]


class ConsentGrantMeta(Meta):
    """Sealed in a ``consent.grant`` entry."""

    id: Hex32
    member: MemberId
    purpose: PurposeName
    categories: Categories
    valid_from: Timestamp
    valid_until: Timestamp


class ConsentRevokeMeta(Meta):
    id: Hex32
    reason: ReasonCode


class MandateSpec(Body):
    id: MandateId
    purpose: PurposeName
    categories: Categories
    members: Annotated[list[MemberId], Field(max_length=64, default_factory=list)]
    sectors: Annotated[list[str], Field(max_length=len(SECTORS), default_factory=list)]
    legal_reference: ShortText
    valid_from: Timestamp
    valid_until: Timestamp | None = None


class MandateRepeal(Body):
    id: MandateId
    reason: ReasonCode


def _window(valid_from: str, valid_until: str | None) -> None:
    if valid_until is not None and parse_utc(valid_until) <= parse_utc(valid_from):
        raise EntryRejected("valid_until must be after valid_from", code="bad_validity")


class GrantReader(Protocol):
    def get_member(self, member_id: str) -> MemberRow | None: ...

    def get_consent(self, consent_id: str) -> ConsentRow | None: ...


def check_grant(tx: GrantReader, body: ConsentGrantMeta) -> MemberRow:
    """Everything a consent grant must satisfy, before anything is written."""
    member = tx.get_member(body.member)
    if member is None or member.status != "active":
        raise EntryRejected(f"no active member {body.member!r}", code="unknown_member")
    purpose = check_purpose(body.purpose)
    check_categories(body.categories)
    _window(body.valid_from, body.valid_until)
    for category in body.categories:
        if not readable(category, body.purpose, member.sector):
            why = "for a scoring purpose" if purpose.scoring else f"by a {member.sector} member"
            raise EntryRejected(
                f"special category {category!r} may not be shared {why}",
                code="special_category_refused",
            )
    if tx.get_consent(body.id) is not None:
        raise EntryRejected(f"consent {body.id} already exists", code="consent_exists")
    return member


def apply_grant(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    p = open_personal(tx, index, entry, ctx, ConsentGrantMeta)
    body = require_person(tx, p, ctx)
    if body is None or p.subject is None:
        p.mark(tx)
        return
    check_grant(tx, body)
    p.mark(tx)
    tx.put_consent(
        ConsentRow(
            body.id,
            p.subject,
            body.member,
            body.purpose,
            tuple(body.categories),
            body.valid_from,
            body.valid_until,
            index,
        )
    )


def apply_revoke(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    p = open_personal(tx, index, entry, ctx, ConsentRevokeMeta)
    body = require_person(tx, p, ctx)
    if body is None:
        p.mark(tx)
        return
    found = tx.get_consent(body.id)
    if found is None or found.subject != p.subject:
        raise EntryRejected(f"no consent {body.id} of this person", code="unknown_consent")
    if found.revoked_idx is not None:
        raise EntryRejected(f"consent {body.id} is already revoked", code="already_revoked")
    p.mark(tx)
    tx.put_consent(replace(found, revoked_idx=index, revoke_reason=body.reason))


def check_mandate(tx: WriteTx, spec: BaseModel) -> None:
    spec = as_model(spec, MandateSpec)
    check_purpose(spec.purpose)
    check_categories(spec.categories)
    special = [c for c in spec.categories if CATEGORIES[c].special]
    if special:
        raise EntryRejected(
            f"a mandate may not cover special categories ({', '.join(special)}): those are "
            "shared only with the person's explicit consent",
            code="special_category_refused",
        )
    if not spec.members and not spec.sectors:
        raise EntryRejected("a mandate names members, sectors or both", code="bad_mandate")
    unknown = [s for s in spec.sectors if s not in SECTORS]
    if unknown:
        raise EntryRejected(f"unknown sector(s) {unknown}", code="bad_mandate")
    _window(spec.valid_from, spec.valid_until)
    if tx.get_mandate(spec.id) is not None:
        raise EntryRejected(f"mandate {spec.id!r} already exists", code="mandate_exists")


def adopt_mandate(tx: WriteTx, index: int, spec: BaseModel, _: ProposalRow | None = None) -> None:
    """Store an adopted mandate: the same whoever adopted it (an admin or a governance vote)."""
    spec = as_model(spec, MandateSpec)
    check_mandate(tx, spec)
    tx.put_mandate(
        MandateRow(
            spec.id,
            spec.purpose,
            tuple(spec.categories),
            tuple(spec.members),
            tuple(spec.sectors),
            spec.legal_reference,
            spec.valid_from,
            spec.valid_until,
            index,
        )
    )


def apply_mandate_adopt(
    tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context
) -> None:
    adopt_mandate(tx, index, MandateSpec.model_validate(entry.body))


def apply_mandate_repeal(
    tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context
) -> None:
    body = MandateRepeal.model_validate(entry.body)
    found = tx.get_mandate(body.id)
    if found is None:
        raise EntryRejected(f"no mandate {body.id!r}", code="unknown_mandate")
    if found.repealed_idx is not None:
        raise EntryRejected(f"mandate {body.id!r} is already repealed", code="already_repealed")
    tx.put_mandate(replace(found, repealed_idx=index))
