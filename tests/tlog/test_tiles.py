"""C2SP tlog-tiles: path encoding, entry bundles, and proofs served from appended tiles."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credo.errors import InputError, NotFound
from credo.tlog.merkle import (
    MemoryHashReader,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from credo.tlog.tiles import (
    TILE_WIDTH,
    TileHashReader,
    append_leaves,
    decode_entry_bundle,
    encode_entry_bundle,
    entries_path,
    entry_bundle_slice,
    parse_tile_path,
    tile_path,
    tile_root,
)

Tiles = dict[tuple[int, int], bytes]


def _hashes(n: int, start: int = 0) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(start, start + n)]


def _reader_of(tiles: Tiles) -> Callable[[int, int], bytes]:
    def read_tile(level: int, index: int) -> bytes:
        if (level, index) not in tiles:
            raise NotFound(f"tile {level}/{index}")
        return tiles[(level, index)]

    return read_tile


def _build(hashes: list[bytes], chunks: list[int]) -> Tiles:
    """Append ``hashes`` in chunks of the given sizes (the rest in one final chunk)."""
    tiles: Tiles = {}
    size = 0
    for n in [*chunks, len(hashes)]:
        batch = hashes[size : size + n]
        tiles.update(append_leaves(size, batch, _reader_of(tiles)))
        size += len(batch)
    return tiles


# --- paths ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "index", "width", "path"),
    [
        (0, 0, 256, "tile/0/000"),
        (0, 1234067, 256, "tile/0/x001/x234/067"),  # the C2SP tlog-tiles example
        (0, 1234067, 7, "tile/0/x001/x234/067.p/7"),
        (1, 999, 256, "tile/1/999"),
        (2, 1000, 1, "tile/2/x001/000.p/1"),
        (63, 1_000_000, 255, "tile/63/x001/x000/000.p/255"),
        ("entries", 1234067, 256, "tile/entries/x001/x234/067"),
        ("entries", 5, 128, "tile/entries/005.p/128"),
    ],
)
def test_path_vectors_round_trip(level: str | int, index: int, width: int, path: str) -> None:
    made = entries_path(index, width) if level == "entries" else tile_path(int(level), index, width)
    assert made == path
    assert parse_tile_path(path) == (level, index, width)


@pytest.mark.parametrize(
    "path",
    [
        "",
        "tile",
        "tile/0",
        "tiles/0/000",
        "tile/0/0",
        "tile/0/00",
        "tile/0/0000",
        "tile/0/x000",
        "tile/0/x000/001",  # a leading zero group
        "tile/0/001/x001",  # x on the last element
        "tile/0/x1/001",
        "tile/00/000",
        "tile/01/000",
        "tile/64/000",
        "tile/-1/000",
        "tile/a/000",
        "tile/0/000.p/0",
        "tile/0/000.p/256",  # a full tile has no .p
        "tile/0/000.p/07",
        "tile/0/000.p/",
        "tile/0/000.p",
        "tile/0/000.q/5",
        "tile/0/000/",
        "/tile/0/000",
        "tile/data/000",
        "tile/entries/0000",
        "tile/entries/000.p/300",
        "tile/0/+12",
        "tile/0/１２３",  # non-ASCII digits
    ],
)
def test_malformed_paths_are_rejected(path: str) -> None:
    with pytest.raises(InputError):
        parse_tile_path(path)


@pytest.mark.parametrize(
    ("level", "index", "width"), [(64, 0, 256), (-1, 0, 256), (0, -1, 256), (0, 0, 0), (0, 0, 257)]
)
def test_path_arguments_are_checked(level: int, index: int, width: int) -> None:
    with pytest.raises(InputError):
        tile_path(level, index, width)
    if level == 0:
        with pytest.raises(InputError):
            entries_path(index, width)


@given(st.integers(0, 63), st.integers(0, 2**64), st.integers(1, 256))
def test_paths_round_trip(level: int, index: int, width: int) -> None:
    assert parse_tile_path(tile_path(level, index, width)) == (level, index, width)
    assert parse_tile_path(entries_path(index, width)) == ("entries", index, width)


# --- entry bundles --------------------------------------------------------------------------


def test_entry_bundle_encoding() -> None:
    assert encode_entry_bundle([b"ab", b"", b"c"]) == b"\x00\x02ab\x00\x00\x00\x01c"
    assert decode_entry_bundle(b"\x00\x02ab\x00\x00\x00\x01c") == [b"ab", b"", b"c"]
    assert encode_entry_bundle([]) == b""
    assert decode_entry_bundle(b"") == []


def test_entry_bundle_limits() -> None:
    big = b"x" * 65535
    assert decode_entry_bundle(encode_entry_bundle([big])) == [big]
    with pytest.raises(InputError):
        encode_entry_bundle([b"x" * 65536])
    for truncated in (b"\x00", b"\x00\x02a", b"\x00\x01a\x00"):
        with pytest.raises(InputError):
            decode_entry_bundle(truncated)


@given(st.lists(st.binary(max_size=300), max_size=20))
def test_entry_bundles_round_trip(entries: list[bytes]) -> None:
    assert decode_entry_bundle(encode_entry_bundle(entries)) == entries


# --- hash tiles -----------------------------------------------------------------------------


def test_append_to_empty_tree() -> None:
    assert append_leaves(0, [], _reader_of({})) == {}
    hashes = _hashes(3)
    assert append_leaves(0, hashes, _reader_of({})) == {(0, 0): b"".join(hashes)}


def test_tiles_of_a_multi_level_tree() -> None:
    """256 * 256 + 300 leaves: full level-0 tiles, a full level-1 tile, a level-2 start."""
    size = TILE_WIDTH * TILE_WIDTH + 300
    hashes = _hashes(size)
    tiles = _build(hashes, [1000, 1, 40_000])
    assert tiles[(0, 256)] == b"".join(hashes[65536:65792])
    assert tiles[(0, 257)] == b"".join(hashes[65792:])
    model = MemoryHashReader(hashes)
    level8 = model.read_hashes([(8, i) for i in range(257)])
    assert tiles[(1, 0)] == b"".join(level8[:256])
    assert tiles[(1, 1)] == level8[256]
    assert tiles[(2, 0)] == model.read_hashes([(16, 0)])[0]
    assert len(tiles) == 258 + 2 + 1
    assert tree_root(size, TileHashReader(_reader_of(tiles))) == tree_root(size, model)


def test_append_reads_only_right_edge_tiles() -> None:
    tiles = _build(_hashes(256 * 3 + 5), [])
    read: list[tuple[int, int]] = []

    def read_tile(level: int, index: int) -> bytes:
        read.append((level, index))
        return tiles[(level, index)]

    changed = append_leaves(256 * 3 + 5, _hashes(600, 256 * 3 + 5), read_tile)
    assert read == [(0, 3), (1, 0)]
    assert sorted(changed) == [(0, 3), (0, 4), (0, 5), (1, 0)]


def test_tile_reader_reads_each_tile_once_and_reports_missing() -> None:
    tiles = _build(_hashes(1000), [])
    read: list[tuple[int, int]] = []

    def read_tile(level: int, index: int) -> bytes:
        read.append((level, index))
        return tiles[(level, index)]

    reader = TileHashReader(read_tile)
    reader.read_hashes([(0, 0), (1, 1), (7, 0), (8, 0), (8, 2), (9, 0)])
    assert sorted(read) == [(0, 0), (1, 0)]
    with pytest.raises(NotFound):
        reader.read_hashes([(0, 1000)])
    with pytest.raises(NotFound):
        reader.read_hashes([(8, 3)])
    with pytest.raises(NotFound):
        TileHashReader(_reader_of(tiles)).read_hashes([(16, 0)])
    with pytest.raises(InputError):
        TileHashReader(lambda level, index: b"x" * 33).read_hashes([(0, 0)])


def test_append_needs_the_partial_tile() -> None:
    with pytest.raises(NotFound):
        append_leaves(5, _hashes(1), _reader_of({}))
    with pytest.raises(NotFound):
        append_leaves(5, _hashes(1), _reader_of({(0, 0): b"\x00" * 64}))
    with pytest.raises(InputError):
        append_leaves(0, [b"short"], _reader_of({}))


def test_append_many_leaves_at_once() -> None:
    hashes = _hashes(50_000)
    tiles = append_leaves(0, hashes, _reader_of({}))
    assert tree_root(50_000, TileHashReader(_reader_of(tiles))) == root_from_leaf_hashes(hashes)


chunkings = st.lists(st.integers(0, 300), max_size=8)


@settings(max_examples=50, deadline=None)
@given(size=st.integers(0, 700), chunks=chunkings)
def test_chunked_append_equals_one_at_a_time(size: int, chunks: list[int]) -> None:
    hashes = _hashes(size)
    assert _build(hashes, chunks) == _build(hashes, [1] * size)


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_proofs_from_tiles_verify(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 700), label="size")
    old = data.draw(st.integers(0, size), label="old")
    index = data.draw(st.integers(0, size - 1), label="index")
    hashes = _hashes(size)
    tiles = _build(hashes, data.draw(chunkings, label="chunks"))
    reader, model = TileHashReader(_reader_of(tiles)), MemoryHashReader(hashes)
    root, old_root = root_from_leaf_hashes(hashes), root_from_leaf_hashes(hashes[:old])

    assert tree_root(size, reader) == root
    assert tree_root(old, reader) == old_root
    proof = inclusion_proof(index, size, reader)
    assert proof == inclusion_proof(index, size, model)
    verify_inclusion(hashes[index], index, size, proof, root)
    cproof = consistency_proof(old, size, reader)
    assert cproof == consistency_proof(old, size, model)
    verify_consistency(old, size, cproof, old_root, root)


def test_matches_go_sumdb_tlog() -> None:
    """Regression vectors from golang.org/x/mod/sumdb/tlog (tile height 8, 70,000 records
    whose data is the 4-byte big-endian record number): tree hash and the top tile."""
    hashes = _hashes(70_000)
    tiles = _build(hashes, [12_345, 256, 1])
    assert tiles[(2, 0)].hex() == "208bed836edee10551d1a0208e22c9eead1a59c4c33abeb697eb60132f61a798"
    assert len(tiles[(1, 1)]) == 17 * 32
    assert tree_root(70_000, TileHashReader(_reader_of(tiles))).hex() == (
        "339ecf3ae716405fdc28cef164e45a785cade0d5bc3e1400a7a4d70d0b2dec9b"
    )


def test_tile_root_is_the_hash_the_level_above_holds() -> None:
    leaves = [leaf_hash(b"%d" % i) for i in range(TILE_WIDTH * 2 + 3)]
    tiles = append_leaves(0, leaves, lambda *_: b"")
    for index in (0, 1):
        assert tile_root(tiles[(0, index)]) == tiles[(1, 0)][32 * index : 32 * (index + 1)]
    with pytest.raises(InputError):
        tile_root(tiles[(0, 2)])  # a partial tile stands for no node of the level above


def test_a_slice_of_an_entry_bundle_is_the_same_entries_as_splitting_it_all() -> None:
    entries = [bytes([i % 251]) * (i * 7 % 300) for i in range(256)]
    data = encode_entry_bundle(entries)
    for start, count in [(0, 1), (255, 1), (100, 3), (250, 20), (0, 256), (256, 1)]:
        assert entry_bundle_slice(data, start, count) == entries[start : start + count]
    with pytest.raises(InputError, match="truncated"):
        entry_bundle_slice(data[:-1], 255, 1)
