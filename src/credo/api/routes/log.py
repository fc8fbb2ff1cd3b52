"""C2SP tlog-tiles under /log/: any standard tlog client verifies the log from these alone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import PlainTextResponse, Response

from credo.api.deps import LedgerDep, StoreDep
from credo.api.problems import problem_responses
from credo.errors import InputError, NotFound
from credo.ledger import Ledger, proofs
from credo.ledger.kinds.governance import WITNESS_POLICY_META
from credo.services.witnessing import QUORUM_HEADER, quorum_met
from credo.tlog import (
    HASH_SIZE,
    TILE_HEIGHT,
    TILE_WIDTH,
    encode_entry_bundle,
    entries_path,
    parse_tile_path,
)

router = APIRouter(prefix="/log", tags=["log"])

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


# async: clients poll this, and its one-row read is quicker than a hop to the thread pool.
@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    responses={
        200: {"description": "the checkpoint, a signed note"},
        **problem_responses(404, 503, notes={404: "no checkpoint yet (no_checkpoint)"}),
    },
)
async def checkpoint(ledger: LedgerDep) -> Response:
    """The latest signed checkpoint (C2SP tlog-checkpoint as a signed note), with the
    cosignature lines its witnesses gave it (C2SP tlog-cosignature).

    Once the consortium has adopted a witness policy, the ``Credo-Witness-Quorum`` header
    says whether these cosignatures meet its quorum (``met`` or ``unmet``); clients refuse
    an unmet checkpoint. Without a policy there is no header."""
    published = proofs.latest(ledger.store)
    return Response(published.note, media_type=TEXT, headers=quorum_headers(ledger, published))


def quorum_headers(ledger: Ledger, published: proofs.Published) -> dict[str, str]:
    """No caching, and the quorum header once a witness policy is adopted."""
    headers = {"Cache-Control": "no-store"}
    met = quorum_met(ledger.store, published.note, ledger.verifier)
    if met is not None:
        headers[QUORUM_HEADER] = "met" if met else "unmet"
    return headers


@router.get(
    "/witness-policy",
    response_class=PlainTextResponse,
    responses={
        200: {"description": "the adopted C2SP tlog-policy"},
        **problem_responses(404, notes={404: "no witness policy adopted (no_witness_policy)"}),
    },
)
def witness_policy(store: StoreDep) -> Response:
    """The witness policy the consortium adopted (C2SP tlog-policy): its witnesses and the
    quorum of cosignatures a checkpoint needs. A client should pin the policy out of band,
    as it pins the log key; this copy is for comparing with it."""
    text = store.get_meta(WITNESS_POLICY_META)
    if text is None:
        raise NotFound("the consortium has adopted no witness policy", code="no_witness_policy")
    return Response(text, media_type=TEXT, headers={"Cache-Control": "no-store"})


@router.get("/vkey", response_class=PlainTextResponse, responses={200: {"description": "the key"}})
def vkey(ledger: LedgerDep) -> Response:
    """The log's signed-note verifier key (``name+hexid+base64key``)."""
    return Response(ledger.verifier_key + "\n", media_type=TEXT)


@router.get(
    "/tile/{path:path}",
    response_class=Response,
    responses={
        200: {
            "description": "the tile's hashes, or the bundle's entries (each a 2-byte big-endian "
            "length, then its bytes)",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
            "headers": {"Cache-Control": {"schema": {"type": "string"}, "description": IMMUTABLE}},
        },
        **problem_responses(
            400,
            404,
            503,
            notes={
                400: "not a canonical tile path, or longer than any",
                404: "past the tree's right edge (no_tile)",
            },
        ),
    },
)
def tile(path: TilePath, store: StoreDep) -> Response:
    """A hash tile ``tile/<L>/<N>[.p/<W>]`` or an entry bundle ``tile/entries/<N>[.p/<W>]``.

    Both are immutable once they exist (a partial tile's first W hashes never change), so
    they are served with a year-long cache lifetime.
    """
    full = f"tile/{path}"
    if len(full) > MAX_TILE_PATH:
        raise InputError(f"a tile path is at most {MAX_TILE_PATH} characters")
    level, index, width = parse_tile_path(full)
    # A tile past the tree's right edge does not exist, whatever its index (one past 2**63
    # would not even fit the store's integers): answered before the store is asked.
    hashes = store.tree_size() >> (0 if level == "entries" else TILE_HEIGHT * int(level))
    if index * TILE_WIDTH + width > hashes:
        kind = "entry bundle" if level == "entries" else "tile"
        raise NotFound(f"{kind} {path} does not exist yet", code="no_tile")
    if level == "entries":
        entries = store.read_entries(index * TILE_WIDTH, width)
        if len(entries) != width:
            raise NotFound(f"entry bundle {path} does not exist yet", code="no_tile")
        body = encode_entry_bundle(entries)
    else:
        stored = store.read_tile(int(level), index)
        if len(stored) < width * HASH_SIZE:
            raise NotFound(f"tile {path} does not exist yet", code="no_tile")
        body = stored[: width * HASH_SIZE]
    return Response(
        body, media_type="application/octet-stream", headers={"Cache-Control": IMMUTABLE}
    )
