"""Request limits: the head's size, and the body's, enforced while the body arrives (a pure
ASGI middleware).

A request head (request line and headers) over ``MAX_HEAD_BYTES`` (16 KiB, as docs/api.md
promises) is answered 431 ``headers_too_large`` (RFC 6585 section 5) before the application
sees it: h11 bounds only a head that arrives in pieces, so a 70,000-byte header sent in one
write passed.

A redirect's ``Location`` never names the host the client said (the ``Host`` header): an
absolute one on the request's own host is made relative, so Starlette's trailing-slash
redirect cannot send a visitor to whatever host a forged header names.

Every request's body bytes are counted as the server hands them over. A declared
``Content-Length`` over the route's limit is answered 413 ``body_too_large`` before anything
is read; a body that passes the limit as it streams in (chunked, or longer than declared) is
answered 413 at the chunk that crosses it, which the application never sees: it buffers at
most the limit. A response that goes out before the request body was read to its end carries
``Connection: close``, so the server stops reading a body nobody will look at instead of
draining it to keep the connection. A body that stalls (no bytes for ``body_timeout``
seconds) is answered 408 ``request_timeout``. A client that goes away in the middle of its
body stops the application and leaves one warning line (no traceback, nothing it sent).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from credo.api.auth import MAX_SIGNED_BODY, SIGNED_BODY_LIMITS
from credo.api.problems import problem
from credo.ledger.validate import MAX_BATCH_BYTES

MAX_HEAD_BYTES = 16 * 1024
"""The request line and headers, in bytes, as docs/api.md promises."""
# Request paths whose bodies may be larger than the default: the batch submission, and the
# signed calls that take many records at once.
BODY_LIMITS: Mapping[str, int] = {"/v1/entries": MAX_BATCH_BYTES, **SIGNED_BODY_LIMITS}
# Every other route that takes a body is a signed member call, refused over this anyway.
DEFAULT_BODY_LIMIT = MAX_SIGNED_BODY
CLOSE = (b"connection", b"close")
log = logging.getLogger(__name__)


class _Stop(Exception):
    """Raised into the application by ``receive`` to stop it: the client went away."""


class _Refused(_Stop):
    """Raised into the application by ``receive`` to stop it; the middleware answers."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def _declared_length(headers: Headers) -> int | None:
    """The Content-Length as a number; a value too long to be honest counts as huge."""
    value = headers.get("content-length")
    if value is None or not (value.isascii() and value.isdigit()):
        return None  # absent, or malformed (the HTTP server refuses those itself)
    return int(value) if len(value) <= 18 else 10**18


class BodyLimits:
    """Refuse request bodies over a per-path limit as they arrive (see the module doc)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: Mapping[str, int] = BODY_LIMITS,
        default: int = DEFAULT_BODY_LIMIT,
        body_timeout: float | None = None,
    ) -> None:
        self.app = app
        self.limits = dict(limits)
        self.default = default
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = len(scope["method"]) + len(scope.get("raw_path") or b"") + len(scope["query_string"])
        head += sum(len(name) + len(value) + 4 for name, value in scope["headers"])
        if head > MAX_HEAD_BYTES:
            refusal = _Refused(
                431, "headers_too_large", f"the request head is over {MAX_HEAD_BYTES} bytes"
            )
            await _answer(scope, receive, send, refusal)
            return
        send = _relative_redirects(scope, send)
        limit = self.limits.get(scope["path"], self.default)
        headers = Headers(scope=scope)
        declared = _declared_length(headers)
        if declared is not None and declared > limit:
            await _answer(
                scope,
                receive,
                send,
                _Refused(413, "body_too_large", f"the body is over the {limit} byte limit"),
            )
            return
        has_body = bool(declared) or "transfer-encoding" in headers
        received = 0
        body_done = not has_body
        refused: _Stop | None = None
        started = False

        async def receive_counted() -> Message:
            nonlocal received, body_done, refused
            if refused is not None:
                raise refused
            if body_done:
                return await receive()
            try:
                async with asyncio.timeout(self.body_timeout):
                    message = await receive()
            except TimeoutError:
                log.warning(
                    "request body stalled for %g s after %d bytes (%s %s); answered 408",
                    self.body_timeout,
                    received,
                    scope["method"],
                    _resource(scope["path"]),
                )
                refused = _Refused(
                    408,
                    "request_timeout",
                    f"no request body bytes arrived for {self.body_timeout:g} s",
                )
                raise refused from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = _Refused(
                        413, "body_too_large", f"the body is over the {limit} byte limit"
                    )
                    raise refused
                body_done = not message.get("more_body", False)
            elif message["type"] == "http.disconnect":
                log.warning(
                    "client went away after %d bytes of the request body (%s %s); request dropped",
                    received,
                    scope["method"],
                    _resource(scope["path"]),
                )
                refused = _Stop()
                raise refused
            return message

        async def send_guarded(message: Message) -> None:
            nonlocal started
            if refused is not None and not started:
                return  # the refusal is answered instead of whatever the application says
            if message["type"] == "http.response.start":
                started = True
                if not body_done and CLOSE not in message.get("headers", []):
                    message = {**message, "headers": [*message.get("headers", []), CLOSE]}
            await send(message)

        try:
            await self.app(scope, receive_counted, send_guarded)
        except Exception:
            if refused is None:
                raise
            # Whatever the application raised on its way out after the refusal is moot.
        if isinstance(refused, _Refused) and not started:
            await _answer(scope, receive, send, refused)


def _relative_redirects(scope: Scope, send: Send) -> Send:
    """``send``, with an absolute ``Location`` on the request's own ``Host`` made relative."""
    host = Headers(scope=scope).get("host", "").encode("latin-1").lower()

    async def send_relative(message: Message) -> None:
        if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
            message = {
                **message,
                "headers": [
                    (k, _relative(v, host) if k == b"location" else v)
                    for k, v in message.get("headers", [])
                ],
            }
        await send(message)

    return send_relative


def _relative(location: bytes, host: bytes) -> bytes:
    parts = urlsplit(location.decode("latin-1"))
    if parts.scheme and parts.netloc.encode("latin-1").lower() == host:
        relative = parts.path or "/"
        if parts.query:
            relative += "?" + parts.query
        return relative.encode("latin-1")
    return location


def _resource(path: str) -> str:
    """The path's first two segments (``/v1/consents``): never an id, never the query."""
    return "/".join(path.split("/")[:3])


async def _answer(scope: Scope, receive: Receive, send: Send, refused: _Refused) -> None:
    """The refusal as a problem body; the connection closes after it (the rest of the body
    is never read)."""
    response = problem(refused.status, refused.code, refused.detail)
    response.headers["connection"] = "close"
    await response(scope, receive, send)
