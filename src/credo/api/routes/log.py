"""C2SP tlog-tiles under /log/: any standard tlog client verifies the log from these alone."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response

from credo.api.deps import LedgerDep, StoreDep
from credo.api.problems import problem_responses
from credo.api.tiles import IMMUTABLE, TEXT, TilePath, tile_body, tile_response
from credo.errors import NotFound
from credo.ledger import Ledger, proofs
from credo.ledger.kinds.governance import WITNESS_POLICY_META
from credo.services.witnessing import QUORUM_HEADER, quorum_met
from credo.store import Store
from credo.tlog import TILE_WIDTH, encode_entry_bundle

router = APIRouter(prefix="/log", tags=["log"])


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
    return tile_response(tile_body(path, store.tree_size(), store.read_tile, _bundle(store)))


def _bundle(store: Store) -> Callable[[int, int], bytes | None]:
    def read(index: int, width: int) -> bytes | None:
        entries = store.read_entries(index * TILE_WIDTH, width)
        return encode_entry_bundle(entries) if len(entries) == width else None

    return read
