"""`credo serve`'s HTTP server bounds each client's time and the connections (credo.api.server;
issue "No stranger or member can break credo for anyone else", finding 3)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from credo.api import server
from credo.settings import Settings
from tests.api._listening import connected


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hi"})


def test_slow_clients_serve_hands_the_settings_to_uvicorn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    got: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: got.update(kw, app=app))
    settings = Settings(
        data_dir=tmp_path,
        port=8123,
        header_timeout=3.5,
        keep_alive_timeout=4,
        body_timeout=6,
        limit_concurrency=7,
    )
    server.run(hello, settings)
    assert got["app"] is hello
    assert (got["port"], got["timeout_keep_alive"], got["limit_concurrency"]) == (8123, 4, 7)
    assert issubclass(got["http"], HttpToolsProtocol)
    assert got["http"].header_timeout == 3.5


def test_slow_clients_a_server_made_to_be_stopped_has_the_same_bounds(tmp_path: Path) -> None:
    """`make_server` (what `credo mirror` serves with) is configured as `run` is."""
    settings = Settings(data_dir=tmp_path, port=8124, header_timeout=2.5, limit_concurrency=9)
    config = server.make_server(hello, settings).config
    assert (config.port, config.limit_concurrency, config.timeout_keep_alive) == (8124, 9, 5)
    assert isinstance(config.http, type)
    assert issubclass(config.http, HttpToolsProtocol)
    assert config.http.header_timeout == 2.5  # type: ignore[attr-defined]


async def _trickle_after_one_request(header_timeout: float, steps: int) -> tuple[bytes, bool]:
    """Serve ``hello``; one client sends a request, then ``steps`` bytes of its next head, one
    per 50 ms. Returns the first answer and whether the server closed the connection."""
    async with connected(hello, header_timeout=header_timeout) as (reader, writer):
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        first = await reader.readuntil(b"hi")
        # Each byte restarts uvicorn's keep-alive timer; only the head deadline can end this.
        closed = False
        for byte in (b"GET / HTTP/1.1\r\nX-Slow: " + b"a" * steps)[:steps]:
            writer.write(bytes([byte]))
            try:
                closed = await asyncio.wait_for(reader.read(1), 0.05) == b""
            except TimeoutError:
                continue
            except ConnectionError:
                closed = True
            if closed:
                break
        return first, closed


def test_slow_clients_a_trickled_head_is_closed_even_on_a_kept_alive_connection() -> None:
    first, closed = asyncio.run(_trickle_after_one_request(header_timeout=0.5, steps=200))
    assert first.startswith(b"HTTP/1.1 200 ")
    assert closed


def test_slow_clients_a_prompt_client_is_not_cut_off() -> None:
    first, closed = asyncio.run(_trickle_after_one_request(header_timeout=60, steps=30))
    assert first.startswith(b"HTTP/1.1 200 ")
    assert not closed


def test_no_server_header(tmp_path: Path) -> None:
    """Every response said `server: uvicorn`."""
    config = server.make_server(hello, Settings(data_dir=tmp_path)).config
    assert config.server_header is False


async def _send_head(head: bytes, pieces: int = 1) -> bytes:
    """Serve ``hello``; one client sends ``head`` in ``pieces`` writes; what it got back
    before the server closed the connection (or within 2 s)."""
    async with connected(hello) as (reader, writer):
        step = -(-len(head) // pieces)
        for at in range(0, len(head), step):
            writer.write(head[at : at + step])
            await writer.drain()
            await asyncio.sleep(0.01)
        got = b""
        with contextlib.suppress(TimeoutError, ConnectionError):
            while chunk := await asyncio.wait_for(reader.read(65536), 2):
                got += chunk
                if got.endswith(b"hi") or got.endswith(b"large."):
                    break
        return got


def _head(size: int) -> bytes:
    """A GET whose head (request line, headers, blank line) is about ``size`` bytes."""
    start = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: "
    return start + b"a" * (size - len(start) - 4) + b"\r\n\r\n"


@pytest.mark.parametrize("pieces", [1, 40])
def test_a_head_over_16_kib_is_answered_431(pieces: int) -> None:
    got = asyncio.run(_send_head(_head(server.MAX_HEAD_BYTES + 100), pieces))
    assert got.startswith(b"HTTP/1.1 431 ")


def test_many_headers_over_16_kib_are_answered_431() -> None:
    fields = b"".join(b"X-H%d: %s\r\n" % (n, b"v" * 100) for n in range(200))
    got = asyncio.run(_send_head(b"GET / HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n"))
    assert got.startswith(b"HTTP/1.1 431 ")


@pytest.mark.parametrize("pieces", [1, 40])
def test_a_head_under_16_kib_is_served(pieces: int) -> None:
    got = asyncio.run(_send_head(_head(server.MAX_HEAD_BYTES - 200), pieces))
    assert got.startswith(b"HTTP/1.1 200 ")


async def _answered_before_its_body(size: int, drain: int | None = None) -> tuple[bytes, bytes]:
    """Serve ``hello``, which answers without reading a body (as a refusal past capacity
    does); one client sends a POST whose ``size``-byte body trickles in after the answer,
    then a GET on the same connection. Returns both answers. ``drain``: the most the server
    reads and drops."""
    async with connected(hello, max_drain_bytes=drain) as (reader, writer):
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size)
        first = await asyncio.wait_for(reader.readuntil(b"hi"), 5)
        for at in range(0, size, 8192):
            writer.write(b"x" * min(8192, size - at))
            await writer.drain()
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        second = b""
        with contextlib.suppress(TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            second = await asyncio.wait_for(reader.readuntil(b"hi"), 5)
        return first, second


def test_a_body_past_what_the_server_drains_is_closed_on() -> None:
    first, second = asyncio.run(_answered_before_its_body(1024 * 1024, drain=64 * 1024))
    assert first.startswith(b"HTTP/1.1 200 ")
    assert b"HTTP/1.1 200 " not in second


def test_a_body_arriving_after_its_answer_is_not_taken_for_the_next_head() -> None:
    """A request refused before its body was read (503 past capacity, 413, 401) keeps its
    connection: the rest of its body is the body, not an over-long next request head (it
    was answered 431 and the connection closed mid-upload, a reset to a member's batch)."""
    first, second = asyncio.run(_answered_before_its_body(server.MAX_HEAD_BYTES * 8))
    assert first.startswith(b"HTTP/1.1 200 ")
    assert second.startswith(b"\r\n0\r\n\r\nHTTP/1.1 200 ")  # the first's last chunk, then it


async def _stall_after_answer(header_timeout: float) -> bool:
    """A POST answered before its body, whose body then stops half-way: whether the server
    closed the connection within 3 s."""
    async with connected(hello, header_timeout=header_timeout) as (reader, writer):
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        await asyncio.wait_for(reader.readuntil(b"hi"), 5)
        writer.write(b"x" * 1000)
        try:
            while await asyncio.wait_for(reader.read(65536), 3):
                pass
        except TimeoutError:
            return False
        except ConnectionError:
            pass
        return True


def test_slow_clients_a_stalled_body_after_its_answer_is_closed() -> None:
    assert asyncio.run(_stall_after_answer(header_timeout=0.5))
