"""The programme's rules: the document in force, its history, and the published JSON Schema."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from credo.api.deps import StoreDep
from credo.api.problems import problem_responses
from credo.errors import NotFound
from credo.scoring import rules_schema

router = APIRouter(prefix="/v1/rules", tags=["rules"])


class AdoptedRules(BaseModel):
    hash: str
    adopted_at_index: int
    proposal: str
    document: str


class RulesHistory(BaseModel):
    current: AdoptedRules
    history: list[AdoptedRules]


@router.get(
    "",
    responses=problem_responses(404, 503, notes={404: "no rules adopted yet (no_rules)"}),
)
def current_rules(store: StoreDep) -> RulesHistory:
    """The rules in force (the last adopted on the log) and every earlier adoption."""
    history = [
        AdoptedRules(
            hash=r.hash,
            adopted_at_index=r.adopted_idx,
            proposal=r.proposal_id,
            document=r.document.decode(),
        )
        for r in store.rules_history()
    ]
    if not history:
        raise NotFound("no rules document has been adopted yet", code="no_rules")
    return RulesHistory(current=history[-1], history=history)


@router.get("/schema")
def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every rules document must satisfy."""
    return rules_schema()
