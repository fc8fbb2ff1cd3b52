"""The tile layout of C2SP tlog-tiles: paths, entry bundles, reading and appending hash tiles.

A tile at level L holds up to 256 hashes of tree level 8L; everything here is pure, the
caller supplies tile bytes through a ``read_tile(level, index)`` callable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from credo.errors import InputError, NotFound
from credo.tlog.merkle import HASH_SIZE, HashReader, node_hash

TILE_HEIGHT = 8
TILE_WIDTH = 256
MAX_LEVEL = 63
MAX_ENTRY_SIZE = 0xFFFF

ReadTile = Callable[[int, int], bytes]

_ELEMENT = re.compile(r"x?[0-9]{3}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


# --- paths (C2SP tlog-tiles, "Merkle Tree" and "Log Entries") -----------------------------


def _encode_index(index: int) -> str:
    """The tile index as 3-digit path elements, all but the last prefixed with "x"."""
    if index < 0:
        raise InputError(f"tile index must not be negative, got {index}")
    groups = []
    while True:
        groups.append(f"{index % 1000:03d}")
        index //= 1000
        if index == 0:
            break
    groups.reverse()
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def _width_suffix(width: int) -> str:
    if not 1 <= width <= TILE_WIDTH:
        raise InputError(f"tile width must be 1..{TILE_WIDTH}, got {width}")
    return "" if width == TILE_WIDTH else f".p/{width}"


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """``tile/<L>/<N>[.p/<W>]`` per C2SP tlog-tiles; 1234067 encodes as ``x001/x234/067``."""
    if not 0 <= level <= MAX_LEVEL:
        raise InputError(f"tile level must be 0..{MAX_LEVEL}, got {level}")
    return f"tile/{level}/{_encode_index(index)}{_width_suffix(width)}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    """``tile/entries/<N>[.p/<W>]`` per C2SP tlog-tiles, the entry bundle of tile (0, N)."""
    return f"tile/entries/{_encode_index(index)}{_width_suffix(width)}"


def parse_tile_path(path: str) -> tuple[str | int, int, int]:
    """Parse a path relative to the log prefix into (level or "entries", index, width).

    Only the canonical encoding is accepted (C2SP tlog-tiles): it must be exactly what
    ``tile_path`` / ``entries_path`` produce, so no leading zeros and no full-width ``.p``.
    """
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise InputError(f"not a tile path: {path!r}")
    width = TILE_WIDTH
    if len(parts) >= 4 and parts[-2].endswith(".p"):
        width = _parse_decimal(parts[-1], path)
        parts = [*parts[:-2], parts[-2][:-2]]
    level: str | int = parts[1] if parts[1] == "entries" else _parse_decimal(parts[1], path)
    index = 0
    for element in parts[2:]:
        if not _ELEMENT.fullmatch(element):
            raise InputError(f"bad tile index element {element!r} in {path!r}")
        index = index * 1000 + int(element.removeprefix("x"))
    canonical = (
        entries_path(index, width) if level == "entries" else tile_path(int(level), index, width)
    )
    if canonical != path:
        raise InputError(f"non-canonical tile path {path!r}, expected {canonical!r}")
    return level, index, width


def _parse_decimal(text: str, path: str) -> int:
    if not _DECIMAL.fullmatch(text) or len(text) > 3:
        raise InputError(f"bad number {text!r} in tile path {path!r}")
    return int(text)


# --- entry bundles (C2SP tlog-tiles, "Log Entries") ---------------------------------------


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    """Each entry as a 2-byte big-endian length followed by its bytes."""
    out = bytearray()
    for i, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_SIZE:
            raise InputError(f"entry {i} is {len(entry)} bytes, the limit is {MAX_ENTRY_SIZE}")
        out += len(entry).to_bytes(2, "big")
        out += entry
    return bytes(out)


def decode_entry_bundle(data: bytes) -> list[bytes]:
    """Split an entry bundle back into entries; ``InputError`` if it is truncated."""
    entries, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise InputError(f"entry bundle truncated in a length prefix at byte {pos}")
        end = pos + 2 + int.from_bytes(data[pos : pos + 2], "big")
        if end > len(data):
            raise InputError(f"entry bundle truncated: entry at byte {pos} needs {end} bytes")
        entries.append(data[pos + 2 : end])
        pos = end
    return entries


def entry_bundle_slice(data: bytes, start: int, count: int) -> list[bytes]:
    """Entries ``start`` to ``start + count - 1`` of an entry bundle (fewer if it ends first),
    stepping over the ones before by their length prefixes instead of copying them: a page
    reading one entry out of a full bundle walks 256 prefixes rather than splitting 256
    entries (60 us rather than 270 us here). ``InputError`` if it is truncated."""
    out: list[bytes] = []
    pos, seen, size = 0, 0, len(data)
    while pos < size and len(out) < count:
        if pos + 2 > size:
            raise InputError(f"entry bundle truncated in a length prefix at byte {pos}")
        end = pos + 2 + (data[pos] << 8 | data[pos + 1])
        if end > size:
            raise InputError(f"entry bundle truncated: entry at byte {pos} needs {end} bytes")
        if seen >= start:
            out.append(data[pos + 2 : end])
        pos, seen = end, seen + 1
    return out


# --- hash tiles -----------------------------------------------------------------------------


def _check_tile(data: bytes, key: tuple[int, int]) -> None:
    if len(data) % HASH_SIZE or len(data) > TILE_WIDTH * HASH_SIZE:
        raise InputError(f"tile {key} is {len(data)} bytes, not 1..256 hashes of {HASH_SIZE}")


def _split_hashes(data: bytes) -> list[bytes]:
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def _perfect_root(hashes: Sequence[bytes]) -> bytes:
    """Root of a power-of-two run of hashes (RFC 9162 section 2.1.1 on a perfect subtree)."""
    row = list(hashes)
    while len(row) > 1:
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
    return row[0]


def tile_root(data: bytes) -> bytes:
    """The hash a full tile stands for one level up: the root of its 256 hashes (C2SP
    tlog-tiles: tile L's hashes are the roots of the full tiles of level L - 1)."""
    if len(data) != TILE_WIDTH * HASH_SIZE:
        raise InputError(f"a full tile is {TILE_WIDTH * HASH_SIZE} bytes, got {len(data)}")
    return _perfect_root(_split_hashes(data))


class TileHashReader(HashReader):
    """A ``HashReader`` over stored tiles: any perfect subtree from at most one tile.

    Tree level h, index i lives in tile level L = h // 8 as the root of the 2**(h % 8)
    hashes starting at i * 2**(h % 8), all in tile (L, that start // 256).
    """

    def __init__(self, read_tile: ReadTile) -> None:
        self._read_tile = read_tile

    def read_hashes(self, nodes: Sequence[tuple[int, int]]) -> list[bytes]:
        """See ``merkle.HashReader.read_hashes``; each tile is read at most once per call."""
        tiles: dict[tuple[int, int], bytes] = {}
        out = []
        for level, index in nodes:
            tile_level, k = divmod(level, TILE_HEIGHT)
            start = index << k
            key = (tile_level, start // TILE_WIDTH)
            if key not in tiles:
                tiles[key] = self._read_tile(*key)
                _check_tile(tiles[key], key)
            data = tiles[key]
            begin = (start % TILE_WIDTH) * HASH_SIZE
            end = begin + (HASH_SIZE << k)
            if len(data) < end:
                raise NotFound(
                    f"tile {key} has {len(data) // HASH_SIZE} hashes, "
                    f"node ({level}, {index}) needs {end // HASH_SIZE}"
                )
            out.append(_perfect_root(_split_hashes(data[begin:end])))
        return out


def append_leaves(
    size: int, leaf_hashes: Sequence[bytes], read_tile: ReadTile
) -> dict[tuple[int, int], bytes]:
    """The new full contents of every tile that changes when ``leaf_hashes`` are appended.

    ``size`` is the current tree size; ``read_tile`` is asked only for the right-edge partial
    tiles. A tile that fills up contributes its root to the level above (C2SP tlog-tiles).
    """
    if size < 0:
        raise InputError(f"tree size must not be negative, got {size}")
    for i, h in enumerate(leaf_hashes):
        if len(h) != HASH_SIZE:
            raise InputError(f"leaf hash {i} is {len(h)} bytes, expected {HASH_SIZE}")
    changed: dict[tuple[int, int], bytes] = {}
    level, new = 0, list(leaf_hashes)
    while new:
        new = _append_level(level, size >> (TILE_HEIGHT * level), new, read_tile, changed)
        level += 1
    return changed


def _append_level(
    level: int,
    count: int,
    new: list[bytes],
    read_tile: ReadTile,
    changed: dict[tuple[int, int], bytes],
) -> list[bytes]:
    """Append ``new`` hashes to tile level ``level`` holding ``count``; return the new roots."""
    first, have = divmod(count, TILE_WIDTH)
    row = _existing_prefix(level, first, have, read_tile) + new
    roots = []
    for offset in range(0, len(row), TILE_WIDTH):
        chunk = row[offset : offset + TILE_WIDTH]
        changed[(level, first + offset // TILE_WIDTH)] = b"".join(chunk)
        if len(chunk) == TILE_WIDTH:
            roots.append(_perfect_root(chunk))
    return roots


def _existing_prefix(level: int, index: int, have: int, read_tile: ReadTile) -> list[bytes]:
    """The ``have`` hashes already in the right-edge partial tile (level, index)."""
    if have == 0:
        return []
    data = read_tile(level, index)
    _check_tile(data, (level, index))
    if len(data) < have * HASH_SIZE:
        raise NotFound(f"tile ({level}, {index}) has {len(data)} bytes, expected {have} hashes")
    return _split_hashes(data[: have * HASH_SIZE])
