"""The ledger's state machine: the checks that depend on an entry's position (is the signer
admitted and active, may its roles sign this kind), then the kind's own transition from the
registry. The sequencer, `credo rebuild` and `credo verify` all go through `apply`, so
replaying the log from entry 0 reproduces exactly the state the sequencer built.
"""

from __future__ import annotations

from credo.errors import EntryRejected
from credo.ledger.kinds.members import genesis_operator
from credo.ledger.registry import Context, Kind
from credo.ledger.validate import Decoded, verify_ed25519
from credo.store import MemberRow, WriteTx

GENESIS = "genesis"


def apply(tx: WriteTx, index: int, entry: Decoded, ctx: Context) -> None:
    """Check ``entry`` against the state before position ``index`` and write its effects.

    Every check runs before the first write, so a refused entry leaves nothing behind.
    """
    kind = ctx.kinds.get(entry.kind)
    if entry.kind == GENESIS:
        signer = _genesis_signer(index, entry, kind)
    elif index == 0:
        raise EntryRejected("the first entry of a log must be its genesis", code="no_genesis")
    else:
        signer = _check_signer(tx, entry, kind)
    kind.apply(tx, index, entry, signer, ctx)


def _check_signatures(entry: Decoded, keys: dict[str, bytes]) -> None:
    """Every signature must come from a known key and verify (workers did the ones they knew)."""
    for kid in entry.key_ids:
        if kid not in keys:
            raise EntryRejected(f"signature by unknown key {kid}", code="unknown_signer")
    if entry.unverified:
        message = entry.pae()
        for kid, sig in entry.unverified:
            verify_ed25519(keys[kid], message, sig)


def _genesis_signer(index: int, entry: Decoded, kind: Kind) -> MemberRow:
    """A genesis is signed by the operator it declares, who is nobody before it, and who
    must hold the kind's role (an admin: without one, nobody could ever be admitted)."""
    if index != 0:
        raise EntryRejected("a log has exactly one genesis, at position 0", code="genesis_exists")
    operator = genesis_operator(entry)
    if operator.id != entry.by:
        raise EntryRejected("genesis must be signed by the operator it declares", code="schema")
    _check_signatures(entry, {operator.key_id: operator.public_key})
    if operator.key_id not in entry.key_ids:
        raise EntryRejected("genesis is not signed by the operator's key", code="unknown_signer")
    if kind.roles.isdisjoint(operator.roles):
        raise EntryRejected("the genesis operator must be an admin", code="role_not_allowed")
    return operator


def _check_signer(tx: WriteTx, entry: Decoded, kind: Kind) -> MemberRow:
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
    self_rotation = entry.kind == "member.rotate_key" and entry.body.get("id") == entry.by
    if not self_rotation and kind.roles.isdisjoint(signer.roles):
        raise EntryRejected(
            f"member {entry.by!r} (roles {', '.join(signer.roles)}) may not sign {entry.kind}; "
            f"it needs one of: {', '.join(sorted(kind.roles))}",
            code="role_not_allowed",
        )
    return signer
