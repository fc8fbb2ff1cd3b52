"""Document attestations: was this document issued, by whom, and is it still valid?"""

from __future__ import annotations

import base64
import re
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel

from credo.api.deps import LedgerDep, StoreDep
from credo.api.problems import problem_responses
from credo.errors import InputError, NotFound
from credo.ledger import Registry, proofs
from credo.ledger.replay import decode_stored
from credo.ledger.validate import Decoded

router = APIRouter(prefix="/v1/attestations", tags=["attestations"])

_DIGEST = re.compile(r"^(sha256:)?([0-9a-f]{64})$")
# What `_DIGEST` accepts after lowercasing, for the description (the route answers the rest 400).
Digest = Annotated[
    str,
    Path(
        description="the document's SHA-256, 64 hex characters, optionally prefixed sha256:",
        json_schema_extra={"pattern": "^([sS][hH][aA]256:)?[0-9a-fA-F]{64}$"},
    ),
]


class LoggedEntry(BaseModel):
    index: int
    entry: str
    proof: list[str]


class Attestation(BaseModel):
    digest: str
    status: Literal["valid", "revoked"]
    issuer: str
    doc_type: str
    issued_at: str
    revoked_at: str | None
    revoke_reason: str | None
    size: int
    checkpoint: str
    issued: LoggedEntry
    revoked: LoggedEntry | None


def _logged(store: StoreDep, kinds: Registry, index: int, size: int) -> tuple[LoggedEntry, Decoded]:
    """The entry at ``index`` with its inclusion proof, and what it says."""
    found = proofs.entry_with_proof(store, index, size)
    logged = LoggedEntry(
        index=index,
        entry=base64.b64encode(found.entry).decode(),
        proof=[base64.b64encode(h).decode() for h in found.proof],
    )
    return logged, decode_stored(index, found.entry, kinds)


@router.get(
    "/{digest}",
    responses=problem_responses(
        400,
        404,
        503,
        notes={
            400: "not a SHA-256 digest (bad_digest)",
            404: "no attestation of the document in the published log (not_attested), or no "
            "checkpoint yet (no_checkpoint)",
        },
    ),
)
def get_attestation(digest: Digest, store: StoreDep, ledger: LedgerDep) -> Attestation:
    """The attestation of a document by its SHA-256 digest, with inclusion proofs of the
    issuing (and, if any, revoking) entries in the latest checkpoint."""
    m = _DIGEST.match(digest.lower())
    if m is None:
        raise InputError(
            "digest must be 64 hex characters, optionally prefixed sha256:", code="bad_digest"
        )
    key = f"sha256:{m.group(2)}"
    published = proofs.latest(store)
    row = store.get_attestation(key)
    size = published.checkpoint.size
    if row is None or row.issued_idx >= size:
        raise NotFound(f"no attestation of {key}", code="not_attested")
    issued, issue = _logged(store, ledger.kinds, row.issued_idx, size)
    revoked, revoke = None, None
    if row.revoked_idx is not None and row.revoked_idx < size:
        revoked, revoke = _logged(store, ledger.kinds, row.revoked_idx, size)
    return Attestation(
        digest=key,
        status="valid" if revoked is None else "revoked",
        issuer=row.issuer,
        doc_type=issue.body["doc_type"],
        issued_at=issue.at,
        revoked_at=None if revoke is None else revoke.at,
        revoke_reason=None if revoke is None else revoke.body["reason"],
        size=size,
        checkpoint=published.note.decode(),
        issued=issued,
        revoked=revoked,
    )
