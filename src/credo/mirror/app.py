"""The mirror's read-only HTTP interface: the log's C2SP tlog-tiles endpoints, served from
the verified copy only, in the same formats, with the same cache headers and problems as the
log's (`credo.api.tiles`), so any tlog client (``credo verify --url``, Go's sumdb/tlog)
verifies the mirror as it would the log.

- ``GET /log/checkpoint``: the verified checkpoint, with the log's witnesses' cosignatures
  and, if the mirror witnesses, its own; ``Credo-Witness-Quorum: met`` when a witness policy
  is pinned (the mirror keeps no checkpoint short of it). 404 ``no_checkpoint`` before the
  first.
- ``GET /log/vkey``: the pinned log key.
- ``GET /log/tile/...``: tiles and bundles of the verified tree; 404 ``no_tile`` past its
  right edge (even when the copy of a newer checkpoint already holds them).
- Any other method, on any path: 405 ``read_only``, ``Allow: GET``. Writes go to the log.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from credo.api import problems
from credo.api.tiles import TEXT, TilePath, tile_body, tile_response
from credo.errors import NotFound
from credo.mirror.store import MirrorStore
from credo.services.witnessing import QUORUM_HEADER
from credo.tlog import decode_entry_bundle, encode_entry_bundle


class ReadOnly:
    """ASGI middleware: every request but a GET is answered 405 before any route runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] != "GET":
            response = problems.problem(
                405,
                "read_only",
                f"this is a read-only mirror of the log: {scope['method']} is not allowed here "
                "(send writes to the log itself)",
                headers={"Allow": "GET"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_mirror_app(store: MirrorStore, log_vkey: str, *, policy_pinned: bool) -> FastAPI:
    """The app serving ``store``'s verified copy; the caller owns (and closes) the store."""
    app = FastAPI(
        title="credo mirror",
        summary="A verified, read-only copy of a credo log (C2SP tlog-tiles).",
        docs_url=None,  # no CDN-hosted UI; /openapi.json describes the routes
        redoc_url=None,
    )
    problems.install(app)
    app.add_middleware(ReadOnly)

    def read_bundle(index: int, width: int) -> bytes | None:
        count, data = store.read_bundle(index)
        if count < width:
            return None
        if count == width:
            return data
        return encode_entry_bundle(decode_entry_bundle(data)[:width])

    @app.get("/log/checkpoint", response_class=PlainTextResponse)
    def checkpoint() -> Response:
        """The verified checkpoint (C2SP tlog-checkpoint) and its cosignatures."""
        kept = store.checkpoint()
        if kept is None:
            raise NotFound("this mirror has verified no checkpoint yet", code="no_checkpoint")
        headers = {"Cache-Control": "no-store"}
        if policy_pinned:
            headers[QUORUM_HEADER] = "met"
        return Response(kept.served, media_type=TEXT, headers=headers)

    @app.get("/log/vkey", response_class=PlainTextResponse)
    def vkey() -> Response:
        """The log's signed-note verifier key, as pinned by the mirror."""
        return Response(log_vkey + "\n", media_type=TEXT)

    @app.get("/log/tile/{path:path}", response_class=Response)
    def tile(path: TilePath) -> Response:
        """A hash tile or entry bundle of the verified tree (C2SP tlog-tiles)."""
        return tile_response(tile_body(path, store.verified_size(), store.read_tile, read_bundle))

    return app
