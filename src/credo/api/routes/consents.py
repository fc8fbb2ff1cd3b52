"""Consent artefacts, written by the consent manager (an admin member, the operator's portal
acting on the person's instruction) and signed on the log by the operator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from credo.api.auth import parse_body, require_role
from credo.api.deps import MemberDep, PeopleDep
from credo.api.schemas import signed_body

router = APIRouter(prefix="/v1/consents", tags=["consents"])


class GrantRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
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


@router.post("", status_code=201, openapi_extra=signed_body(GrantRequest))
def grant(who: MemberDep, people: PeopleDep) -> Granted:
    """Record a person's consent for one member, purpose, categories and validity window."""
    require_role(who, "admin")
    req = parse_body(GrantRequest, who.body)
    consent_id, index = people.grant_consent(
        req.national_id, req.member, req.purpose, req.categories, req.valid_until, req.valid_from
    )
    return Granted(consent_id=consent_id, index=index)


@router.post("/{consent_id}/revoke", openapi_extra=signed_body(RevokeRequest))
def revoke(consent_id: str, who: MemberDep, people: PeopleDep) -> Revoked:
    """Revoke a consent: every later read under it is refused."""
    require_role(who, "admin")
    req = parse_body(RevokeRequest, who.body or b"{}")
    return Revoked(consent_id=consent_id, index=people.revoke_consent(consent_id, req.reason))
