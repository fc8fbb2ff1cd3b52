"""`credo serve`'s HTTP server: uvicorn with a bound on each client's time and on connections.

uvicorn offers a keep-alive timeout (idle between requests) and ``limit_concurrency`` (503
past it), and h11 bounds a request head's size (16 KiB; `credo.api.limits` answers 431 to a
larger head h11 let through whole); nothing bounds how long a head may
take to arrive, so a client sending its headers a byte at a time held a connection forever.
`HeadTimeoutProtocol` closes a connection whose complete request head has not arrived within
``header_timeout`` seconds of the connection opening or the previous response ending. The
body's own stall timeout is the application's (`credo.api.limits`), where it can answer 408.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from typing import Any

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

from credo.api.limits import MAX_HEAD_BYTES
from credo.api.logs import log_config
from credo.settings import Settings

log = logging.getLogger(__name__)
STARTUP_FAILURE = 3  # uvicorn.main's exit status when the server could not start


class HeadTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection that is slow to send a request head."""

    header_timeout: float = 20.0
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_head()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _watch_head(self) -> None:
        """Run the head timer exactly while the connection waits for a request head."""
        waiting = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
        if waiting and self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)
        elif not waiting:
            self._stop_head_timer()

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            log.info("closed a connection that sent no complete request head in time")
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
        # helps no client. h11's head bound, explicit; `credo.api.limits` answers 431 past it.
        "server_header": False,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
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
