"""Benefits: a provider asks whether a person is eligible and learns yes or no, nothing more.

The question is written to the log (an access the person sees) before it is answered. Only
the benefit's own provider may ask, and only the benefit's own context is looked at; someone
who has not enrolled is simply "no" (not enrolling costs nothing, and reveals nothing).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from credo.api.auth import parse_body
from credo.api.deps import MemberDep, PeopleDep
from credo.api.problems import problem
from credo.api.schemas import signed_body, signed_responses
from credo.errors import PermissionDenied
from credo.services import scores as service
from credo.services.programme import Programme

router = APIRouter(prefix="/v1/benefits", tags=["benefits"])


class EligibilityRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"national_id": "ZX-9876-5432"}]}
    )
    national_id: Annotated[str, Field(max_length=64)]


class Eligibility(BaseModel):
    benefit: str
    eligible: bool
    access_index: int


@router.post(
    "/{benefit_id}/eligibility",
    openapi_extra=signed_body(EligibilityRequest),
    responses={
        200: {"model": Eligibility, "description": "the answer (the question is logged)"},
        **signed_responses(
            403,
            404,
            409,
            422,
            notes={
                403: "not this benefit's provider (the question is logged), or no such benefit in "
                "the rules in force (unknown_benefit)",
                404: "no rules document has been adopted yet (no_rules)",
                409: "the log refused the question's entry on a conflict; retry",
                422: "the benefit id is over 64 characters, or the log refused the entry",
            },
        ),
    },
)
def eligibility(
    who: MemberDep,
    people: PeopleDep,
    benefit_id: str = Path(max_length=64, examples=["bike-deposit-free"]),
) -> Response:
    """Is this person eligible for the benefit? Yes or no; never the score or the records."""
    req = parse_body(EligibilityRequest, who.body)
    rules, _ = service.rules_in_force(people.store)
    benefit = next((b for b in rules.benefits if b.id == benefit_id), None)
    if benefit is None:
        raise PermissionDenied(
            f"no benefit {benefit_id!r} in the rules in force", code="unknown_benefit"
        )
    ref = people.known(req.national_id)
    prog = Programme(people)
    if benefit.provider != who.member.id:
        index = prog.log_benefit_check(
            who.member.id,
            ref,
            benefit.id,
            benefit.context,
            False,
            "not_provider",
            who.request_digest,
        )
        return problem(
            403,
            "not_provider",
            f"only {benefit.provider!r} may ask about {benefit.id!r}; the question is on the "
            f"log at index {index}",
            access_index=index,
        )
    now = int(people.clock())
    eligible = ref is not None and service.is_eligible(people.store, ref, benefit.id, now)
    index = prog.log_benefit_check(
        who.member.id, ref, benefit.id, benefit.context, True, "ok", who.request_digest
    )
    answer = Eligibility(benefit=benefit.id, eligible=eligible, access_index=index)
    return JSONResponse(answer.model_dump(mode="json"))
