"""Admission (credo.api.admission): past its in-flight limit, or while its event loop is
behind, a process answers 503 with Retry-After at once instead of queueing, and takes
requests again once it has caught up (issue 27, item 4). No timing is asserted: the tests
hold requests in flight with events, and block the loop outright."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from credo.api.admission import Admission, Capacity
from tests.api._listening import listening


def _app(capacity: Capacity, gate: asyncio.Event, entered: asyncio.Queue[str]) -> Starlette:
    async def wait(request: Request) -> PlainTextResponse:
        await entered.put(request.url.path)
        await gate.wait()
        return PlainTextResponse("done")

    async def block(request: Request) -> PlainTextResponse:
        time.sleep(0.2)  # a request that holds the event loop (CPU-bound work on its thread)
        return PlainTextResponse("blocked")

    async def fine(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[
            Route("/v1/wait", wait),
            Route("/wait", wait, methods=["GET", "POST"]),
            Route("/block", block),
            Route("/v1/fine", fine),
            Route("/healthz", fine),
        ]
    )
    app.add_middleware(Admission, capacity=capacity)
    return app


def test_past_the_in_flight_limit_a_request_is_refused_at_once_then_served_again() -> None:
    async def scenario() -> None:
        capacity = Capacity(max_in_flight=2, max_lag=60.0, retry_after=3)
        gate, entered = asyncio.Event(), asyncio.Queue[str]()
        app = _app(capacity, gate, entered)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            held = [asyncio.create_task(client.get("/v1/wait")) for _ in range(2)]
            for _ in held:
                await entered.get()  # both are being worked on
            refused = await client.get("/v1/fine")
            health = await client.get("/healthz")  # operations are always answered
            gate.set()
            served = [await task for task in held]
            after = await client.get("/v1/fine")
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "3"
        assert refused.headers["content-type"] == "application/problem+json"
        doc = json.loads(refused.content)
        assert doc["code"] == "overloaded"
        assert doc["status"] == 503
        assert health.status_code == 200
        assert [r.text for r in served] == ["done", "done"]
        assert after.status_code == 200  # recovered, nothing restarted
        assert capacity.refused == 1
        assert capacity.in_flight == 0

    asyncio.run(scenario())


def test_a_refused_form_post_says_so_in_the_persons_language() -> None:
    async def scenario() -> None:
        capacity = Capacity(max_in_flight=1, max_lag=60.0, retry_after=2)
        gate, entered = asyncio.Event(), asyncio.Queue[str]()
        app = _app(capacity, gate, entered)
        app.state.busy_page = lambda headers, method: (f"busy {method}".encode(), "th")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            held = asyncio.create_task(client.get("/wait"))
            await entered.get()
            post = await client.post("/wait", data={"csrf": "x", "note": "hello"})
            gate.set()
            await held
        assert post.status_code == 503
        assert post.text == "busy POST"  # the portal's page, not the API's problem
        assert post.headers["content-language"] == "th"
        assert "connection" not in post.headers  # kept: the body is drained by the server
        assert post.headers["retry-after"] == "2"

    asyncio.run(scenario())


def test_while_the_event_loop_is_behind_requests_are_refused_until_it_catches_up() -> None:
    async def scenario() -> None:
        capacity = Capacity(max_in_flight=100, max_lag=0.05, retry_after=1)
        gate, entered = asyncio.Event(), asyncio.Queue[str]()
        transport = httpx.ASGITransport(app=_app(capacity, gate, entered))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            first = await client.get("/v1/fine")  # starts the loop's watch
            held = asyncio.create_task(client.get("/v1/wait"))
            await entered.get()  # one request in flight
            blocked = await client.get("/block")  # holds the loop four times max_lag
            late = await client.get("/v1/fine")
            statuses = [late.status_code]
            while statuses[-1] == 503 and len(statuses) < 200:
                await asyncio.sleep(0.05)
                statuses.append((await client.get("/v1/fine")).status_code)
            gate.set()
            await held
            # Behind with nothing in flight: only starved by someone else, so admitted.
            await client.get("/block")
            alone = await client.get("/v1/fine")
        assert alone.status_code == 200
        assert first.status_code == 200
        assert blocked.status_code == 200  # admitted before the loop fell behind: served
        assert late.status_code == 503
        assert late.headers["retry-after"] == "1"
        assert statuses[-1] == 200  # caught up, served again

    asyncio.run(scenario())


def test_retry_after_stretches_while_most_are_refused_and_shrinks_back() -> None:
    async def scenario() -> None:
        capacity = Capacity(max_in_flight=1, max_lag=60.0, retry_after=2)
        gate, entered = asyncio.Event(), asyncio.Queue[str]()
        transport = httpx.ASGITransport(app=_app(capacity, gate, entered))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            held = asyncio.create_task(client.get("/v1/wait"))
            await entered.get()
            waits = [int((await client.get("/v1/fine")).headers["retry-after"]) for _ in range(600)]
            gate.set()
            await held
            for _ in range(600):
                assert (await client.get("/v1/fine")).status_code == 200
            entered_again = asyncio.create_task(client.get("/v1/wait"))
            gate.clear()
            await entered.get()
            after = int((await client.get("/v1/fine")).headers["retry-after"])
            gate.set()
            await entered_again
        assert waits[0] == 2
        assert waits == sorted(waits)  # longer as the refusals go on
        assert waits[-1] == 30  # at most fifteen times
        assert after == 2  # served again: back to what it was

    asyncio.run(scenario())


async def _refused_upload(size: int) -> tuple[bytes, bytes]:
    """Over a real socket (uvicorn with `credo serve`'s protocol): while one request holds
    the only place, a client uploads a ``size``-byte POST body, then asks for a page on the
    same connection. Returns the upload's answer head and the page's answer (b"" where the
    connection was reset or closed)."""
    capacity = Capacity(max_in_flight=1, max_lag=60.0, retry_after=2)
    gate, entered = asyncio.Event(), asyncio.Queue[str]()
    head, page = b"", b""
    async with listening(_app(capacity, gate, entered)) as port:
        _, held = await asyncio.open_connection("127.0.0.1", port)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            held.write(b"GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
            await entered.get()
            writer.write(b"POST /v1/fine HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size)
            with contextlib.suppress(ConnectionError):
                for at in range(0, size, 65536):
                    writer.write(b"x" * min(65536, size - at))
                    await writer.drain()
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                gate.set()
                writer.write(b"GET /v1/fine HTTP/1.1\r\nHost: x\r\n\r\n")
                page = await asyncio.wait_for(reader.readuntil(b"ok"), 5)
            return head, page
        finally:
            gate.set()
            for w in (writer, held):
                w.close()


def test_a_refused_upload_is_answered_whole_and_keeps_its_connection() -> None:
    """A member's batch refused past capacity: the client sends its body to the end, reads
    the 503, and goes on over the same connection. Closed under the upload, the client saw
    a reset and could not know the batch was refused (bench_records, 32 clients)."""
    head, page = asyncio.run(_refused_upload(2 * 1024 * 1024))
    assert head.startswith(b"HTTP/1.1 503 ")
    assert b"retry-after: 2" in head.lower()
    assert page.startswith(b"HTTP/1.1 200 ")
