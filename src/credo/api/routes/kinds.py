"""The entry kinds this log accepts: what a member needs to build and sign an entry."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from credo.api.deps import LedgerDep
from credo.api.problems import problem_responses
from credo.errors import NotFound
from credo.ledger import Kind, Registry
from credo.ledger.dsse import payload_type_for

router = APIRouter(prefix="/v1/kinds", tags=["kinds"])

EXAMPLE_AT = "2026-01-31T12:00:00Z"


class KindDescription(BaseModel):
    kind: str
    payload_type: str = Field(description="The DSSE payloadType of an entry of this kind.")
    summary: str
    roles: list[str] = Field(description="Any one of these roles lets a member sign it.")
    payload_schema: dict[str, Any] = Field(
        description="JSON Schema of the whole payload: v, kind, by, at and the body."
    )
    example: dict[str, Any] = Field(description="A valid payload of this kind.")
    sealed_schema: dict[str, Any] | None = Field(
        None,
        description="A personal kind's sealed metadata (JSON Schema): what the vault seals "
        "under the person's key; null for the consortium's own kinds, which are in clear.",
    )
    sealed_example: dict[str, Any] | None = Field(
        None, description="Valid sealed metadata of this kind (the vault adds the salt)."
    )


class KindSummary(BaseModel):
    kind: str
    payload_type: str
    summary: str
    roles: list[str]


def _describe(kinds: Registry, kind: Kind) -> KindDescription:
    return KindDescription(
        kind=kind.name,
        payload_type=payload_type_for(kind.name),
        summary=kind.summary,
        roles=sorted(kind.roles),
        payload_schema=kinds.payload_schema(kind.name),
        example={
            "v": 1,
            "kind": kind.name,
            "by": "first-bank",
            "at": EXAMPLE_AT,
            "body": kind.example,
        },
        sealed_schema=None if kind.sealed is None else kind.sealed.model_json_schema(),
        sealed_example=kind.sealed_example,
    )


@router.get("", responses=problem_responses())
async def list_kinds(ledger: LedgerDep) -> list[KindSummary]:
    """Every entry kind the log accepts; anything else is refused before sequencing."""
    return [
        KindSummary(
            kind=k.name,
            payload_type=payload_type_for(k.name),
            summary=k.summary,
            roles=sorted(k.roles),
        )
        for k in ledger.kinds
    ]


@router.get("/{kind}", responses=problem_responses(404, notes={404: "no such kind (unknown_kind)"}))
async def get_kind(kind: str, ledger: LedgerDep) -> KindDescription:
    """One kind: its payload's JSON Schema, the roles that may sign it, and an example."""
    if kind not in ledger.kinds:
        raise NotFound(f"no entry kind {kind!r}; GET /v1/kinds lists them", code="unknown_kind")
    return _describe(ledger.kinds, ledger.kinds.get(kind))
