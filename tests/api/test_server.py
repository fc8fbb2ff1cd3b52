"""`credo serve`'s HTTP server bounds each client's time and the connections (credo.api.server;
issue "No stranger or member can break credo for anyone else", finding 3)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from credo.api import server
from credo.settings import Settings


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
    assert issubclass(got["http"], H11Protocol)
    assert got["http"].header_timeout == 3.5


def test_slow_clients_a_server_made_to_be_stopped_has_the_same_bounds(tmp_path: Path) -> None:
    """`make_server` (what `credo mirror` serves with) is configured as `run` is."""
    settings = Settings(data_dir=tmp_path, port=8124, header_timeout=2.5, limit_concurrency=9)
    config = server.make_server(hello, settings).config
    assert (config.port, config.limit_concurrency, config.timeout_keep_alive) == (8124, 9, 5)
    assert isinstance(config.http, type)
    assert issubclass(config.http, H11Protocol)
    assert config.http.header_timeout == 2.5  # type: ignore[attr-defined]


async def _trickle_after_one_request(header_timeout: float, steps: int) -> tuple[bytes, bool]:
    """Serve ``hello``; one client sends a request, then ``steps`` bytes of its next head, one
    per 50 ms. Returns the first answer and whether the server closed the connection."""
    config = uvicorn.Config(hello, timeout_keep_alive=30, log_level="warning")
    config.load()
    protocol = server.protocol_for(Settings(data_dir=Path("."), header_timeout=header_timeout))
    state = ServerState()
    listener = await asyncio.get_running_loop().create_server(
        lambda: protocol(config=config, server_state=state, app_state={}), "127.0.0.1", 0
    )
    port = listener.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
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
    finally:
        writer.close()
        listener.close()
        await listener.wait_closed()


def test_slow_clients_a_trickled_head_is_closed_even_on_a_kept_alive_connection() -> None:
    first, closed = asyncio.run(_trickle_after_one_request(header_timeout=0.5, steps=200))
    assert first.startswith(b"HTTP/1.1 200 ")
    assert closed


def test_slow_clients_a_prompt_client_is_not_cut_off() -> None:
    first, closed = asyncio.run(_trickle_after_one_request(header_timeout=60, steps=30))
    assert first.startswith(b"HTTP/1.1 200 ")
    assert not closed


def test_no_server_header_and_an_explicit_head_bound(tmp_path: Path) -> None:
    """Every response said `server: uvicorn`; h11's head bound is set, not assumed."""
    config = server.make_server(hello, Settings(data_dir=tmp_path)).config
    assert config.server_header is False
    assert config.h11_max_incomplete_event_size == 16 * 1024
