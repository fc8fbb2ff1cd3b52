"""Answering C2SP tlog-tiles paths from any verified copy of a tree: the log's own store
(`credo.api.routes.log`) or a mirror's (`credo.mirror.app`), so both serve the same bytes,
headers and problems.

`tile_body` knows only the tree's size and two readers; it decides what exists (nothing past
the tree's right edge, whatever the index) before it reads anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Path
from fastapi.responses import Response

from credo.errors import InputError, NotFound
from credo.tlog import HASH_SIZE, TILE_HEIGHT, TILE_WIDTH, entries_path, parse_tile_path

IMMUTABLE = "public, max-age=31536000, immutable"
TEXT = "text/plain; charset=utf-8"
# No tile of a log of up to 2**64 entries has a longer path; parsing a longer one (thousands
# of index elements into one huge integer) would only cost CPU.
MAX_TILE_PATH = len(entries_path(2**64 - 1, TILE_WIDTH - 1))
# The canonical tile paths (C2SP tlog-tiles) after ``tile/``, as `parse_tile_path` accepts them:
# a level 0-63 or ``entries``; the index in 3-digit groups, every one but the last prefixed
# ``x`` and the first of several not 000; a partial width 1-255. Documented only: the route
# answers anything else with its own 400 (`parse_tile_path` says what is wrong).
TILE_PATH = (
    r"^(entries|[0-9]|[1-5][0-9]|6[0-3])/(x(00[1-9]|0[1-9][0-9]|[1-9][0-9]{2})/(x[0-9]{3}/)*)?"
    r"[0-9]{3}(\.p/([1-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5]))?$"
)
TilePath = Annotated[
    str,
    Path(
        description="`<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`, canonically encoded",
        json_schema_extra={"pattern": TILE_PATH, "maxLength": MAX_TILE_PATH - len("tile/")},
    ),
]

ReadTile = Callable[[int, int], bytes]
"""(level, index) -> the stored hashes of that tile: the full tile, or a partial one at least
as wide as any width served (a partial tile only grows, so every narrower one is a prefix)."""
ReadBundle = Callable[[int, int], bytes | None]
"""(index, width) -> the entry bundle of the first ``width`` entries of tile (0, index), or
None if they are not held."""


def tile_body(path: str, tree_size: int, read_tile: ReadTile, read_bundle: ReadBundle) -> bytes:
    """The body of ``/log/tile/<path>`` for a tree of ``tree_size`` leaves.

    ``InputError`` (400) for a path that is not canonical or longer than any; ``NotFound``
    (404, ``no_tile``) for a tile or bundle past the tree's right edge or not held.
    """
    full = f"tile/{path}"
    if len(full) > MAX_TILE_PATH:
        raise InputError(f"a tile path is at most {MAX_TILE_PATH} characters")
    level, index, width = parse_tile_path(full)
    # A tile past the tree's right edge does not exist, whatever its index (one past 2**63
    # would not even fit the store's integers): answered before the store is asked.
    hashes = tree_size >> (0 if level == "entries" else TILE_HEIGHT * int(level))
    kind = "entry bundle" if level == "entries" else "tile"
    if index * TILE_WIDTH + width > hashes:
        raise NotFound(f"{kind} {path} does not exist yet", code="no_tile")
    if level == "entries":
        body = read_bundle(index, width)
        if body is None:
            raise NotFound(f"{kind} {path} does not exist yet", code="no_tile")
        return body
    stored = read_tile(int(level), index)
    if len(stored) < width * HASH_SIZE:
        raise NotFound(f"{kind} {path} does not exist yet", code="no_tile")
    return stored[: width * HASH_SIZE]


def tile_response(body: bytes) -> Response:
    """A tile or bundle, with the year-long cache lifetime immutable tiles get."""
    return Response(
        body, media_type="application/octet-stream", headers={"Cache-Control": IMMUTABLE}
    )
