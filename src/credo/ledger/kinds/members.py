"""The consortium's own entries: the genesis, admitting, re-keying and retiring members, and
attesting documents. Everything here is public by design: members are organizations."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, replace
from typing import Annotated, Literal, Protocol

from pydantic import Field

from credo.errors import Conflict, EntryRejected
from credo.ledger.keys import key_id
from credo.ledger.registry import Context
from credo.ledger.schema import (
    ROLES,
    SECTORS,
    Base64Key,
    Body,
    Digest,
    LongText,
    MemberId,
    ShortText,
)
from credo.ledger.text import canonical_name
from credo.ledger.validate import Decoded
from credo.store import MemberRow, WriteTx

NAME_LANGUAGES = ("th", "zh-Hans", "zh-Hant", "en")
"""The languages a member's name may be given in (BCP 47 tags): the portal's languages."""

Contact = Annotated[str, Field(max_length=300)]


class MemberSpec(Body):
    id: MemberId
    name: ShortText
    sector: Literal[SECTORS]  # type: ignore[valid-type]
    public_key: Base64Key
    roles: list[Literal[ROLES]] = Field(min_length=1, max_length=len(ROLES))  # type: ignore[valid-type]
    # What a person reads: the member's name in each of the portal's languages (``name`` is
    # the one of record), and where a person can reach it about their data.
    names: dict[Literal[NAME_LANGUAGES], ShortText] = Field(default_factory=dict)  # type: ignore[valid-type]
    contact: Contact = ""


class MemberProfileParams(Body):
    """A governance update of a member's names and contact point (both replaced whole)."""

    id: MemberId
    names: dict[Literal[NAME_LANGUAGES], ShortText] = Field(default_factory=dict)  # type: ignore[valid-type]
    contact: Contact = ""


PROFILE_META = "member_profile:"
"""The meta key prefix of a member's names and contact point (absent when it has neither)."""


@dataclass(frozen=True, slots=True)
class MemberProfile:
    names: dict[str, str]
    contact: str


class _Meta(Protocol):
    def get_meta(self, key: str) -> str | None: ...


def set_profile(tx: WriteTx, member_id: str, names: dict[str, str], contact: str) -> None:
    """Store a member's names and contact point, public like everything about members."""
    tx.set_meta(PROFILE_META + member_id, json.dumps({"names": names, "contact": contact}))
    tx.bump_state_version()


def member_profile(store: _Meta, member_id: str) -> MemberProfile:
    """A member's names by language and contact point; empty when none were given."""
    raw = store.get_meta(PROFILE_META + member_id)
    if raw is None:
        return MemberProfile({}, "")
    doc = json.loads(raw)
    return MemberProfile(dict(doc.get("names", {})), str(doc.get("contact", "")))


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
    note: LongText = ""


class AttestationRevoke(Body):
    digest: Digest
    reason: ShortText


def genesis_operator(entry: Decoded) -> MemberRow:
    """The operator a genesis entry declares, as the member row it creates."""
    op = Genesis.model_validate(entry.body).operator
    public_key = base64.b64decode(op.public_key)
    kid = key_id(public_key)
    return MemberRow(op.id, op.name, op.sector, tuple(op.roles), public_key, kid, "active", 0)


def apply_genesis(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, _: Context) -> None:
    body = Genesis.model_validate(entry.body)
    tx.put_member(signer)
    tx.set_meta("origin", body.origin)
    tx.set_meta("log_key", body.log_key)
    tx.set_meta("quorum", json.dumps([body.quorum_numerator, body.quorum_denominator]))
    tx.bump_state_version()


def _new_key(tx: WriteTx, b64key: str) -> tuple[bytes, str]:
    public_key = base64.b64decode(b64key)
    kid = key_id(public_key)
    if tx.member_by_key(kid) is not None:
        raise EntryRejected("that public key already belongs to a member", code="key_in_use")
    return public_key, kid


def _active_member(tx: WriteTx, member_id: str) -> MemberRow:
    member = tx.get_member(member_id)
    if member is None:
        raise EntryRejected(f"no member {member_id!r}", code="unknown_member")
    if member.status != "active":
        raise EntryRejected(f"member {member_id!r} is retired", code="member_retired")
    return member


def admit(tx: WriteTx, index: int, spec: MemberSpec) -> None:
    """Admit a member (directly by an admin, or by an adopted governance proposal)."""
    if tx.get_member(spec.id) is not None:
        raise EntryRejected(f"member {spec.id!r} already exists", code="member_exists")
    _refuse_taken_name(tx, spec.name)
    public_key, kid = _new_key(tx, spec.public_key)
    tx.put_member(
        MemberRow(
            spec.id, spec.name, spec.sector, tuple(spec.roles), public_key, kid, "active", index
        )
    )
    if spec.names or spec.contact:
        set_profile(tx, spec.id, dict(spec.names), spec.contact)
    tx.bump_state_version()


def _refuse_taken_name(tx: WriteTx, name: str) -> None:
    """Two members may not share a display name, compared as `canonical_name` gives it (case,
    width and composition aside): people read who looked at their data by name."""
    wanted = canonical_name(name)
    for member in tx.list_members():
        if canonical_name(member.name) == wanted:
            raise EntryRejected(
                f"member {member.id!r} already goes by the name {member.name!r}",
                code="name_taken",
            )


def retire(tx: WriteTx, member_id: str, by: str) -> None:
    """Retire a member: from then on its signatures are refused."""
    member = _active_member(tx, member_id)
    if member.id == by:
        raise EntryRejected("a member cannot retire itself", code="self_retire")
    tx.put_member(replace(member, status="retired"))
    tx.bump_state_version()


def apply_admit(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, _: Context) -> None:
    admit(tx, index, MemberAdmit.model_validate(entry.body))


def apply_rotate_key(
    tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, _: Context
) -> None:
    body = MemberRotateKey.model_validate(entry.body)
    member = _active_member(tx, body.id)
    public_key, kid = _new_key(tx, body.public_key)
    tx.put_member(replace(member, public_key=public_key, key_id=kid))
    tx.bump_state_version()


def apply_retire(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, _: Context) -> None:
    retire(tx, MemberRetire.model_validate(entry.body).id, signer.id)


def apply_issue(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, _: Context) -> None:
    # The hot path of `credo bench log`: the body was validated in a worker, and the insert
    # itself detects a duplicate (no read first); in the sequencer's deferred transactions,
    # at commit (`Store.write`).
    digest = entry.body["digest"]
    try:
        tx.add_attestation(digest, signer.id, index)
    except Conflict as exc:
        raise EntryRejected(f"{digest} is already attested", code="attestation_exists") from exc


def apply_revoke(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, _: Context) -> None:
    body = AttestationRevoke.model_validate(entry.body)
    found = tx.get_attestation(body.digest)
    if found is None:
        raise EntryRejected(f"{body.digest} was never attested", code="unknown_attestation")
    if found.issuer != signer.id:
        raise EntryRejected(
            f"only the issuer {found.issuer!r} may revoke {body.digest}", code="not_issuer"
        )
    if found.revoked_idx is not None:
        raise EntryRejected(f"{body.digest} is already revoked", code="already_revoked")
    tx.revoke_attestation(body.digest, index)
