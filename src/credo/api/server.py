"""`credo serve`'s HTTP server: uvicorn with a bound on each client's time and on connections.

uvicorn offers a keep-alive timeout (idle between requests) and ``limit_concurrency`` (503
past it); nothing bounds how long a request head may take to arrive, so a client sending its
headers a byte at a time held a connection forever. `HeadTimeoutProtocol` closes a connection
whose complete request head has not arrived within ``header_timeout`` seconds of the
connection opening or the previous response ending, and answers 431 to a head over 16 KiB
(`MAX_HEAD_BYTES`, h11's default bound). The body's own stall timeout is the application's
(`credo.api.limits`), where it can answer 408.

It is uvicorn's httptools protocol (llhttp, in C), not its h11 one (pure Python): measured
with ``bench/bench_suspects.py``, h11 cost 34 us of CPU per small request against 2 for
llhttp, and 107 against 27 per 0.5 MB batch; the head's deadline and size are kept here,
around the parser, instead of inside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from typing import Any

import httptools
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from credo.api.limits import MAX_HEAD_BYTES
from credo.api.logs import log_config
from credo.ledger.validate import MAX_BATCH_BYTES
from credo.settings import Settings

log = logging.getLogger(__name__)
STARTUP_FAILURE = 3  # uvicorn.main's exit status when the server could not start


class _HeadTooLarge(Exception):
    """Raised from a parser callback when the head passes `MAX_HEAD_BYTES`."""


class HeadTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection that is slow to send a request
    head and refusing a head over ``max_head_bytes`` with 431."""

    header_timeout: float = 20.0
    max_head_bytes: int = MAX_HEAD_BYTES
    _head_timer: asyncio.TimerHandle | None = None
    _waited: int | None = None
    """Bytes received while waiting for a request head; None while not waiting for one."""
    _head_size: int = 0
    """The current head's size, as the parser reports its pieces."""
    _body_pending: bool = False
    """The latest request's head is parsed and its body is still arriving."""
    _draining: bool = False
    """That request was answered before its body ended (a refusal past capacity, a 413, a
    401): the rest of the body is read and dropped, and only then does the next head's
    clock start. Counted as head bytes, the rest of a batch's body would be answered 431
    and the connection closed under the client's upload."""
    _drained: int = 0
    """Bytes of that body read and dropped so far."""
    max_drain_bytes: int = MAX_BATCH_BYTES
    """The most of an answered request's body read and dropped: the largest body any route
    takes. A client sending more is closed on."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def data_received(self, data: bytes) -> None:
        """uvicorn's, with the head's bytes counted: a head that arrives piece by piece
        is refused once over the limit, before the parser holds more of it."""
        self._unset_keepalive_if_required()
        if self._waited is not None:
            self._waited += len(data)
        elif self._draining:  # a stalled body is closed as a stalled head would be
            self._drained += len(data)
            if self._drained > self.max_drain_bytes:
                log.info("closed a connection sending over %d bytes nobody reads", self._drained)
                self.transport.close()
                return
            self._start_head_timer()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, _HeadTooLarge) or isinstance(exc, _HeadTooLarge):
                self._refuse_head()
            else:
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")
            return
        if self._waited is not None and self._waited > self.max_head_bytes:
            self._refuse_head()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_size = 0

    def on_url(self, url: bytes) -> None:
        self._grow_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._grow_head(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._waited = None
        self._stop_head_timer()
        self._body_pending = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._body_pending = False
        super().on_message_complete()
        if self._draining:
            self._draining = False
            self._await_head()

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)  # its head is here already
        super().on_response_complete()
        if pipelined or self.transport.is_closing():
            return
        if self._body_pending:
            self._draining, self._drained = True, 0
            self._start_head_timer()
        else:
            self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _grow_head(self, size: int) -> None:
        self._head_size += size
        if self._head_size > self.max_head_bytes:
            raise _HeadTooLarge

    def _refuse_head(self) -> None:
        self._waited = None
        self._stop_head_timer()
        if self.transport.is_closing():
            return
        log.info("refused a request head over %d bytes (431)", self.max_head_bytes)
        text = b"Request header fields too large."
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(text), text)
        )
        self.transport.close()

    def _await_head(self) -> None:
        """Start the head's clock: the connection now waits for a request head."""
        if self.transport.is_closing():
            return
        self._waited = 0
        self._start_head_timer()

    def _start_head_timer(self) -> None:
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self._waited is not None:
            log.info("closed a connection that sent no complete request head in time")
            self.transport.close()
        elif self._draining:
            log.info("closed a connection whose answered request's body stalled")
            self.transport.close()


def protocol_for(settings: Settings) -> type[HeadTimeoutProtocol]:
    """The protocol class uvicorn instantiates per connection, with the settings' timeout."""
    return type(
        "CredoHTTPProtocol", (HeadTimeoutProtocol,), {"header_timeout": settings.header_timeout}
    )


def _options(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": "warning",
        "log_config": log_config(settings.log_format),
        "http": protocol_for(settings),
        "timeout_keep_alive": settings.keep_alive_timeout,
        "limit_concurrency": settings.limit_concurrency,
        # No `server: uvicorn` on every response: it names the software for a scanner and
        # helps no client. The head's bound is the protocol's (`HeadTimeoutProtocol`).
        "server_header": False,
    }


def run(app: ASGIApp, settings: Settings) -> None:
    """Serve ``app`` on the settings' address until interrupted."""
    uvicorn.run(app, **_options(settings))


def make_server(app: ASGIApp, settings: Settings) -> uvicorn.Server:
    """The server `run` runs, for a caller that must stop it from another thread (set its
    ``should_exit``; start it with `serve`): `credo mirror` does, when its copy of the log
    stops verifying."""
    return uvicorn.Server(uvicorn.Config(app, **_options(settings)))


def serve(server: uvicorn.Server) -> None:
    """Run ``server`` until it is told to exit or interrupted; exit 3 (uvicorn's startup
    failure) if it never started, as `uvicorn.run` does (say, the port is taken)."""
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
