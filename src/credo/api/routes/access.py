"""Reading a person's records: under a named purpose and legal basis, always logged.

Every authenticated, well-formed read becomes an ``access.read`` entry on the log, granted or
refused, before any payload is decrypted; a refusal is a 403 problem whose ``code`` says why
and whose ``access_index`` points at the entry the person will see in their export.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from credo.api.auth import parse_body
from credo.api.deps import MemberDep, PeopleDep
from credo.api.problems import problem
from credo.api.schemas import signed_body, signed_responses
from credo.services.reads import ReadRequest

router = APIRouter(prefix="/v1/access", tags=["access"])


class BasisIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["consent", "mandate"]
    id: Annotated[str, Field(max_length=64)]


class AccessRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "national_id": "ZX-9876-5432",
                    "purpose": "credit_assessment",
                    "basis": {"type": "consent", "id": "0123456789abcdef0123456789abcdef"},
                    "categories": ["finance"],
                }
            ]
        },
    )
    national_id: Annotated[str, Field(max_length=64)]
    purpose: Annotated[str, Field(max_length=40)]
    basis: BasisIn
    categories: Annotated[
        list[Annotated[str, Field(max_length=32)]], Field(min_length=1, max_length=16)
    ]


class RecordOut(BaseModel):
    record_id: str
    category: str
    type: str
    effective_at: str
    member: str
    status: str
    put_index: int
    updated_index: int
    commitment: str
    payload: dict[str, Any] | None
    payload_error: str | None = None


class AccessResponse(BaseModel):
    access_index: int
    outcome: Literal["granted"]
    purpose: str
    categories_granted: list[str]
    records: list[RecordOut]
    truncated: bool


@router.post(
    "",
    openapi_extra=signed_body(AccessRequest),
    responses={
        200: {"model": AccessResponse, "description": "granted (and logged)"},
        **signed_responses(
            403,
            409,
            422,
            notes={
                403: "refused: by role (nothing logged), or by the ledger (logged: the problem's "
                "code says why and its access_index where the refusal is on the log)",
                409: "the person's data kept changing during the read (retry)",
                422: "malformed: unknown purpose or category (nothing logged)",
            },
        ),
    },
)
def read(who: MemberDep, people: PeopleDep) -> Response:
    """Read a person's records under a purpose and a basis (consent or mandate)."""
    req = parse_body(AccessRequest, who.body)
    result = people.reads.read(
        ReadRequest(
            who.member.id,
            req.national_id,
            req.purpose,
            (req.basis.type, req.basis.id),
            tuple(req.categories),
            who.request_digest,
        )
    )
    if not result.decision.granted:
        return problem(
            403,
            result.decision.reason,
            f"read refused ({result.decision.reason}); the refusal is on the log at index "
            f"{result.index}",
            access_index=result.index,
        )
    body = AccessResponse(
        access_index=result.index,
        outcome="granted",
        purpose=req.purpose,
        categories_granted=list(result.decision.granted),
        records=[RecordOut(**r.to_json()) for r in result.records],
        truncated=result.truncated,
    )
    return JSONResponse(body.model_dump(mode="json"))
