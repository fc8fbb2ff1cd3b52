"""Where a page that only reads renders: on the event loop over local stores, on a worker
thread over PostgreSQL (credo.portal.routing)."""

from __future__ import annotations

import asyncio
import inspect
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import Request, Response

from credo.portal.routing import PortalRoute, _on_loop_if_local, reads


def _request(location: str) -> Any:
    store = SimpleNamespace(location=location)
    return SimpleNamespace(
        app=SimpleNamespace(state=SimpleNamespace(node=SimpleNamespace(store=store)))
    )


@reads
def page(request: Request, n: int = 1) -> Response:
    return Response(f"{threading.current_thread().name} {n}")


@pytest.mark.parametrize(
    ("location", "on_loop"),
    [("/srv/credo/ledger.db", True), ("postgresql://credo@db/credo", False)],
)
def test_a_reading_page_renders_on_the_loop_only_over_local_stores(
    location: str, on_loop: bool
) -> None:
    async def scenario() -> tuple[str, str]:
        answer = await _on_loop_if_local(page)(request=_request(location), n=7)
        return answer.body.decode(), threading.current_thread().name

    body, loop_thread = asyncio.run(scenario())
    thread, n = body.rsplit(" ", 1)
    assert n == "7"
    assert (thread == loop_thread) is on_loop


def test_a_marked_page_keeps_its_signature_for_fastapi() -> None:
    route = PortalRoute("/x", page)
    assert inspect.iscoroutinefunction(route.endpoint)
    assert list(inspect.signature(route.endpoint).parameters) == ["request", "n"]
    assert [p.name for p in route.dependant.query_params] == ["n"]
