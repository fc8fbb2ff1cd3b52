"""People's portal accounts, as members see them: a registrar issues a person's one-time
enrolment or recovery code, with which the person registers a passkey on the portal
(`credo.services.accounts`); each issue is an ``account.code`` entry the person sees.

The national id arrives in the signed body, is mapped to the person's subject ref by the
vault, and goes no further; the code is answered once, never stored in clear, never cached.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from credo.api.auth import parse_body, require_role
from credo.api.deps import AccountsDep, MemberDep, PeopleDep
from credo.api.schemas import signed_body, signed_responses
from credo.services.ratelimit import Limits

router = APIRouter(prefix="/v1/people", tags=["people"])


class InvitationRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"national_id": "ZX-9876-5432"}]}
    )
    national_id: Annotated[str, Field(max_length=64)]
    kind: Literal["enrolment", "recovery"] = Field(
        default="enrolment",
        description="enrolment: a first passkey, or another one that waits out the cooling-off "
        "unless the person approves it; recovery (after proofing the person in person): the "
        "passkey replaces every other once the cooling-off ends, unless the person objects",
    )


class Invitation(BaseModel):
    code: str = Field(
        description="The one-time enrolment code to hand the person (base32 Crockford, "
        "e.g. K7QF-M2XD-9RTA); their earlier unused codes stop working"
    )
    expires_at: str = Field(description="RFC 3339 UTC; the code is refused after it")
    kind: str = Field(description="enrolment or recovery")
    log_index: int | None = Field(
        description="The account.code entry that tells the person who issued it, and when"
    )


@router.post(
    "/invitations",
    status_code=201,
    openapi_extra=signed_body(InvitationRequest),
    responses=signed_responses(
        403,
        notes={
            400: "malformed body or national id",
            403: "the member lacks the registrar role (role_not_allowed)",
            429: "too many codes from this registrar (60 an hour) or for this person "
            "(3 a day): too_many_attempts, with Retry-After",
        },
    ),
)
def invite(
    request: Request, response: Response, who: MemberDep, people: PeopleDep, accounts: AccountsDep
) -> Invitation:
    """Issue a person's one-time enrolment (or recovery) code for the portal (registrars
    only; at most 60 an hour per registrar and 3 a day per person). The issue is logged
    first, as a personal entry naming this member, which the person sees in their portal and
    export. The work done is the same whether or not credo knows the national id."""
    require_role(who, "registrar")
    req = parse_body(InvitationRequest, who.body)
    limits: Limits = request.app.state.limits
    limits.invites_per_registrar.hit(who.member.id)
    subject = people.enrolment_subject(req.national_id)
    limits.invites_per_person.hit(subject)
    issued = accounts.issue(people, subject, who.member.id, req.kind)
    response.headers["Cache-Control"] = "no-store"
    return Invitation(
        code=issued.code,
        expires_at=issued.expires_at,
        kind=issued.kind,
        log_index=issued.log_index,
    )
