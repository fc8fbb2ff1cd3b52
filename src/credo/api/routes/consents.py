"""Consent artefacts, written by the consent manager (an admin member, the operator's portal
acting on the person's instruction) and signed on the log by the operator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from credo.api.auth import parse_body, require_role
from credo.api.deps import MemberDep, PeopleDep
from credo.api.schemas import signed_body, signed_responses

router = APIRouter(prefix="/v1/consents", tags=["consents"])


# A consent id as the service accepts it, for the description (it answers the rest 400).
ConsentId = Annotated[
    str,
    Path(
        description="32 lowercase hex characters",
        json_schema_extra={"pattern": "^[0-9a-f]{32}$"},
    ),
]


class GrantRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "national_id": "ZX-9876-5432",
                    "member": "bank",
                    "purpose": "credit_assessment",
                    "categories": ["finance"],
                    "valid_until": "2099-01-01T00:00:00Z",
                }
            ]
        },
    )
    national_id: Annotated[str, Field(max_length=64)]
    member: Annotated[str, Field(max_length=40)]
    purpose: Annotated[str, Field(max_length=40)]
    categories: Annotated[
        list[Annotated[str, Field(max_length=32)]], Field(min_length=1, max_length=16)
    ]
    valid_from: Annotated[str, Field(max_length=40)] | None = None
    valid_until: Annotated[str, Field(max_length=40)]


class RevokeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")] = "revoked_by_person"


class Granted(BaseModel):
    consent_id: str
    index: int


class Revoked(BaseModel):
    consent_id: str
    index: int


@router.post(
    "",
    status_code=201,
    openapi_extra=signed_body(GrantRequest),
    responses=signed_responses(
        403,
        409,
        422,
        notes={
            403: "the member is not the consent manager (role_not_allowed)",
            409: "the log refused the consent on a conflict; retry",
            422: "unknown member, purpose or category, or a bad validity window",
        },
    ),
)
def grant(who: MemberDep, people: PeopleDep) -> Granted:
    """Record a person's consent for one member, purpose, categories and validity window."""
    require_role(who, "admin")
    req = parse_body(GrantRequest, who.body)
    consent_id, index = people.consents.grant(
        req.national_id, req.member, req.purpose, req.categories, req.valid_until, req.valid_from
    )
    return Granted(consent_id=consent_id, index=index)


@router.post(
    "/{consent_id}/revoke",
    openapi_extra=signed_body(RevokeRequest, required=False),
    responses=signed_responses(
        403,
        404,
        409,
        422,
        notes={
            400: "malformed body, or the consent id is not 32 lowercase hex (bad_consent_id)",
            403: "the member is not the consent manager (role_not_allowed)",
            404: "no such consent (unknown_consent)",
            409: "the log refused the revocation on a conflict; retry",
            422: "the log refused the revocation (already revoked, for one)",
        },
    ),
)
def revoke(consent_id: ConsentId, who: MemberDep, people: PeopleDep) -> Revoked:
    """Revoke a consent: every later read under it is refused."""
    require_role(who, "admin")
    req = parse_body(RevokeRequest, who.body or b"{}")
    return Revoked(consent_id=consent_id, index=people.consents.revoke(consent_id, req.reason))
