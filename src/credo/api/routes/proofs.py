"""RFC 9162 proofs as JSON, for clients that do not read tiles."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Query
from pydantic import BaseModel

from credo.api.deps import StoreDep
from credo.api.problems import problem_responses
from credo.ledger import proofs

router = APIRouter(prefix="/v1/proofs", tags=["proofs"])


class InclusionProof(BaseModel):
    index: int
    size: int
    proof: list[str]


class ConsistencyProof(BaseModel):
    old_size: int
    new_size: int
    proof: list[str]


def b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


_PROOF_PROBLEMS = problem_responses(
    400,
    404,
    422,
    503,
    notes={
        400: "a size or index outside the published tree (bad_size, bad_index)",
        404: "the log has no checkpoint yet (no_checkpoint)",
        422: "a parameter missing, not an integer, or below its minimum",
    },
)


@router.get(
    "/inclusion",
    responses=_PROOF_PROBLEMS,
)
def inclusion(store: StoreDep, index: int = Query(ge=0), size: int = Query(ge=1)) -> InclusionProof:
    """Inclusion proof of leaf ``index`` in the tree of ``size`` (RFC 9162 section 2.1.3)."""
    return InclusionProof(
        index=index, size=size, proof=b64(proofs.prove_inclusion(store, index, size))
    )


@router.get(
    "/consistency",
    responses=_PROOF_PROBLEMS,
)
def consistency(
    store: StoreDep, old: int = Query(ge=1), new: int = Query(ge=1)
) -> ConsistencyProof:
    """Consistency proof between tree sizes ``old`` and ``new`` (RFC 9162 section 2.1.4)."""
    proof = proofs.prove_consistency(store, old, new)
    return ConsistencyProof(old_size=old, new_size=new, proof=b64(proof))
