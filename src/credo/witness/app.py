"""The witness's HTTP interface (C2SP tlog-witness), a FastAPI app around a `Witness`.

- ``POST /add-checkpoint``: the spec's call. 200 with the cosignature line; 409 with the
  latest cosigned size and a newline as ``text/x.tlog.size``; the other refusals (400, 403,
  404, 413, 422) as RFC 9457 problems (``application/problem+json``) whose ``code`` says which
  check failed.
- ``GET /<origin hash>/checkpoint``: the latest cosigned checkpoint of a log, with the log's
  signatures the witness verified and its own cosignature (the spec's monitor retrieval);
  the origin hash is the lowercase hex SHA-256 of the origin line. 404 before the first.
- ``GET /evidence?after=ID&limit=N[&origin_hash=H]``: the checkpoints the witness refused
  because they conflict with what it cosigned, oldest first, as JSON (see
  `credo.witness.service`); with ``origin_hash``, one log's only.

Nothing here decides anything: every check is `Witness.add_checkpoint`'s.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from credo.errors import CredoError, InputError, OldSizeMismatch
from credo.witness.service import MAX_BODY, Witness, origin_hash

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
TLOG_SIZE = "text/x.tlog.size"
TEXT = "text/plain; charset=utf-8"


def _problem(status: int, code: str, detail: str) -> JSONResponse:
    body = {
        "type": f"https://credo.example/problems/{code}",
        "title": code.replace("_", " "),
        "status": status,
        "code": code,
        "detail": detail,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


async def _read_body(request: Request) -> bytes:
    """The request body, refused with 413 as soon as it passes ``MAX_BODY``."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
        raise InputError(f"body over {MAX_BODY} bytes", code="body_too_large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise InputError(f"body over {MAX_BODY} bytes", code="body_too_large")
        chunks.append(chunk)
    return b"".join(chunks)


def _evidence_json(
    witness: Witness, after: int, limit: int, digest: str | None
) -> list[dict[str, Any]]:
    origin = None if digest is None else witness.origin_for(digest)
    if digest is not None and origin is None:
        return []  # not a log this witness follows
    return [
        {
            "id": e.id,
            "origin": e.origin,
            "origin_hash": origin_hash(e.origin),
            "reason": e.reason,
            "received": e.received,
            "checkpoint": e.note.decode("utf-8", "replace"),
            "cosigned": None if e.cosigned is None else e.cosigned.decode("utf-8", "replace"),
            "request": e.request.decode("utf-8", "replace"),
        }
        for e in witness.store.evidence(after=after, limit=limit, origin=origin)
    ]


def create_witness_app(witness: Witness) -> FastAPI:
    """The app for one witness. Its lifespan opens the witness's store (if it is not open
    yet) and closes it on the way out."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        witness.store.open()
        try:
            yield
        finally:
            witness.store.close()

    app = FastAPI(
        title="credo witness",
        summary="A C2SP tlog-witness: cosigns checkpoints consistent with what it saw before.",
        docs_url=None,  # no CDN-hosted UI; /openapi.json describes the routes
        redoc_url=None,
        lifespan=lifespan,
    )

    @app.exception_handler(CredoError)
    async def _credo(_: Request, exc: CredoError) -> Response:
        if isinstance(exc, OldSizeMismatch):
            # tlog-witness: exactly this content type, no parameters; the body is the size.
            return Response(
                f"{exc.size}\n".encode(), status_code=409, headers={"content-type": TLOG_SIZE}
            )
        status = 413 if exc.code == "body_too_large" else exc.status
        if status >= 500:
            log.error("witness request failed: %s (%s)", exc.code, type(exc).__name__)
        return _problem(status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _problem(422, "bad_request", f"{where}: {first.get('msg')}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        code = "not_found" if exc.status_code == 404 else "http_error"
        response = _problem(exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        log.exception("unexpected error")
        return _problem(500, "internal", "internal error; the operator's log has the details")

    @app.post(
        "/add-checkpoint",
        response_class=Response,
        summary="Cosign a checkpoint consistent with the latest one cosigned (C2SP tlog-witness)",
        responses={
            200: {"content": {TEXT: {}}, "description": "the cosignature line(s)"},
            409: {"content": {TLOG_SIZE: {}}, "description": "the latest cosigned size"},
        },
    )
    async def add_checkpoint(request: Request) -> Response:
        body = await _read_body(request)
        # Signing and SQLite block: off the event loop, so requests really run concurrently.
        lines = await run_in_threadpool(witness.add_checkpoint, body)
        return Response(lines, media_type=TEXT)

    @app.get(
        "/evidence",
        summary="Checkpoints refused as conflicting with what this witness cosigned",
    )
    async def evidence(
        after: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=1, le=100)] = 100,
        origin_hash: Annotated[
            str | None, Query(pattern="^[0-9a-f]{64}$", description="only this log's")
        ] = None,
    ) -> JSONResponse:
        items = await run_in_threadpool(_evidence_json, witness, after, limit, origin_hash)
        return JSONResponse({"evidence": items})

    @app.get(
        "/{digest}/checkpoint",
        response_class=Response,
        summary="The latest cosigned checkpoint of the log whose origin hashes to digest",
        responses={200: {"content": {TEXT: {}}}},
    )
    async def checkpoint(digest: str) -> Response:
        note = await run_in_threadpool(witness.checkpoint_for, digest)
        return Response(note, media_type=TEXT)

    return app
