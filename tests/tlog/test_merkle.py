"""RFC 9162 tree hashing and proofs: the RFC 6962 vectors, then Hypothesis against the model."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credo.errors import InputError, NotFound, VerificationError
from credo.tlog.merkle import (
    EMPTY_ROOT,
    MemoryHashReader,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

# transparency-dev/merkle testonly/constants.go and proof/verify_test.go (RFC 6962 vectors).
LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
ROOTS = [
    bytes.fromhex(h)
    for h in [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]
H = bytes.fromhex
# (0-based leaf index, tree size, proof); the Go file lists 1-based leaf numbers.
INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            H("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]
LEAF_HASHES = [leaf_hash(d) for d in LEAVES]
SOME_HASH = H("abacaba000000000000000000000000000000000000000000060061e00123456")


class CountingReader(MemoryHashReader):
    """Records every read_hashes call, to check proofs read once and O(log n) nodes."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        super().__init__(leaf_hashes)
        self.calls: list[int] = []

    def read_hashes(self, nodes: Sequence[tuple[int, int]]) -> list[bytes]:
        self.calls.append(len(nodes))
        return super().read_hashes(nodes)


def test_empty_root_is_sha256_of_nothing() -> None:
    assert ROOTS[0] == EMPTY_ROOT
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    assert tree_root(0, MemoryHashReader()) == EMPTY_ROOT


@pytest.mark.parametrize("size", range(9))
def test_roots_match_rfc6962_vectors(size: int) -> None:
    reader = MemoryHashReader(LEAF_HASHES)
    assert root_from_leaf_hashes(LEAF_HASHES[:size]) == ROOTS[size]
    assert tree_root(size, reader) == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_vectors(index: int, size: int, proof: list[bytes]) -> None:
    reader = MemoryHashReader(LEAF_HASHES)
    assert inclusion_proof(index, size, reader) == proof
    verify_inclusion(LEAF_HASHES[index], index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_vectors_corrupted(index: int, size: int, proof: list[bytes]) -> None:
    """The probes of transparency-dev/merkle's corruptInclusionProof all fail."""
    leaf, root = LEAF_HASHES[index], ROOTS[size]
    probes: list[tuple[bytes, int, int, list[bytes], bytes]] = [
        (leaf, index - 1, size, proof, root),
        (leaf, index + 1, size, proof, root),
        (leaf, index ^ 2, size, proof, root),
        (leaf, index, size * 2, proof, root),
        (leaf, index, size // 2, proof, root),
        (b"WrongLeaf", index, size, proof, root),
        (leaf, index, size, proof, EMPTY_ROOT),
        (leaf, index, size, proof, SOME_HASH),
        (leaf, index, size, [*proof, b""], root),
        (leaf, index, size, [*proof, root], root),
        (leaf, index, size, [b"", *proof], root),
        (leaf, index, size, [root, *proof], root),
    ]
    for i in range(len(proof)):
        flipped = bytes([proof[i][0] ^ 8]) + proof[i][1:]
        probes.append((leaf, index, size, [*proof[:i], flipped, *proof[i + 1 :]], root))
    if proof:
        probes.append((leaf, index, size, proof[:-1], root))
    if len(proof) > 1:
        probes.append((leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root))
    for probe in probes:
        with pytest.raises(VerificationError):
            verify_inclusion(*probe)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_vectors(old: int, new: int, proof: list[bytes]) -> None:
    reader = MemoryHashReader(LEAF_HASHES)
    assert consistency_proof(old, new, reader) == proof
    verify_consistency(old, new, proof, ROOTS[old], ROOTS[new])


@pytest.mark.parametrize(("old", "new", "proof"), [c for c in CONSISTENCY if c[2]])
def test_consistency_vectors_corrupted(old: int, new: int, proof: list[bytes]) -> None:
    """The probes of transparency-dev/merkle's corruptConsistencyProof all fail."""
    r1, r2 = ROOTS[old], ROOTS[new]
    probes: list[tuple[int, int, list[bytes], bytes, bytes]] = [
        (old - 1, new, proof, r1, r2),
        (old + 1, new, proof, r1, r2),
        (old ^ 2, new, proof, r1, r2),
        (old, new * 2, proof, r1, r2),
        (old, new // 2, proof, r1, r2),
        (old, new, proof, b"WrongRoot", r2),
        (old, new, proof, r1, b"WrongRoot"),
        (old, new, proof, r2, r1),
        (old, new, [], r1, r2),
        (old, new, [*proof, b""], r1, r2),
        (old, new, [*proof, r1], r1, r2),
        (old, new, [*proof, r2], r1, r2),
        (old, new, [b"", *proof], r1, r2),
        (old, new, [r1, *proof], r1, r2),
        (old, new, [r2, *proof], r1, r2),
        (old, new, [proof[0], *proof], r1, r2),
        (old, new, proof[:-1], r1, r2),
    ]
    for i in range(len(proof)):
        flipped = bytes([proof[i][0] ^ 16]) + proof[i][1:]
        probes.append((old, new, [*proof[:i], flipped, *proof[i + 1 :]], r1, r2))
    for probe in probes:
        with pytest.raises(VerificationError):
            verify_consistency(*probe)


def test_inclusion_edge_cases() -> None:
    for index, size in [(0, 0), (1, 0), (2, 1), (-1, 4)]:
        with pytest.raises(VerificationError, match="outside"):
            verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)
        with pytest.raises(InputError):
            inclusion_proof(index, size, MemoryHashReader(LEAF_HASHES))
    # A one-leaf tree: root is the leaf hash, proof is empty.
    verify_inclusion(SOME_HASH, 0, 1, [], SOME_HASH)
    with pytest.raises(VerificationError, match="expected"):
        verify_inclusion(SOME_HASH, 0, 1, [], EMPTY_ROOT)
    with pytest.raises(VerificationError):
        verify_inclusion(b"", 0, 1, [], b"")


def test_consistency_edge_cases() -> None:
    r1, r2 = ROOTS[1], ROOTS[2]
    verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    verify_consistency(0, 5, [], EMPTY_ROOT, ROOTS[5])
    verify_consistency(1, 1, [], r1, r1)
    bad: list[tuple[int, int, list[bytes], bytes, bytes]] = [
        (1, 1, [], r1, r2),  # equal sizes, different roots
        (0, 0, [], EMPTY_ROOT, r2),
        (0, 3, [], r1, ROOTS[3]),  # the empty tree has one root
        (1, 0, [], r1, EMPTY_ROOT),  # time travel
        (2, 1, [], r2, r1),
        (1, 2, [], r1, r2),  # empty proof
        (0, 0, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT),  # non-empty proof for trivial case
        (0, 1, [EMPTY_ROOT], EMPTY_ROOT, r1),
        (1, 1, [EMPTY_ROOT], r1, r1),
    ]
    for probe in bad:
        with pytest.raises(VerificationError):
            verify_consistency(*probe)
    assert consistency_proof(0, 8, MemoryHashReader(LEAF_HASHES)) == []
    with pytest.raises(InputError):
        consistency_proof(3, 2, MemoryHashReader(LEAF_HASHES))


def test_reader_missing_nodes_raise_not_found() -> None:
    reader = MemoryHashReader(LEAF_HASHES[:3])
    with pytest.raises(NotFound):
        tree_root(4, reader)
    with pytest.raises(NotFound):
        inclusion_proof(0, 5, reader)


def test_memory_reader_rejects_bad_leaf_hash() -> None:
    with pytest.raises(InputError):
        MemoryHashReader([b"short"])


def _hashes(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


@given(st.data())
def test_proofs_from_memory_reader_verify(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 600), label="size")
    old = data.draw(st.integers(0, size), label="old")
    index = data.draw(st.integers(0, size - 1), label="index")
    hashes = _hashes(size)
    reader = CountingReader(hashes)
    root, old_root = root_from_leaf_hashes(hashes), root_from_leaf_hashes(hashes[:old])

    assert tree_root(size, reader) == root
    proof = inclusion_proof(index, size, reader)
    verify_inclusion(hashes[index], index, size, proof, root)
    cproof = consistency_proof(old, size, reader)
    verify_consistency(old, size, cproof, old_root, root)
    assert all(n <= 2 * size.bit_length() for n in reader.calls)
    assert len(reader.calls) == 2 + (0 < old < size)


@given(st.data())
def test_corrupted_proofs_fail(data: st.DataObject) -> None:
    size = data.draw(st.integers(2, 600), label="size")
    old = data.draw(st.integers(1, size - 1), label="old")
    index = data.draw(st.integers(0, size - 1), label="index")
    hashes = _hashes(size)
    reader = MemoryHashReader(hashes)
    root, old_root = root_from_leaf_hashes(hashes), root_from_leaf_hashes(hashes[:old])
    proof = inclusion_proof(index, size, reader)
    cproof = consistency_proof(old, size, reader)

    pos = data.draw(st.integers(0, len(proof) * 32 - 1), label="flip") if proof else None
    if pos is not None:
        bad = [bytearray(p) for p in proof]
        bad[pos // 32][pos % 32] ^= 1
        with pytest.raises(VerificationError):
            verify_inclusion(hashes[index], index, size, [bytes(b) for b in bad], root)
    other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index), label="other")
    with pytest.raises(VerificationError):
        verify_inclusion(hashes[index], other, size, proof, root)
    # A proof only fixes the size up to its shape, so a wrong size must fail when it would
    # need a proof of a different length (transparency-dev probes size * 2 and size / 2).
    wrong_size = data.draw(st.integers(1, 1200).filter(lambda s: s != size), label="wrong")
    big = MemoryHashReader(_hashes(max(size, wrong_size)))
    if index >= wrong_size or len(inclusion_proof(index, wrong_size, big)) != len(proof):
        with pytest.raises(VerificationError):
            verify_inclusion(hashes[index], index, wrong_size, proof, root)

    cpos = data.draw(st.integers(0, len(cproof) * 32 - 1), label="cflip")
    cbad = [bytearray(p) for p in cproof]
    cbad[cpos // 32][cpos % 32] ^= 1
    with pytest.raises(VerificationError):
        verify_consistency(old, size, [bytes(b) for b in cbad], old_root, root)
    if wrong_size < old or len(consistency_proof(old, wrong_size, big)) != len(cproof):
        with pytest.raises(VerificationError):
            verify_consistency(old, wrong_size, cproof, old_root, root)
    for halved_or_doubled in {size * 2, size // 2} - {old}:
        with pytest.raises(VerificationError):
            verify_consistency(old, halved_or_doubled, cproof, old_root, root)
        if index < halved_or_doubled:
            with pytest.raises(VerificationError):
                verify_inclusion(hashes[index], index, halved_or_doubled, proof, root)
