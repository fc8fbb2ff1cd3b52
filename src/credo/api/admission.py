"""Admission: past its capacity, a serving process refuses at once instead of queueing.

A serving process is one event loop on one core. Past what that core can do, requests that
are let in only wait behind each other: at twice the capacity every one of them waits
seconds, sign-ins time out half-way, and nobody is served well. So each process admits a
request only while

- fewer than ``max_in_flight`` requests are being worked on (a page in a worker thread, a
  submission waiting for its group commit), and
- its event loop is less than ``max_lag`` seconds behind while requests are in flight: a
  timer due every `_TICK` seconds measures how late it runs. A late loop with work in hand
  means requests already read are waiting to be looked at, however few are in flight. (A
  late loop with nothing in flight was only starved of the CPU by someone else, another
  process or a test's own thread: its next request is admitted.)

Anything else is answered at once with 503 and ``Retry-After`` (stretched while most are
refused, `Capacity.wait`): an RFC 9457 problem
(``overloaded``) for the API, and for the portal's pages a plain page in the person's
language (`app.state.busy_page`, which the portal installs) saying that nothing was done
and, for a form, that it was not saved. The refusal is decided before the request's body
is read and costs a few microseconds, which is what lets the loop catch up, so the process
recovers by itself when the burst passes. The connection is kept: the server reads the
rest of a refused body and drops it (`credo.api.server.HeadTimeoutProtocol`), so a client
uploading a batch reads its 503 whole. Closed under the upload, it saw a reset instead, and
could not know that nothing was done. A request admitted runs to its end: a sign-in
step or a form post is either done or refused whole, never cut off half-way.

The operations endpoints are always admitted: an operator can see what is happening.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BusyPage = Callable[[Mapping[str, str], str], tuple[bytes, str]]
"""The portal's refusal page for a request's headers and method: (HTML, language tag)."""

EXEMPT = frozenset({"/healthz", "/readyz", "/metrics"})
API_PREFIXES = ("/v1/", "/log/", "/docs", "/openapi", "/assets/")
_TICK = 0.025
_MEMORY = 200
_STRETCH = 15.0


@dataclass
class Capacity:
    """One process's limits and where it stands (read by ``/metrics``)."""

    max_in_flight: int
    max_lag: float
    retry_after: int
    in_flight: int = 0
    lag: float = 0.0
    """How late the loop's last timer ran, in seconds (0: on time)."""
    refused: int = 0
    """Requests refused since start."""
    share: float = 0.0
    """The recent share of requests refused (a moving average over about the last
    `_MEMORY` decisions): it stretches ``Retry-After``."""

    def decided(self, refused: bool) -> None:
        self.share += ((1.0 if refused else 0.0) - self.share) / _MEMORY

    def wait(self) -> int:
        """The Retry-After to send now: ``retry_after`` while few are refused, stretched as
        the share refused grows (90% refused: ten times as long, at most `_STRETCH` times),
        so that people told to come back are spread over more time than they arrived in,
        instead of coming back as one wave that is refused again."""
        stretch = min(_STRETCH, 1.0 / max(1e-9, 1.0 - self.share))
        return max(self.retry_after, round(self.retry_after * stretch))


class Admission:
    """A pure ASGI middleware admitting requests while the process keeps up (module doc)."""

    def __init__(self, app: ASGIApp, capacity: Capacity) -> None:
        self.app = app
        self.capacity = capacity
        self._monitor: asyncio.TimerHandle | None = None
        self._due = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        if self._monitor is None:
            self._watch(asyncio.get_running_loop())
        c = self.capacity
        refuse = c.in_flight >= c.max_in_flight or bool(c.in_flight and self._behind())
        c.decided(refuse)
        if refuse:
            c.refused += 1
            await self._refuse(scope, send)
            return
        c.in_flight += 1

        async def counted_receive() -> Message:
            """A request waiting for its client's body is not being worked on: it is not
            counted while it waits, so clients that stall their bodies take no one else's
            place (tests/e2e/test_slow_clients.py; the body's own timeout ends them)."""
            c.in_flight -= 1
            try:
                return await receive()
            finally:
                c.in_flight += 1

        try:
            # Let the requests that arrived with this one be counted before it is worked on.
            # A page that renders on the event loop (`credo.portal.routing`) runs to its end
            # without ever yielding, so without this a burst was served one by one, each
            # admitted with nothing else in flight, and queued however long it grew. Only a
            # request without a body: one with a body waits for it uncounted (above), and
            # 50 uploads arriving together must not be refused for counting each other.
            if scope["method"] in ("GET", "HEAD"):
                await asyncio.sleep(0)
            await self.app(scope, counted_receive, send)
        finally:
            c.in_flight -= 1

    def _behind(self) -> bool:
        """The loop is late: the last tick was, or the next one is overdue by now."""
        limit = self.capacity.max_lag
        if self.capacity.lag > limit:
            return True
        return self._due > 0 and time.monotonic() - self._due > limit

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        self._due = time.monotonic() + _TICK
        self._monitor = loop.call_later(_TICK, self._tick, loop)

    def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        self.capacity.lag = max(0.0, time.monotonic() - self._due)
        self._watch(loop)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        wait = self.capacity.wait()
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        method = scope["method"]
        page: BusyPage | None = None
        app = scope.get("app")
        if not scope["path"].startswith(API_PREFIXES) and app is not None:
            page = getattr(app.state, "busy_page", None)
        if page is not None:
            body, language = page(headers, method)
            kind = [(b"content-type", b"text/html; charset=utf-8")]
            kind.append((b"content-language", language.encode()))
        else:
            body = json.dumps(
                {
                    "type": "https://credo.example/problems/overloaded",
                    "title": "overloaded",
                    "status": 503,
                    "code": "overloaded",
                    "detail": "the server is at capacity and did nothing with this request; "
                    f"send it again in {wait} s",
                }
            ).encode()
            kind = [(b"content-type", b"application/problem+json")]
        out = [
            *kind,
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(wait).encode()),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": out})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})
