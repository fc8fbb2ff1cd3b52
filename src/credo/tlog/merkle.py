"""Merkle tree hashing, proofs and their verification, as RFC 9162 section 2.1 defines them.

Proofs are built from perfect-subtree hashes served by a ``HashReader``: each function first
plans the O(log n) nodes it needs, reads them in one call, then combines them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

from credo.errors import InputError, NotFound, VerificationError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Node = tuple[int, int]
"""A perfect subtree: (level, index), covering leaves [index * 2**level, (index + 1) * 2**level)."""

Range = tuple[int, int]
"""A leaf range [begin, end) whose MTH the RFC recursion needs."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 section 2.1.1: MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 section 2.1.1: an interior node is SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1), where RFC 9162 splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) by the plain recursion of RFC 9162 section 2.1.1: the reference implementation."""
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return node_hash(root_from_leaf_hashes(hashes[:k]), root_from_leaf_hashes(hashes[k:]))


class HashReader(Protocol):
    """Serves hashes of perfect subtrees; the only way proofs touch storage."""

    def read_hashes(self, nodes: Sequence[tuple[int, int]]) -> list[bytes]:
        """Return, in order, the hash of each perfect subtree (level, index).

        Raises ``NotFound`` if any of them is unavailable.
        """
        ...


# --- planning: which perfect subtrees a computation needs -------------------------------


def _range_nodes(begin: int, end: int) -> list[Node]:
    """The perfect subtrees, left to right, whose fold is MTH(D[begin:end]).

    Only valid for the ranges the RFC recursion produces: ``begin`` is a multiple of a power
    of two at least ``end - begin``, so each piece is aligned.
    """
    nodes: list[Node] = []
    pos = begin
    for level in range((end - begin).bit_length() - 1, -1, -1):
        if (end - begin) >> level & 1:
            nodes.append((level, pos >> level))
            pos += 1 << level
    return nodes


def _inclusion_ranges(index: int, begin: int, end: int) -> list[Range]:
    """RFC 9162 section 2.1.3.1 PATH(m, D[begin:end]) as the list of ranges to hash."""
    if end - begin <= 1:
        return []
    k = _split(end - begin)
    if index < k:
        return [*_inclusion_ranges(index, begin, begin + k), (begin + k, end)]
    return [*_inclusion_ranges(index - k, begin + k, end), (begin, begin + k)]


def _consistency_ranges(m: int, begin: int, end: int, complete: bool) -> list[Range]:
    """RFC 9162 section 2.1.4.1 SUBPROOF(m, D[begin:end], b) as the list of ranges to hash."""
    n = end - begin
    if m == n:
        return [] if complete else [(begin, end)]
    k = _split(n)
    if m <= k:
        return [*_consistency_ranges(m, begin, begin + k, complete), (begin + k, end)]
    return [*_consistency_ranges(m - k, begin + k, end, False), (begin, begin + k)]


def _hash_ranges(ranges: Sequence[Range], reader: HashReader) -> list[bytes]:
    """Hash every range with one ``read_hashes`` call, folding non-perfect ones."""
    plans = [_range_nodes(begin, end) for begin, end in ranges]
    wanted = list(dict.fromkeys(node for plan in plans for node in plan))
    hashes = reader.read_hashes(wanted)
    if len(hashes) != len(wanted):
        raise NotFound(f"hash reader returned {len(hashes)} hashes for {len(wanted)} nodes")
    by_node = dict(zip(wanted, hashes, strict=True))
    return [_fold([by_node[node] for node in plan]) for plan in plans]


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Combine left-to-right perfect subtrees of a right edge: the last two pair first."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


# --- building: root and proofs ------------------------------------------------------------


def _check_size(size: int) -> None:
    if size < 0:
        raise InputError(f"tree size must not be negative, got {size}")


def tree_root(size: int, reader: HashReader) -> bytes:
    """MTH of the first ``size`` leaves (RFC 9162 section 2.1.1), from perfect subtrees."""
    _check_size(size)
    if size == 0:
        return EMPTY_ROOT
    return _hash_ranges([(0, size)], reader)[0]


def inclusion_proof(index: int, size: int, reader: HashReader) -> list[bytes]:
    """The inclusion proof PATH(index, D[size]) of RFC 9162 section 2.1.3.1."""
    _check_size(size)
    if not 0 <= index < size:
        raise InputError(f"leaf index {index} is outside a tree of size {size}")
    return _hash_ranges(_inclusion_ranges(index, 0, size), reader)


def consistency_proof(old_size: int, new_size: int, reader: HashReader) -> list[bytes]:
    """The consistency proof PROOF(old_size, D[new_size]) of RFC 9162 section 2.1.4.1.

    Empty when ``old_size`` is 0 or equals ``new_size``: those trees are always consistent.
    """
    _check_size(old_size)
    if old_size > new_size:
        raise InputError(f"old size {old_size} is larger than new size {new_size}")
    if old_size in (0, new_size):
        return []
    return _hash_ranges(_consistency_ranges(old_size, 0, new_size, True), reader)


# --- verifying ----------------------------------------------------------------------------


def _check_hashes(what: str, hashes: Iterable[bytes]) -> None:
    for i, h in enumerate(hashes):
        if len(h) != HASH_SIZE:
            raise VerificationError(f"{what}[{i}] is {len(h)} bytes, expected {HASH_SIZE}")


def _expect(what: str, expected: bytes, computed: bytes) -> None:
    if expected != computed:
        raise VerificationError(
            f"{what} mismatch: expected {expected.hex()}, computed {computed.hex()}"
        )


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check an inclusion proof by RFC 9162 section 2.1.3.2; raise ``VerificationError``."""
    if not 0 <= index < size:
        raise VerificationError(f"leaf index {index} is outside a tree of size {size}")
    _check_hashes("leaf hash", [leaf_hash])
    _check_hashes("root", [root])
    _check_hashes("proof", proof)
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise VerificationError(f"inclusion proof has {len(proof)} hashes, too many")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError(f"inclusion proof has {len(proof)} hashes, too few")
    _expect("root", root, r)


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Check a consistency proof by RFC 9162 section 2.1.4.2; raise ``VerificationError``.

    Trees of equal size are consistent only with an empty proof and equal roots; the empty
    tree is consistent with every tree, by an empty proof, if ``old_root`` is ``EMPTY_ROOT``.
    """
    if not 0 <= old_size <= new_size:
        raise VerificationError(f"sizes {old_size} -> {new_size}: a log never shrinks")
    _check_hashes("root", [old_root, new_root])
    _check_hashes("proof", proof)
    if old_size in (0, new_size):
        if proof:
            raise VerificationError(f"expected an empty proof, got {len(proof)} hashes")
        if old_size == 0:
            _expect("old root", EMPTY_ROOT, old_root)
        if old_size == new_size:
            _expect("new root", old_root, new_root)
        return
    fr, sr = _consistency_roots(old_size, new_size, proof, old_root)
    _expect("old root", old_root, fr)
    _expect("new root", new_root, sr)


def _consistency_roots(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes
) -> tuple[bytes, bytes]:
    """Steps 2-7 of RFC 9162 section 2.1.4.2: the (old, new) roots the proof implies."""
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    if not path:
        raise VerificationError("consistency proof is empty")
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError(f"consistency proof has {len(proof)} hashes, too many")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError(f"consistency proof has {len(proof)} hashes, too few")
    return fr, sr


# --- an in-memory reader ------------------------------------------------------------------


class MemoryHashReader(HashReader):
    """Every perfect-subtree hash of a tree held in memory, level by level.

    Used by tests as the simple model, and by ``credo verify`` after replaying all entries.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for h in leaf_hashes:
            self.append(h)

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return len(self._levels[0])

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf hash and every perfect subtree it completes."""
        if len(leaf_hash) != HASH_SIZE:
            raise InputError(f"leaf hash is {len(leaf_hash)} bytes, expected {HASH_SIZE}")
        level, h = 0, leaf_hash
        while True:
            row = self._levels[level]
            row.append(h)
            if len(row) % 2:
                return
            h = node_hash(row[-2], row[-1])
            level += 1
            if level == len(self._levels):
                self._levels.append([])

    def root(self, size: int | None = None) -> bytes:
        """The tree root at ``size`` leaves (default: all of them)."""
        return tree_root(self.size if size is None else size, self)

    def read_hashes(self, nodes: Sequence[tuple[int, int]]) -> list[bytes]:
        """See ``HashReader.read_hashes``."""
        out = []
        for level, index in nodes:
            if not (0 <= level < len(self._levels) and 0 <= index < len(self._levels[level])):
                raise NotFound(f"no perfect subtree at level {level}, index {index}")
            out.append(self._levels[level][index])
        return out
