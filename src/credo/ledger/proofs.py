"""Proofs for clients that do not read tiles, served from the stored tiles (O(log n) reads)."""

from __future__ import annotations

from dataclasses import dataclass

from credo.errors import InputError, NotFound
from credo.store import Store
from credo.tlog import Checkpoint, TileHashReader, consistency_proof, inclusion_proof, parse_note


@dataclass(frozen=True)
class Published:
    checkpoint: Checkpoint
    note: bytes
    """The log's signed note, followed by the witnesses' cosignature lines kept for it."""


@dataclass(frozen=True)
class EntryProof:
    index: int
    entry: bytes
    size: int
    proof: list[bytes]


def latest(store: Store) -> Published:
    """The latest checkpoint, with the cosignatures witnesses gave it so far (C2SP signed
    note: more signature lines; a verifier ignores those by keys it does not know)."""
    note = store.latest_checkpoint()
    if note is None:
        raise NotFound("the log has no checkpoint yet", code="no_checkpoint")
    checkpoint = Checkpoint.from_text(parse_note(note).text)
    return Published(checkpoint, note + b"".join(store.cosignatures(checkpoint.size)))


def _reader(store: Store) -> TileHashReader:
    return TileHashReader(store.read_tile)


def _check_size(store: Store, size: int) -> None:
    current = latest(store).checkpoint.size
    if not 0 < size <= current:
        raise InputError(
            f"size {size} is not between 1 and the published size {current}", code="bad_size"
        )


def prove_inclusion(store: Store, index: int, size: int) -> list[bytes]:
    _check_size(store, size)
    if not 0 <= index < size:
        raise InputError(f"index {index} is not below size {size}", code="bad_index")
    return inclusion_proof(index, size, _reader(store))


def prove_consistency(store: Store, old: int, new: int) -> list[bytes]:
    _check_size(store, new)
    if not 0 < old <= new:
        raise InputError(f"old size {old} must be between 1 and {new}", code="bad_size")
    return consistency_proof(old, new, _reader(store))


def entry_with_proof(store: Store, index: int, size: int) -> EntryProof:
    found = store.read_entries(index, 1)
    if not found or index >= size:
        raise NotFound(f"no entry at index {index} in a tree of size {size}", code="no_entry")
    return EntryProof(index, found[0], size, prove_inclusion(store, index, size))
