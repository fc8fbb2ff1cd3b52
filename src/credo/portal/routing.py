"""The portal's routes answer in HTML: a refusal becomes a page in the person's language with
the right status, never a JSON problem or a stack trace.

A page that only reads is an ``async def`` and renders on the event loop: the hop to a
worker thread FastAPI makes for a ``def`` cost 0.3 ms of CPU per page (the busiest demo
person's pages, two servers answering in turn: `/score` 4.1 -> 3.8 ms, `/programme` 1.7 ->
1.4). Its only writes are rare and short (a session's ``last_seen`` once a minute, an
fsync of 0.3 ms here). What waits on a group commit or computes for long (a vote, a
consultation's analysis) stays off the loop."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from credo.errors import BadForm, CredoError, SignInRequired
from credo.portal.labels import ERRORS
from credo.portal.web import redirect, render

log = logging.getLogger(__name__)

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def refusal(request: Request, status: int, code: str) -> Response:
    return render(
        request,
        "error.html",
        {"status": status, "code": code, "message": ERRORS.get(code)},
        status=status,
    )


class PortalRoute(APIRoute):
    """An `APIRoute` whose refusals are the portal's pages (and out of the OpenAPI)."""

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
