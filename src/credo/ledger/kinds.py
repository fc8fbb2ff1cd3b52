"""The closed, versioned set of entry kinds: one schema each, and the roles that may sign it.

A payload is ``{"v": 1, "kind": ..., "by": member id, "at": RFC 3339 UTC, "body": {...}}``
(DESIGN.md, Entries). Adding a kind means adding its body model here and its state
transition in `credo.ledger.state`; anything not listed is refused before sequencing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from credo.errors import EntryRejected

MEMBER_ID = r"^[a-z0-9][a-z0-9-]{1,39}$"
_RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")

SECTORS = (
    "operator",
    "government",
    "bank",
    "hospital",
    "university",
    "utility",
    "transport",
    "company",
    "civil_society",
)
ROLES = ("admin", "issuer", "recorder", "reader", "witness", "voter", "provider")


def _utc_timestamp(value: str) -> str:
    if not _RFC3339_UTC.match(value):
        raise ValueError("must be an RFC 3339 UTC timestamp like 2026-11-23T16:00:00Z")
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


Timestamp = Annotated[str, AfterValidator(_utc_timestamp)]
MemberId = Annotated[str, Field(pattern=MEMBER_ID)]
Base64Key = Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]{43}=$")]
Digest = Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class MemberSpec(_Body):
    id: MemberId
    name: ShortText
    sector: Literal[SECTORS]  # type: ignore[valid-type]
    public_key: Base64Key
    roles: list[Literal[ROLES]] = Field(min_length=1, max_length=len(ROLES))  # type: ignore[valid-type]


class Genesis(_Body):
    origin: ShortText
    log_key: Annotated[str, Field(min_length=10, max_length=300)]
    operator: MemberSpec
    quorum_numerator: int = Field(default=2, ge=1)
    quorum_denominator: int = Field(default=3, ge=1)


class MemberAdmit(MemberSpec):
    pass


class MemberRotateKey(_Body):
    id: MemberId
    public_key: Base64Key


class MemberRetire(_Body):
    id: MemberId
    reason: ShortText


class AttestationIssue(_Body):
    digest: Digest
    doc_type: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.-]{1,63}$")]
    note: Annotated[str, Field(max_length=500)] = ""


class AttestationRevoke(_Body):
    digest: Digest
    reason: ShortText


BODIES: dict[str, type[_Body]] = {
    "genesis": Genesis,
    "member.admit": MemberAdmit,
    "member.rotate_key": MemberRotateKey,
    "member.retire": MemberRetire,
    "attestation.issue": AttestationIssue,
    "attestation.revoke": AttestationRevoke,
}

# The roles allowed to sign each kind (any one suffices). Genesis is signed by the operator
# it declares; a member may always rotate its own key (checked in credo.ledger.state).
KIND_ROLES: dict[str, frozenset[str]] = {
    "genesis": frozenset(),
    "member.admit": frozenset({"admin"}),
    "member.rotate_key": frozenset({"admin"}),
    "member.retire": frozenset({"admin"}),
    "attestation.issue": frozenset({"issuer"}),
    "attestation.revoke": frozenset({"issuer"}),
}


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    v: Literal[1]
    kind: str
    by: MemberId
    at: Timestamp
    body: dict[str, Any]


def parse_payload(obj: Any, expected_kind: str) -> tuple[Payload, _Body]:
    """Validate a decoded payload against its kind's schema; refuse unknown kinds."""
    if expected_kind not in BODIES:
        raise EntryRejected(f"unknown entry kind {expected_kind!r}", code="unknown_kind")
    try:
        payload = Payload.model_validate(obj)
    except ValidationError as exc:
        raise EntryRejected(f"payload: {_first_error(exc)}", code="schema") from exc
    if payload.kind != expected_kind:
        raise EntryRejected(
            f"payload kind {payload.kind!r} does not match payloadType kind {expected_kind!r}",
            code="schema",
        )
    try:
        body = BODIES[expected_kind].model_validate(payload.body)
    except ValidationError as exc:
        raise EntryRejected(f"{expected_kind} body: {_first_error(exc)}", code="schema") from exc
    return payload, body


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "(root)"
    return f"{where}: {err['msg']}"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
