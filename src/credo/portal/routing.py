"""The portal's routes answer in HTML: a refusal becomes a page in the person's language with
the right status, never a JSON problem or a stack trace.

A page that only reads is marked `reads`, and renders on the event loop where the stores are
local files (SQLite): the hop to a worker thread FastAPI makes for a ``def`` cost 0.3 ms of
CPU per page (the busiest demo person's pages, two servers answering in turn: `/score` 4.1
-> 3.8 ms, `/programme` 1.7 -> 1.4), and its only writes are rare and short (a session's
``last_seen`` once a minute, an fsync of 0.3 ms here). Where the stores are across a network
(PostgreSQL) it stays on a worker thread: each of a page's dozen queries waits a round trip,
and on the loop every other request would wait with it. What waits on a group commit or
computes for long (a vote, a consultation's analysis) is never marked."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from credo.errors import BadForm, CredoError, SignInRequired
from credo.portal.labels import ERRORS
from credo.portal.web import redirect, render
from credo.store import is_postgres

log = logging.getLogger(__name__)

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def refusal(request: Request, status: int, code: str) -> Response:
    return render(
        request,
        "error.html",
        {"status": status, "code": code, "message": ERRORS.get(code)},
        status=status,
    )


Page = Callable[..., Response]


def reads(page: Page) -> Page:
    """Mark a page that only reads, to render on the event loop where that is cheaper
    (module doc)."""
    page.__dict__["credo_reads"] = True
    return page


def _on_loop_if_local(page: Page) -> Callable[..., Coroutine[Any, Any, Response]]:
    @functools.wraps(page)  # FastAPI reads the page's own signature through __wrapped__
    async def render_page(**values: Any) -> Response:
        request: Request = values["request"]
        if is_postgres(request.app.state.node.store.location):
            return await run_in_threadpool(page, **values)
        return page(**values)

    return render_page


class PortalRoute(APIRoute):
    """An `APIRoute` whose refusals are the portal's pages (and out of the OpenAPI); a page
    marked `reads` renders on the event loop where the stores are local."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if getattr(endpoint, "credo_reads", False):
            endpoint = _on_loop_if_local(endpoint)
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def portal_handler(request: Request) -> Response:
            started, cpu = time.perf_counter(), time.process_time()
            response = await _answer(request)
            elapsed = (time.perf_counter() - started) * 1000
            # cpu: the process's CPU time meanwhile (the request's own when it is alone)
            used = (time.process_time() - cpu) * 1000
            timing = f"app;dur={elapsed:.1f}, cpu;dur={used:.1f}"
            response.headers["Server-Timing"] = timing  # bench_portal.py, bench_people.py
            return response

        async def _answer(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                if request.method == "GET":
                    return redirect("/signin")
                return refusal(request, 401, "signed_out")
            except BadForm as exc:
                return refusal(request, 403 if exc.code == "bad_csrf" else 400, exc.code)
            except CredoError as exc:
                if exc.status >= 500:
                    log.error("portal request failed: %s (%s)", exc.code, type(exc).__name__)
                    return refusal(request, 503, "unavailable")
                return refusal(request, exc.status, exc.code)

        return portal_handler
