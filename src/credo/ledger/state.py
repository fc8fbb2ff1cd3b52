"""The ledger's state machine: the checks that depend on an entry's position, and the derived
state each entry produces. The sequencer, `credo rebuild` and `credo verify` all go through
`apply`, so replaying the log from entry 0 reproduces exactly the state the sequencer built.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import replace

from credo.errors import Conflict, EntryRejected
from credo.ledger.keys import key_id
from credo.ledger.kinds import (
    KIND_ROLES,
    AttestationRevoke,
    Genesis,
    MemberAdmit,
    MemberRetire,
    MemberRotateKey,
    MemberSpec,
)
from credo.ledger.validate import Decoded, verify_ed25519
from credo.store.base import MemberRow, WriteTx

Handler = Callable[[WriteTx, int, Decoded, MemberRow], None]


def apply(tx: WriteTx, index: int, entry: Decoded) -> None:
    """Check ``entry`` against the state before position ``index`` and write its effects.

    Every check runs before the first write, so a refused entry leaves nothing behind.
    """
    if entry.kind == "genesis":
        _apply_genesis(tx, index, entry)
        return
    if index == 0:
        raise EntryRejected("the first entry of a log must be its genesis", code="no_genesis")
    signer = _check_signer(tx, entry)
    _HANDLERS[entry.kind](tx, index, entry, signer)


def _check_signatures(entry: Decoded, keys: dict[str, bytes]) -> None:
    """Every signature must come from a known key and verify (workers did the ones they knew)."""
    for kid in entry.key_ids:
        if kid not in keys:
            raise EntryRejected(f"signature by unknown key {kid}", code="unknown_signer")
    if entry.unverified:
        message = entry.pae()
        for kid, sig in entry.unverified:
            verify_ed25519(keys[kid], message, sig)


def _check_signer(tx: WriteTx, entry: Decoded) -> MemberRow:
    signer = tx.get_member(entry.by)
    if signer is None:
        raise EntryRejected(f"{entry.by!r} is not an admitted member", code="unknown_signer")
    if signer.status != "active":
        raise EntryRejected(f"member {entry.by!r} is retired", code="retired_signer")
    if signer.key_id not in entry.key_ids:
        raise EntryRejected(
            f"no signature by {entry.by!r}'s current key {signer.key_id}", code="unknown_signer"
        )
    # The usual entry, one signature by the signer's current key that a worker verified,
    # needs nothing more; any other signature must be by an active member's key.
    if len(entry.key_ids) > 1 or entry.unverified:
        keys = {}
        for kid in entry.key_ids:
            member = tx.member_by_key(kid)
            if member is not None and member.status == "active":
                keys[kid] = member.public_key
        _check_signatures(entry, keys)
    allowed = KIND_ROLES[entry.kind]
    self_rotation = entry.kind == "member.rotate_key" and entry.body.get("id") == entry.by
    if not self_rotation and allowed.isdisjoint(signer.roles):
        raise EntryRejected(
            f"member {entry.by!r} (roles {', '.join(signer.roles)}) may not sign {entry.kind}; "
            f"it needs one of: {', '.join(sorted(allowed))}",
            code="role_not_allowed",
        )
    return signer


def _apply_genesis(tx: WriteTx, index: int, entry: Decoded) -> None:
    if index != 0:
        raise EntryRejected("a log has exactly one genesis, at position 0", code="genesis_exists")
    body = Genesis.model_validate(entry.body)
    op = body.operator
    if op.id != entry.by:
        raise EntryRejected("genesis must be signed by the operator it declares", code="schema")
    public_key = base64.b64decode(op.public_key)
    _check_signatures(entry, {key_id(public_key): public_key})
    if key_id(public_key) not in entry.key_ids:
        raise EntryRejected("genesis is not signed by the operator's key", code="unknown_signer")
    tx.put_member(
        MemberRow(
            op.id, op.name, op.sector, tuple(op.roles), public_key, key_id(public_key), "active", 0
        )
    )
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
    public_key, kid = _new_key(tx, spec.public_key)
    tx.put_member(
        MemberRow(
            spec.id, spec.name, spec.sector, tuple(spec.roles), public_key, kid, "active", index
        )
    )
    tx.bump_state_version()


def retire(tx: WriteTx, member_id: str, by: str) -> None:
    """Retire a member: from then on its signatures are refused."""
    member = _active_member(tx, member_id)
    if member.id == by:
        raise EntryRejected("a member cannot retire itself", code="self_retire")
    tx.put_member(replace(member, status="retired"))
    tx.bump_state_version()


def _member_admit(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow) -> None:
    admit(tx, index, MemberAdmit.model_validate(entry.body))


def _member_rotate_key(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow) -> None:
    body = MemberRotateKey.model_validate(entry.body)
    member = _active_member(tx, body.id)
    public_key, kid = _new_key(tx, body.public_key)
    tx.put_member(replace(member, public_key=public_key, key_id=kid))
    tx.bump_state_version()


def _member_retire(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow) -> None:
    retire(tx, MemberRetire.model_validate(entry.body).id, signer.id)


def _attestation_issue(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow) -> None:
    # The hot path of `credo bench log`: the body was validated in a worker, and the insert
    # itself detects a duplicate (no read first); in the sequencer's deferred transactions,
    # at commit (`Store.write`).
    digest = entry.body["digest"]
    try:
        tx.add_attestation(digest, signer.id, index)
    except Conflict as exc:
        raise EntryRejected(f"{digest} is already attested", code="attestation_exists") from exc


def _attestation_revoke(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow) -> None:
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


def register_handler(kind: str, handler: Handler) -> None:
    """Domain modules register the state transition of each kind they add."""
    if kind in _HANDLERS:
        raise ValueError(f"a handler for {kind!r} is already registered")
    _HANDLERS[kind] = handler


_HANDLERS: dict[str, Handler] = {
    "member.admit": _member_admit,
    "member.rotate_key": _member_rotate_key,
    "member.retire": _member_retire,
    "attestation.issue": _attestation_issue,
    "attestation.revoke": _attestation_revoke,
}
