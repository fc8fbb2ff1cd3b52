"""Following a log: verify its latest checkpoint, copy its tree through its tiles, and keep
only what verified (`Mirror.sync`, one round).

A round, for the latest checkpoint of size N while the mirror holds a verified tree of M:

1. The log's ``/log/vkey`` must be the pinned key, and the checkpoint must be signed by it,
   for its origin (C2SP signed-note, tlog-checkpoint); with a pinned witness policy its
   cosignatures must meet the quorum (C2SP tlog-policy).
2. N < M: it must be a prefix of the verified tree (a stale checkpoint); N == M: the same
   root. Anything else is a rewritten history.
3. N > M, *the tiles of N are authenticated top-down*: every hash tile from where the
   verified tree ends, at every level above 0, and the two level-0 tiles at its edges. The
   right-edge (partial) tiles must hash to the checkpoint's root (`tree_root`, RFC 9162
   section 2.1.1, from tiles); each full tile must hash to its hash in the tile above
   (C2SP tlog-tiles). Then a consistency proof from M to N, computed from these tiles (RFC
   9162 section 2.1.4), must verify against the kept root: if it does not, the log signed a
   tree that does not contain the one verified before, and both checkpoints and the tiles are
   kept as evidence (`credo.mirror.evidence`). These tiles and N as the *pending* target are
   then kept, in one transaction.
4. The level-0 tiles and entry bundles from M to N: each full level-0 tile must hash to its
   hash in level 1, each entry must hash (RFC 9162 leaf hash) to its hash in its level-0
   tile. They are kept in transactions of up to `CHUNK` bundles, or every second, so an
   interrupted copy resumes from the last one (its target kept as pending).
5. The whole tree kept must hash to N's root; with a witness, it cosigns N
   (`credo.mirror.witnessing`); then N becomes the verified checkpoint, the one served.

Nothing is kept of anything that did not verify; the first failure raises
`VerificationError` naming the tile, bundle, entry or checkpoint at fault. A pending copy is
continued first; a later checkpoint retargets it (it must extend the pending one too).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from credo.errors import InputError, Interrupted, NotFound, VerificationError
from credo.mirror.evidence import keep_evidence
from credo.mirror.source import LogSource
from credo.mirror.store import Kept, MirrorStore
from credo.mirror.witnessing import MirrorWitness
from credo.tlog import (
    HASH_SIZE,
    TILE_HEIGHT,
    TILE_WIDTH,
    Checkpoint,
    NoteVerifier,
    Policy,
    TileHashReader,
    consistency_proof,
    encode_entry_bundle,
    entries_path,
    leaf_hash,
    open_checkpoint,
    parse_note,
    tile_path,
    tile_root,
    tree_root,
    verify_consistency,
)

CHUNK = 64  # entry bundles (16,384 entries) per transaction of a copy, at most
FLUSH_SECONDS = 1.0  # and at least this often, so an interrupted copy loses little

Tiles = dict[tuple[int, int], bytes]


class Progress(Protocol):
    """Told how many entries a round copies, as they are verified and kept."""

    def start(self, total: int) -> None: ...

    def advance(self, entries: int) -> None: ...

    def done(self) -> None: ...


@dataclass(frozen=True)
class Round:
    """What one `Mirror.sync` did: the verified size before and after, and how many entries
    it copied (verified and kept)."""

    before: int
    size: int
    root: bytes
    copied: int
    stale: bool = False
    """The log served a checkpoint older than the verified one (a prefix of it)."""


def _width(count: int, index: int) -> int:
    return min(TILE_WIDTH, count - index * TILE_WIDTH)


def _hash_at(tile: bytes, i: int) -> bytes:
    return tile[i * HASH_SIZE : (i + 1) * HASH_SIZE]


class Mirror:
    """One log's mirror: its store, where it reads the log, the pinned key and policy."""

    def __init__(
        self,
        store: MirrorStore,
        source: LogSource,
        verifier: NoteVerifier,
        evidence: Path,
        *,
        policy: Policy | None = None,
        witness: MirrorWitness | None = None,
        chunk: int = CHUNK,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.source = source
        self.verifier = verifier
        self.vkey = verifier.verifier_key()
        self.evidence = evidence
        self.policy = policy
        self.witness = witness
        self._chunk = chunk
        self._clock = clock
        self.interrupt = threading.Event()
        """Set from another thread to stop a copy at its next entry bundle."""

    # --- binding and the log's identity --------------------------------------------------

    def bind(self) -> None:
        """Bind the store to the pinned key on first use; refuse a store of another log."""
        bound = self.store.get_meta("log_vkey")
        if bound is None:
            with self.store.write() as tx:
                tx.set_meta("log_vkey", self.vkey)
                tx.set_meta("origin", self.verifier.name)
        elif bound != self.vkey:
            raise InputError(
                f"{self.store.path.parent} mirrors the log whose key is {bound!r}, not "
                f"{self.vkey!r}: give that key, or another --data for another log",
                code="other_log",
            )

    def check_vkey(self) -> None:
        """The log's own ``/log/vkey`` must be the pinned key."""
        served = self.source.vkey()
        if served != self.vkey:
            raise VerificationError(
                f"the log at {self.source.url} serves the verifier key {served!r}, not the "
                f"pinned {self.vkey!r}",
                code="vkey_mismatch",
            )

    def _open(self, note: bytes) -> Checkpoint:
        try:
            cp = open_checkpoint(note, self.verifier, origin=self.verifier.name)
        except InputError as exc:
            raise VerificationError(
                f"the checkpoint served is malformed: {exc.message}", code="bad_checkpoint"
            ) from exc
        except VerificationError as exc:
            raise VerificationError(
                f"the checkpoint served does not verify with the pinned log key: {exc.message}",
                code="bad_checkpoint",
            ) from exc
        if self.policy is not None:
            self.policy.verify_log_checkpoint(note, self.verifier)
        return cp

    # --- a round -------------------------------------------------------------------------

    def sync(self, progress: Progress | None = None) -> Round:
        """One round (see the module doc); `VerificationError` on the first thing that does
        not verify, `credo.mirror.source.LogUnavailable` if the log cannot be read."""
        self.check_vkey()
        note = self.source.checkpoint()
        cp = self._open(note)
        verified = self.store.checkpoint("verified")
        pending = self.store.checkpoint("pending")
        before = 0 if verified is None else verified.size
        if pending is not None and cp.size < pending.size:
            target = pending  # finish what was started: the log served an older checkpoint
        elif pending is None and cp.size <= before:
            return self._not_larger(verified, cp, note)
        else:
            tiles = self._authenticate(cp, before, None if pending is None else pending.size)
            self._check_extends(verified, cp, note, tiles)
            if pending is not None:
                self._check_extends(pending, cp, note, tiles)
            target = Kept(cp.size, cp.root_hash, note, note)
            with self.store.write() as tx:
                for (level, index), data in sorted(tiles.items()):
                    tx.put_tile(level, index, data)
                tx.set_checkpoint("pending", target)
        copied = self._copy(target, before, progress)
        return Round(before, target.size, target.root, copied)

    def _not_larger(self, verified: Kept | None, cp: Checkpoint, note: bytes) -> Round:
        """A checkpoint no larger than the verified one: a prefix of it, or the same tree
        (whose note may carry more cosignatures now), or a rewritten history."""
        size = 0 if verified is None else verified.size
        if verified is None:  # an empty log, and nothing kept: nothing to do
            return Round(0, 0, cp.root_hash, 0)
        reader = TileHashReader(self.store.read_tile)
        if cp.size < size:
            if tree_root(cp.size, reader) != cp.root_hash:
                proof = consistency_proof(cp.size, size, reader)
                self._rewritten(
                    "not_a_prefix",
                    verified.note,
                    note,
                    f"the log served a checkpoint of size {cp.size} whose root is not the root "
                    f"of the first {cp.size} entries of the verified tree of size {size}; "
                    "consistency-proof is the verified tree's proof from that size, which "
                    "fails for the served root",
                    proof,
                )
            return Round(size, size, verified.root, 0, stale=True)
        if cp.root_hash != verified.root:
            self._rewritten(
                "same_size_other_root",
                verified.note,
                note,
                f"both checkpoints are of size {size}, with different roots, and both are "
                "signed by the log's key: it signed two histories",
            )
        if note != verified.note and _adds_signatures(verified.note, note):
            served = self._served(note, cp)
            with self.store.write() as tx:
                tx.set_checkpoint("verified", Kept(size, verified.root, note, served))
        return Round(size, size, verified.root, 0)

    # --- step 3: the tiles of the new tree, authenticated top-down -----------------------

    def _authenticate(self, cp: Checkpoint, old: int, pending: int | None) -> Tiles:
        """Fetch and authenticate every hash tile of ``cp``'s tree that a verified tree of
        ``old`` entries does not fix: levels above 0 from ``old``'s edge on, and level 0's
        tiles at ``old``'s edge, at the pending tree's edge (the proofs from those sizes
        need them) and at the new right edge."""
        size = cp.size
        tiles: Tiles = {}
        level = 0
        while size >> (TILE_HEIGHT * level):
            count = size >> (TILE_HEIGHT * level)
            first = (old >> (TILE_HEIGHT * level)) // TILE_WIDTH
            last = (count - 1) // TILE_WIDTH
            ends = {first, last} | ({pending // TILE_WIDTH} if pending is not None else set())
            indexes = range(first, last + 1) if level else sorted(ends)
            for index in indexes:
                width = _width(count, index)
                if width > 0:
                    tiles[(level, index)] = self.source.tile(level, index, width)
            level += 1

        if tree_root(size, _fetched(tiles)) != cp.root_hash:
            edges = ", ".join(
                tile_path(lv, ix, len(d) // HASH_SIZE)
                for (lv, ix), d in sorted(tiles.items(), reverse=True)
                if len(d) < TILE_WIDTH * HASH_SIZE
            )
            raise VerificationError(
                f"the right-edge tiles of size {size} ({edges}) do not hash to the "
                "checkpoint's root",
                code="bad_tile",
            )
        for (level, index), data in sorted(tiles.items(), reverse=True):  # the top first
            if len(data) == TILE_WIDTH * HASH_SIZE:
                parent = tiles[(level + 1, index // TILE_WIDTH)]
                self._check_full(level, index, data, parent)
        return tiles

    @staticmethod
    def _check_full(level: int, index: int, data: bytes, parent: bytes) -> None:
        """A full tile must hash to its hash in the tile above (C2SP tlog-tiles)."""
        at = index % TILE_WIDTH
        if tile_root(data) != _hash_at(parent, at):
            above = tile_path(level + 1, index // TILE_WIDTH, len(parent) // HASH_SIZE)
            raise VerificationError(
                f"{tile_path(level, index)} does not verify: its hashes do not hash to hash "
                f"{at} of {above}",
                code="bad_tile",
            )

    def _check_extends(self, kept: Kept | None, cp: Checkpoint, note: bytes, tiles: Tiles) -> None:
        """The new tree must contain the kept one: a consistency proof from the kept size,
        computed from the new tree's authenticated tiles, verifies against the kept root."""
        if kept is None:
            return
        proof = consistency_proof(kept.size, cp.size, _fetched(tiles))
        try:
            verify_consistency(kept.size, cp.size, proof, kept.root, cp.root_hash)
        except VerificationError as exc:
            self._rewritten(
                "inconsistent",
                kept.note,
                note,
                f"the tree of size {cp.size} the log signed does not contain the tree of size "
                f"{kept.size} it signed before ({exc.message}); consistency-proof is computed "
                "from the tiles under tiles/, which hash to the new checkpoint's root",
                proof,
                {tile_path(lv, ix, len(d) // HASH_SIZE): d for (lv, ix), d in tiles.items()},
            )

    def _rewritten(
        self,
        reason: str,
        kept: bytes,
        served: bytes,
        report: str,
        proof: list[bytes] | None = None,
        tiles: dict[str, bytes] | None = None,
    ) -> None:
        where = keep_evidence(self.evidence, reason, kept, served, report, proof or (), tiles)
        raise VerificationError(
            f"the log rewrote its history ({reason}): {report}. Evidence kept in {where}",
            code="rewritten_history",
        )

    # --- step 4 and 5: level 0 and the entries, then the advance ------------------------

    def _copy(self, target: Kept, old: int, progress: Progress | None) -> int:
        """Copy and verify level 0 and the entries of ``target`` from ``old`` on; commit."""
        size = target.size
        copied = 0
        with _reporting(progress, size - old) as advance:
            tiles: list[tuple[int, bytes]] = []
            bundles: list[tuple[int, int, bytes]] = []
            last_flush = self._clock()
            for index in range(old // TILE_WIDTH, -(-size // TILE_WIDTH)):
                width = _width(size, index)
                new = width - max(0, old - index * TILE_WIDTH)
                kept = self._kept_level0(index, width)
                if kept is None:
                    tile, entries = self._fetch_level0(index, width)
                    tiles.append((index, tile))
                    bundles.append((index, width, encode_entry_bundle(entries)))
                else:
                    advance(new)
                copied += new
                if bundles and (
                    len(bundles) >= self._chunk or self._clock() - last_flush >= FLUSH_SECONDS
                ):
                    self._flush(tiles, bundles, advance)
                    last_flush = self._clock()
                if self.interrupt.is_set():
                    self._flush(tiles, bundles, advance)
                    raise Interrupted(f"the copy to size {size} stopped; it resumes next time")
            self._flush(tiles, bundles, advance)
        reader = TileHashReader(self.store.read_tile)
        if tree_root(size, reader) != target.root:  # everything kept, checked once more
            raise VerificationError(
                f"the tiles kept do not hash to the root of size {size}", code="bad_tile"
            )
        cp = Checkpoint.from_text(parse_note(target.note).text)
        served = self._served(target.note, cp)
        with self.store.write() as tx:
            tx.set_checkpoint("verified", Kept(size, target.root, target.note, served))
            tx.set_checkpoint("pending", None)
        return copied

    def _kept_level0(self, index: int, width: int) -> bytes | None:
        """Tile (0, index) if it and its bundle are kept at ``width`` already (an interrupted
        copy, or the tile kept with the pending target); a full one is checked again
        against level 1."""
        count = self.store.bundle_count(index)
        tile = self.store.read_tile(0, index)
        if count < width or len(tile) < width * HASH_SIZE:
            return None
        if width == TILE_WIDTH:
            self._check_full(0, index, tile[: TILE_WIDTH * HASH_SIZE], self._level1(index))
        return tile

    def _level1(self, index: int) -> bytes:
        return self.store.read_tile(1, index // TILE_WIDTH)

    def _fetch_level0(self, index: int, width: int) -> tuple[bytes, list[bytes]]:
        """Tile (0, index) and its entry bundle at ``width``, verified."""
        tile = self.store.read_tile(0, index)[: width * HASH_SIZE]
        if len(tile) < width * HASH_SIZE:  # a full tile inside the new tree: not kept yet
            if width < TILE_WIDTH:  # an edge tile is authenticated and kept in step 3
                raise NotFound(f"{tile_path(0, index, width)} was not authenticated")
            tile = self.source.tile(0, index, width)
        if width == TILE_WIDTH:
            self._check_full(0, index, tile, self._level1(index))
        entries = self.source.bundle(index, width)
        path = entries_path(index, width)
        for i, entry in enumerate(entries):
            if leaf_hash(entry) != _hash_at(tile, i):
                raise VerificationError(
                    f"{path} does not verify: entry {index * TILE_WIDTH + i} does not hash to "
                    f"hash {i} of {tile_path(0, index, width)}",
                    code="bad_bundle",
                )
        return tile, entries

    def _flush(
        self,
        tiles: list[tuple[int, bytes]],
        bundles: list[tuple[int, int, bytes]],
        advance: Callable[[int], None],
    ) -> None:
        if not bundles:
            return
        with self.store.write() as tx:
            for index, tile in tiles:
                tx.put_tile(0, index, tile)
            for index, count, data in bundles:
                tx.put_bundle(index, count, data)
        verified = self.store.verified_size()
        for index, count, _ in bundles:
            advance(count - max(0, verified - index * TILE_WIDTH))
        tiles.clear()
        bundles.clear()

    def _served(self, note: bytes, cp: Checkpoint) -> bytes:
        """What /log/checkpoint serves for ``note``: with the mirror's own cosignature if it
        witnesses (computed from the tree kept, which must hold ``cp``'s)."""
        if self.witness is None:
            return note
        return self.witness.cosigned(note, cp, TileHashReader(self.store.read_tile))


def _fetched(tiles: Tiles) -> TileHashReader:
    """A reader of the tiles fetched for a tree, and of no other: what a root or a proof
    is computed from must be what was authenticated."""

    def read(level: int, index: int) -> bytes:
        if (level, index) not in tiles:
            raise NotFound(f"{tile_path(level, index)} was not fetched")
        return tiles[(level, index)]

    return TileHashReader(read)


def _adds_signatures(old: bytes, new: bytes) -> bool:
    """Whether ``new`` carries every signature line of ``old`` and more (witnesses'
    cosignatures arrive after a checkpoint is first served)."""
    before = {s.line() for s in parse_note(old).signatures}
    after = {s.line() for s in parse_note(new).signatures}
    return before < after


@contextmanager
def _reporting(progress: Progress | None, total: int) -> Iterator[Callable[[int], None]]:
    if progress is None:
        yield lambda _: None
        return
    progress.start(total)
    try:
        yield progress.advance
    finally:
        progress.done()
