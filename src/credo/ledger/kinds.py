"""The closed, versioned set of entry kinds: one schema each, and the roles that may sign it.

A payload is ``{"v": 1, "kind": ..., "by": member id, "at": RFC 3339 UTC, "body": {...}}``
(DESIGN.md, Entries). Adding a kind means adding its body model here and its state
transition in `credo.ledger.state`; anything not listed is refused before sequencing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from credo.errors import EntryRejected

MEMBER_ID = r"^[a-z0-9][a-z0-9-]{1,39}$"
# RFC 3339 in UTC ("Z"), checked by pydantic-core's regex engine: a Python validator per
# entry would cost more than the rest of the schema check on the submission hot path.
RFC3339_UTC = (
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?Z$"
)

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


Timestamp = Annotated[str, Field(pattern=RFC3339_UTC)]
MemberId = Annotated[str, Field(pattern=MEMBER_ID)]
Base64Key = Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]{43}=$")]
Digest = Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]


class Body(BaseModel):
    """Base of every kind's body: strict, frozen, no unknown fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class MemberSpec(Body):
    id: MemberId
    name: ShortText
    sector: Literal[SECTORS]  # type: ignore[valid-type]
    public_key: Base64Key
    roles: list[Literal[ROLES]] = Field(min_length=1, max_length=len(ROLES))  # type: ignore[valid-type]


class Genesis(Body):
    origin: ShortText
    log_key: Annotated[str, Field(min_length=10, max_length=300)]
    operator: MemberSpec
    quorum_numerator: int = Field(default=2, ge=1)
    quorum_denominator: int = Field(default=3, ge=1)


class MemberAdmit(MemberSpec):
    pass


class MemberRotateKey(Body):
    id: MemberId
    public_key: Base64Key


class MemberRetire(Body):
    id: MemberId
    reason: ShortText


class AttestationIssue(Body):
    digest: Digest
    doc_type: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.-]{1,63}$")]
    note: Annotated[str, Field(max_length=500)] = ""


class AttestationRevoke(Body):
    digest: Digest
    reason: ShortText


BODIES: dict[str, type[Body]] = {
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
    """The common envelope of every payload; `PAYLOADS` holds one subclass per kind."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    v: Literal[1]
    kind: str
    by: MemberId
    at: Timestamp
    body: Body


def _payload_model(kind: str, body: type[Body]) -> type[Payload]:
    fields: dict[str, Any] = {"kind": (Literal[kind], ...), "body": (body, ...)}
    model: type[Payload] = create_model(f"Payload[{kind}]", __base__=Payload, **fields)
    return model


PAYLOADS: dict[str, type[Payload]] = {k: _payload_model(k, b) for k, b in BODIES.items()}


def register_kind(kind: str, body: type[Body], roles: frozenset[str]) -> None:
    """Add a kind to the closed set (domain modules call this once, at import)."""
    if kind in BODIES:
        raise ValueError(f"entry kind {kind!r} is already registered")
    BODIES[kind] = body
    KIND_ROLES[kind] = roles
    PAYLOADS[kind] = _payload_model(kind, body)


def parse_payload(data: bytes, expected_kind: str) -> Payload:
    """Parse and validate a payload's JSON against its kind's schema in one pass (pydantic-core
    parses and validates together, about twice as fast as json.loads then validation, and this
    runs once per submitted entry); refuse unknown kinds."""
    model = PAYLOADS.get(expected_kind)
    if model is None:
        raise EntryRejected(f"unknown entry kind {expected_kind!r}", code="unknown_kind")
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        bad_json = exc.errors()[0]["type"] == "json_invalid"
        raise EntryRejected(
            f"{expected_kind} payload: {_first_error(exc)}",
            code="bad_json" if bad_json else "schema",
        ) from exc


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "(root)"
    return f"{where}: {err['msg']}"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
