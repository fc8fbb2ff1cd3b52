"""Replaying the log: `credo rebuild` recreates derived state from entry 0, and `credo verify`
recomputes everything that can be recomputed and compares it with what is stored.

Verification raises `VerificationError` naming the first bad entry or checkpoint; it never
returns a bool (sigstore-python's habit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from credo.errors import EntryRejected, InputError, StoreError, VerificationError
from credo.ledger.dsse import encode_envelope, parse_envelope_bytes
from credo.ledger.kinds import standard_kinds
from credo.ledger.registry import Context, Opener, Registry
from credo.ledger.state import apply
from credo.ledger.validate import Decoded, decode_envelope
from credo.store import CORRUPT_LOG, MEMORY, PERSONAL_TABLES, Store, open_store
from credo.tlog import (
    TILE_WIDTH,
    Checkpoint,
    MemoryHashReader,
    NoteVerifier,
    append_leaves,
    consistency_proof,
    open_checkpoint,
    verify_consistency,
)

Progress = Callable[[int], None]
REPLAY_CHUNK = 5_000


def _no_keys(_: str) -> bytes | None:
    return None


def decode_stored(index: int, data: bytes, kinds: Registry) -> Decoded:
    """Decode a stored entry; its bytes must be exactly credo's one serialisation."""
    try:
        env = parse_envelope_bytes(data)
        if encode_envelope(env) != data:
            raise EntryRejected("stored bytes are not the canonical envelope", code="noncanonical")
        return decode_envelope(env, data, kinds, _no_keys)[0]
    except EntryRejected as exc:
        raise VerificationError(f"entry {index}: {exc.message} ({exc.code})") from exc


def replay(
    source: Store,
    target: Store,
    kinds: Registry,
    progress: Progress | None = None,
    opener: Opener | None = None,
) -> list[bytes]:
    """Apply every entry of ``source`` to ``target``'s derived state, checking signatures
    and what the log itself decided, not today's policy (`credo.ledger.registry.Policy`);
    return the leaf hashes, in order, for the caller to check the tree against.

    With ``opener`` (the vault: the operator's replay) personal entries are opened and
    applied; without it (a stranger's) only their tags are recorded."""
    return replay_entries(_stored_entries(source), target, kinds, progress, opener)


def replay_entries(
    entries: Iterable[tuple[int, bytes]],
    target: Store,
    kinds: Registry,
    progress: Progress | None = None,
    opener: Opener | None = None,
) -> list[bytes]:
    """`replay` over entries from anywhere (a store, or a log read through its tiles)."""
    context = Context(kinds, policy=None, opener=opener)
    leaves: list[bytes] = []
    batch: list[tuple[int, bytes]] = []
    for index, data in entries:
        batch.append((index, data))
        if len(batch) >= REPLAY_CHUNK:
            _apply_chunk(target, batch, context, leaves, progress)
            batch = []
    if batch:
        _apply_chunk(target, batch, context, leaves, progress)
    return leaves


def _stored_entries(source: Store) -> Iterator[tuple[int, bytes]]:
    """The log's entries in order; stored data that no longer decodes (an entry bundle whose
    length prefixes were altered) is a verification failure, named."""
    entries = source.iter_entries()
    while True:
        try:
            item = next(entries)
        except StopIteration:
            return
        except StoreError as exc:
            if exc.code == CORRUPT_LOG:
                raise VerificationError(exc.message) from exc
            raise
        yield item


def _apply_chunk(
    target: Store,
    batch: list[tuple[int, bytes]],
    context: Context,
    leaves: list[bytes],
    progress: Progress | None,
) -> None:
    with target.write() as tx:
        for index, data in batch:
            entry = decode_stored(index, data, context.kinds)
            try:
                apply(tx, index, entry, context)
            except EntryRejected as exc:
                raise VerificationError(
                    f"entry {index} does not replay: {exc.message} ({exc.code})"
                ) from exc
            leaves.append(entry.leaf_hash)
    if progress:
        progress(len(batch))


def rebuild(
    store: Store,
    progress: Progress | None = None,
    kinds: Registry | None = None,
    *,
    opener: Opener,
) -> int:
    """Drop and recreate every derived table from the log (`credo rebuild`), with ``kinds``
    (credo's standard set unless given) and the vault that opens personal entries."""
    store.reset_state()
    return len(replay(store, store, kinds or standard_kinds(), progress, opener))


@dataclass(frozen=True)
class VerifySummary:
    entries: int
    checkpoints: int
    tiles: int
    members: int
    root: bytes


def verify_store(
    store: Store,
    progress: Progress | None = None,
    kinds: Registry | None = None,
    opener: Opener | None = None,
) -> VerifySummary:
    """Recompute every leaf and node hash, check every signature, every checkpoint (each
    consistent with the next) and replay the ledger state with ``kinds`` (credo's standard
    set unless given); raise on the first discrepancy.

    Without ``opener`` (the vault) the people's tables cannot be replayed and are not
    compared: what is checked is what a stranger can check."""
    replayed = open_store(MEMORY)
    try:
        leaves = replay(store, replayed, kinds or standard_kinds(), progress, opener)
        tree, tiles = _check_tiles(store, leaves)
        verifier = _log_verifier(replayed)
        checkpoints = _check_checkpoints(store, tree, verifier, replayed.get_meta("origin"))
        stored, expected = store.dump_state(), replayed.dump_state()
        skipped = () if opener is not None else PERSONAL_TABLES
        for table in expected:
            if table in skipped:
                continue
            if stored.get(table) != expected[table]:
                raise VerificationError(
                    f"derived table {table!r} differs from a replay of the log "
                    f"({len(stored.get(table, []))} rows stored, {len(expected[table])} replayed)"
                )
        return VerifySummary(
            len(leaves),
            checkpoints,
            tiles,
            len(expected["members"]),
            tree.root(),
        )
    finally:
        replayed.close()


def _log_verifier(replayed: Store) -> NoteVerifier:
    vkey = replayed.get_meta("log_key")
    if vkey is None:
        raise VerificationError("the log has no genesis entry naming its key")
    return NoteVerifier.from_vkey(vkey)


def _check_tiles(store: Store, leaves: list[bytes]) -> tuple[MemoryHashReader, int]:
    """Recompute every tile from the entries' leaf hashes; compare with the stored tiles.
    Returns the tree and how many tiles it has."""
    size = len(leaves)
    if store.tree_size() != size:
        raise VerificationError(f"tree size: stored {store.tree_size()}, entries {size}")
    tree = MemoryHashReader(leaves)
    expected = append_leaves(0, leaves, lambda _l, _i: b"")
    for (level, index), hashes in sorted(expected.items()):
        stored = store.read_tile(level, index)
        if stored != hashes:
            first = _first_diff(stored, hashes)
            what = f"leaf {index * TILE_WIDTH + first}" if level == 0 else f"hash {first}"
            raise VerificationError(f"tile {level}/{index}: stored {what} differs from recomputed")
    return tree, len(expected)


def _first_diff(a: bytes, b: bytes) -> int:
    for i in range(0, max(len(a), len(b)), 32):
        if a[i : i + 32] != b[i : i + 32]:
            return i // 32
    return 0


def _check_checkpoints(
    store: Store, tree: MemoryHashReader, verifier: NoteVerifier, origin: str | None
) -> int:
    previous: Checkpoint | None = None
    count = 0
    for row in store.iter_checkpoints():
        where = f"checkpoint #{row.seq} (size {row.size})"
        try:
            cp = open_checkpoint(row.note, verifier, origin)
        except (VerificationError, InputError) as exc:  # a bad signature or a garbled note
            raise VerificationError(f"{where}: {exc}") from exc
        if cp.size != row.size or cp.size > tree.size:
            raise VerificationError(f"{where}: size {cp.size} does not match the log")
        if cp.root_hash != tree.root(cp.size):
            raise VerificationError(f"{where}: root hash differs from the recomputed tree")
        if previous is not None:
            if cp.size < previous.size:
                raise VerificationError(f"{where}: smaller than the checkpoint before it")
            proof = consistency_proof(previous.size, cp.size, tree) if previous.size else []
            verify_consistency(previous.size, cp.size, proof, previous.root_hash, cp.root_hash)
        previous = cp
        count += 1
    if previous is None or previous.size != tree.size:
        raise VerificationError("the latest checkpoint does not cover every entry")
    return count
