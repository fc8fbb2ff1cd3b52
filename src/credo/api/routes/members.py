"""The consortium's members, as the log says they are."""

from __future__ import annotations

import base64

from fastapi import APIRouter
from pydantic import BaseModel

from credo.api.deps import StoreDep
from credo.api.problems import problem_responses
from credo.errors import NotFound
from credo.store import MemberRow

router = APIRouter(prefix="/v1/members", tags=["members"])


class Member(BaseModel):
    id: str
    name: str
    sector: str
    roles: list[str]
    public_key: str
    key_id: str
    status: str
    admitted_index: int


def _member(row: MemberRow) -> Member:
    return Member(
        id=row.id,
        name=row.name,
        sector=row.sector,
        roles=list(row.roles),
        public_key=base64.b64encode(row.public_key).decode(),
        key_id=row.key_id,
        status=row.status,
        admitted_index=row.admitted_idx,
    )


@router.get("", responses=problem_responses(503))
def list_members(store: StoreDep) -> list[Member]:
    return [_member(m) for m in store.list_members()]


@router.get(
    "/{member_id}",
    responses=problem_responses(404, 503, notes={404: "no such member (unknown_member)"}),
)
def get_member(member_id: str, store: StoreDep) -> Member:
    row = store.get_member(member_id)
    if row is None:
        raise NotFound(f"no member {member_id!r}", code="unknown_member")
    return _member(row)
