"""Checking a credo log from outside, through its public endpoints only: a stranger's audit
of the whole log (`audit`), and a person's check of their own entries (`verify_export`).

It reads the latest checkpoint and every entry bundle (C2SP tlog-tiles), recomputes the tree
and checks the checkpoint's signature against it, checks every entry's signature and replays
the consortium's own entries (members, governance, rules, attestations). Personal entries are
checked for shape and signature and their tags for uniqueness; what they say about people is
sealed, and nothing here can or should read it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from credo.client.member import server_witness_policy, verified_entry
from credo.errors import VerificationError
from credo.ledger import standard_kinds
from credo.ledger.entries import statement_of
from credo.ledger.kinds.governance import WITNESS_POLICY_META
from credo.ledger.replay import replay_entries
from credo.store import MEMORY, open_store
from credo.tlog import (
    TILE_WIDTH,
    Checkpoint,
    NoteVerifier,
    Policy,
    decode_entry_bundle,
    entries_path,
    open_checkpoint,
    parse_policy,
    root_from_leaf_hashes,
)
from credo.vault import canonical_meta, meta_commitment


@dataclass(frozen=True)
class AuditSummary:
    entries: int
    members: int
    root: bytes
    log_vkey: str
    checkpoint: bytes
    """The checkpoint verified (a signed note), to pass as ``previous`` next time."""


def audit(
    url: str,
    log_vkey: str | None = None,
    progress: Callable[[int], None] | None = None,
    transport: httpx.BaseTransport | None = None,
    witness_policy: Policy | None = None,
    previous: bytes | None = None,
) -> AuditSummary:
    """Verify the log at ``url``; raise `VerificationError` on the first discrepancy.

    ``previous`` is a checkpoint the auditor saw earlier (a signed note): the log must still
    contain the tree it committed to, so every checkpoint an auditor is ever shown is checked
    against every later one, and a rewritten history fails.

    ``log_vkey`` pins the log's key; without it the key the server names is used and must be
    the one its genesis entry declares.

    ``witness_policy`` pins the witness policy (C2SP tlog-policy): the checkpoint must carry
    its quorum of cosignatures. Without it, the policy the log's own governance adopted (as
    the replay finds it) is required, if there is one. Either way a checkpoint short of the
    quorum fails, code ``no_quorum``.
    """
    with httpx.Client(base_url=url.rstrip("/"), timeout=60, transport=transport) as http:
        vkey = log_vkey or _get(http, "/log/vkey").decode().strip()
        verifier = NoteVerifier.from_vkey(vkey)
        note = _get(http, "/log/checkpoint")
        checkpoint = open_checkpoint(note, verifier)
        scratch = open_store(MEMORY)
        try:
            leaves = replay_entries(
                _entries(http, checkpoint.size), scratch, standard_kinds(), progress
            )
            if root_from_leaf_hashes(leaves) != checkpoint.root_hash:
                raise VerificationError(
                    f"the entries do not hash to the checkpoint's root (size {checkpoint.size})"
                )
            if scratch.get_meta("log_key") != vkey:
                raise VerificationError("the genesis entry declares another log key")
            if previous is not None:
                _check_extends(open_checkpoint(previous, verifier), leaves)
            adopted = scratch.get_meta(WITNESS_POLICY_META)
            policy = witness_policy or (None if adopted is None else parse_policy(adopted))
            if policy is not None:
                policy.verify_log_checkpoint(note, verifier)
            return AuditSummary(
                len(leaves), len(scratch.list_members()), checkpoint.root_hash, vkey, note
            )
        finally:
            scratch.close()


def _check_extends(earlier: Checkpoint, leaves: list[bytes]) -> None:
    if earlier.size > len(leaves):
        raise VerificationError(
            f"the log shrank: {earlier.size} entries were checkpointed, now {len(leaves)}"
        )
    if root_from_leaf_hashes(leaves[: earlier.size]) != earlier.root_hash:
        raise VerificationError(
            f"the log's first {earlier.size} entries are not those of the checkpoint seen "
            "before: its history was rewritten"
        )


@dataclass(frozen=True)
class ExportCheck:
    entries: int
    opened: int
    """How many of them the export could show the metadata of (the rest: none sealed)."""
    checkpoint_size: int


def verify_export(
    export: dict[str, Any],
    url: str,
    log_vkey: str | None = None,
    transport: httpx.BaseTransport | None = None,
    witness_policy: Policy | None = None,
) -> ExportCheck:
    """Check a person's export against the log: every entry it lists is in the log under a
    checkpoint signed by the log's key (RFC 9162 inclusion proof), is the kind the export
    says, and carries the commitment of the metadata the export shows; raise
    `VerificationError` on the first that does not. The checkpoint must meet the witness
    policy's quorum: ``witness_policy`` if pinned, else the one the server names."""
    entries = export.get("entries")
    if not isinstance(entries, list):
        raise VerificationError("the export lists no entries")
    with httpx.Client(base_url=url.rstrip("/"), timeout=60, transport=transport) as http:
        verifier = NoteVerifier.from_vkey(log_vkey or _get(http, "/log/vkey").decode().strip())
        policy = witness_policy or server_witness_policy(http)
        opened, size = 0, 0
        for item in entries:
            index = int(item["index"])
            answer = http.get(f"/v1/entries/{index}")
            if answer.status_code != 200:
                raise VerificationError(f"entry {index}: the log answered {answer.status_code}")
            logged = verified_entry(answer.json(), index, verifier, policy)
            size = max(size, logged.size)
            statement = statement_of(logged.entry)
            if statement["kind"] != item["kind"]:
                raise VerificationError(
                    f"entry {index} is a {statement['kind']}, not {item['kind']}"
                )
            if item.get("metadata") is not None:
                plaintext = canonical_meta(item["metadata"])
                if meta_commitment(plaintext) != statement["body"].get("commitment"):
                    raise VerificationError(
                        f"entry {index}: the export's metadata does not match its commitment"
                    )
                opened += 1
    return ExportCheck(len(entries), opened, size)


def _entries(http: httpx.Client, size: int) -> Iterator[tuple[int, bytes]]:
    for tile in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        width = min(TILE_WIDTH, size - tile * TILE_WIDTH)
        bundle = decode_entry_bundle(_get(http, "/log/" + entries_path(tile, width)))
        if len(bundle) != width:
            raise VerificationError(f"entry bundle {tile} holds {len(bundle)} entries, not {width}")
        for offset, data in enumerate(bundle):
            yield tile * TILE_WIDTH + offset, data


def _get(http: httpx.Client, path: str) -> bytes:
    answer = http.get(path)
    if answer.status_code != 200:
        raise VerificationError(f"GET {path} answered {answer.status_code}")
    return answer.content
