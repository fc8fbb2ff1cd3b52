"""Turn every `CredoError` into an RFC 9457 problem body; nothing else reaches a client.

`PROBLEM_SCHEMA` is the one OpenAPI schema of that body (``#/components/schemas/Problem``), and
`problem_responses` the ``responses`` a route declares for the problems it can answer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from credo.errors import CredoError, Overloaded, RateLimited

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem: `code` is the stable, machine-readable reason; `detail` "
    "is for people. Some problems carry more members (a refused read's `access_index`, a "
    "refused batch's per-entry `results`).",
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string", "description": "https://credo.example/problems/<code>"},
        "title": {"type": "string", "description": "the code in words"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "detail": {"type": "string"},
        "access_index": {
            "type": "integer",
            "description": "a refused read: the log index of the access entry recording it",
        },
    },
    "additionalProperties": True,
}
# What each status means when a route does not say more.
MEANINGS: Mapping[int, str] = {
    400: "malformed input (the problem's code says what)",
    401: "not signed (RFC 9421) by an active member: unauthenticated, bad_signature, "
    "signature_expired, query_not_covered, unknown_member or retired",
    403: "the member may not do this (the problem's code says why)",
    404: "no such thing (the problem's code says which)",
    405: "the path does not take this method (Allow lists the ones it does)",
    408: "the request body stalled (request_timeout)",
    409: "the request contradicts the current state; retry may help",
    413: "the body is over the path's limit (body_too_large)",
    422: "well-formed but invalid: a parameter out of range, or refused by the ledger",
    431: "the request head (line and headers) is over 16 KiB (headers_too_large)",
    429: "too many of these in a while (rate_limited, too_many_attempts); Retry-After says "
    "when to try again",
    503: "the storage backend failed (store_error and the like); try again later",
}


def problem_responses(
    *statuses: int, notes: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of the problems a route answers with (``notes`` overriding
    the generic meanings)."""
    notes = notes or {}
    return {
        status: {
            "description": notes.get(status, MEANINGS[status]),
            "content": {PROBLEM: {"schema": {"$ref": PROBLEM_REF}}},
        }
        for status in statuses
    }


def problem(
    status: int,
    code: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
    **extra: object,
) -> JSONResponse:
    body = {
        "type": f"https://credo.example/problems/{code}",
        "title": code.replace("_", " "),
        "status": status,
        "code": code,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(CredoError)
    async def _credo(_: Request, exc: CredoError) -> JSONResponse:
        if exc.status >= 500:
            log.error("request failed: %s (%s)", exc.code, type(exc).__name__)
        headers = None
        if isinstance(exc, RateLimited | Overloaded):  # RFC 6585 section 4, RFC 9110 15.6.4
            headers = {"Retry-After": str(exc.retry_after)}
        return problem(exc.status, exc.code, exc.message, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return problem(422, "bad_request", f"{where}: {first.get('msg')}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = "not_found" if exc.status_code == 404 else "http_error"
        # Starlette's 405 names the allowed methods in an Allow header (RFC 9110 section 15.5.6)
        return problem(exc.status_code, code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return problem(500, "internal", "internal error; the operator's log has the details")
