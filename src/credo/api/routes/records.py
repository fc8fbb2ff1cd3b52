"""Recording facts about people: the vault seals the payload, the member signs the entry.

``POST /v1/records/prepare`` checks the request (category, the member's sector, the type, the
payload and its size, the national id) and only then seals the payload and returns the entry's
exact payload bytes; the member signs them (DSSE) and submits the envelope to
``POST /v1/entries``, so the log holds the member's own signature over the record.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from credo.api.auth import parse_body, require_role
from credo.api.deps import MemberDep, PeopleDep
from credo.api.schemas import signed_body, signed_responses
from credo.ledger.text import NO_CONTROL_LINES
from credo.services.records import Prepared, RecordSpec

router = APIRouter(prefix="/v1/records", tags=["records"])


class PrepareRecord(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "national_id": "ZX-9876-5432",
                    "category": "finance",
                    "type": "loan.repaid",
                    "payload": {"amount": 1200, "on_time": True},
                }
            ]
        },
    )
    national_id: Annotated[str, Field(max_length=64)]
    category: Annotated[str, Field(max_length=32)]
    type: Annotated[str, Field(max_length=64)]
    payload: dict[str, Any]
    effective_at: Annotated[str, Field(max_length=40)] | None = None
    amends: Annotated[str, Field(max_length=32)] | None = None


class PreparedRecord(BaseModel):
    kind: str
    record_id: str | None  # the member's handle on its record; on the log only sealed
    payloadType: str
    payload: str  # base64 of the exact payload bytes to sign
    metadata: str  # the sealed metadata's plaintext; SHA-256 of "credo-meta-v1\0" + it = commitment


@router.post(
    "/prepare",
    openapi_extra=signed_body(PrepareRecord),
    responses=signed_responses(
        403,
        404,
        409,
        422,
        notes={
            400: "malformed body, payload, national id, time or record id",
            403: "the member lacks the recorder role, or amends another member's record",
            404: "the record it amends does not exist (unknown_record)",
            409: "the record it amends is no longer active (record_not_active)",
            413: "the body is over 64 KiB, or the payload over 16 KiB",
            422: "unknown category or type, or the sector may not record it",
        },
    ),
)
def prepare(who: MemberDep, people: PeopleDep) -> PreparedRecord:
    """Seal a record's payload in the vault and return the entry for the member to sign."""
    require_role(who, "recorder")
    req = parse_body(PrepareRecord, who.body)
    prepared = people.records.prepare(
        who.member.id,
        req.national_id,
        req.category,
        req.type,
        req.payload,
        req.effective_at,
        req.amends,
    )
    return _answer(prepared)


MAX_PREPARE_BATCH = 1000
"""Records per ``POST /v1/records/prepare-batch`` (its body may be up to 4 MiB)."""


class NewRecord(BaseModel):
    """One new record in a batch: `PrepareRecord` without ``amends``."""

    model_config = ConfigDict(extra="forbid")
    national_id: Annotated[str, Field(max_length=64)]
    category: Annotated[str, Field(max_length=32)]
    type: Annotated[str, Field(max_length=64)]
    payload: dict[str, Any]
    effective_at: Annotated[str, Field(max_length=40)] | None = None


class PrepareBatch(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "records": [
                        {
                            "national_id": "ZX-9876-5432",
                            "category": "finance",
                            "type": "loan.repaid",
                            "payload": {"amount": 1200, "on_time": True},
                        }
                    ]
                }
            ]
        },
    )
    records: Annotated[list[NewRecord], Field(min_length=1, max_length=MAX_PREPARE_BATCH)]


class PreparedBatch(BaseModel):
    entries: list[PreparedRecord]  # in the order asked, one for each record


@router.post(
    "/prepare-batch",
    openapi_extra=signed_body(PrepareBatch),
    responses=signed_responses(
        403,
        422,
        notes={
            400: "malformed body, payload, national id or time (in any record)",
            403: "the member lacks the recorder role",
            413: "the body is over 4 MiB, or a payload over 16 KiB",
            422: "unknown category or type, or the sector may not record it (in any record)",
        },
    ),
)
def prepare_batch(who: MemberDep, people: PeopleDep) -> PreparedBatch:
    """`prepare` for up to 1,000 new records in one call: every record is checked before
    any is sealed, and all are sealed in one vault transaction (all or none). The answer is
    the same shape whether each person is known or not."""
    require_role(who, "recorder")
    req = parse_body(PrepareBatch, who.body)
    specs = [
        RecordSpec(who.member.id, r.national_id, r.category, r.type, r.payload, r.effective_at)
        for r in req.records
    ]
    return PreparedBatch(entries=[_answer(p) for p in people.records.prepare_many(specs)])


def _answer(prepared: Prepared) -> PreparedRecord:
    return PreparedRecord(
        kind=prepared.kind,
        record_id=prepared.record_id,
        payloadType=prepared.payload_type,
        payload=base64.b64encode(prepared.payload).decode(),
        metadata=prepared.metadata.decode(),
    )


HEX32 = r"^[0-9a-f]{32}$"


class PrepareRetraction(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"record_id": "0123456789abcdef0123456789abcdef", "reason": "wrong"}]
        },
    )
    record_id: Annotated[str, Field(pattern=HEX32)]
    reason: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]


class PrepareAnswer(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "0123456789abcdef0123456789abcdef",
                    "outcome": "upheld",
                    "evidence": "contract 42, signed 2025-03-01",
                }
            ]
        },
    )
    id: Annotated[str, Field(pattern=HEX32)]
    outcome: Literal["upheld", "amended", "retracted"]
    evidence: Annotated[str, Field(min_length=1, max_length=500, pattern=NO_CONTROL_LINES)]


_MEMBER_PREPARED = signed_responses(
    403,
    404,
    notes={
        400: "malformed body",
        403: "the member lacks the recorder role",
        404: "no such record (or dispute) of this member (unknown_record)",
    },
)


@router.post(
    "/prepare-retraction", openapi_extra=signed_body(PrepareRetraction), responses=_MEMBER_PREPARED
)
def prepare_retraction(who: MemberDep, people: PeopleDep) -> PreparedRecord:
    """Seal the retraction of one of the member's records and return the entry to sign."""
    require_role(who, "recorder")
    req = parse_body(PrepareRetraction, who.body)
    return _answer(people.records.prepare_entry(who.member.id, "record.retract", req.model_dump()))


@router.post(
    "/prepare-answer", openapi_extra=signed_body(PrepareAnswer), responses=_MEMBER_PREPARED
)
def prepare_answer(who: MemberDep, people: PeopleDep) -> PreparedRecord:
    """Seal the member's answer to a dispute about one of its records; return the entry."""
    require_role(who, "recorder")
    req = parse_body(PrepareAnswer, who.body)
    return _answer(people.records.prepare_entry(who.member.id, "dispute.answer", req.model_dump()))
