"""An ASGI app served over a real socket with `credo serve`'s own protocol
(`credo.api.server.protocol_for`), for tests of what a client sees on the wire."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp
from uvicorn.server import ServerState

from credo.api import server
from credo.settings import Settings


@asynccontextmanager
async def listening(
    app: ASGIApp, *, header_timeout: float = 30.0, max_drain_bytes: int | None = None
) -> AsyncIterator[int]:
    """``app`` served on a free local port (yielded) until the block ends; ``max_drain_bytes``
    replaces the protocol's bound on a refused body it reads and drops."""
    config = uvicorn.Config(app, timeout_keep_alive=30, log_level="warning")
    config.load()
    protocol = server.protocol_for(Settings(data_dir=Path("."), header_timeout=header_timeout))
    if max_drain_bytes is not None:
        protocol = type("Capped", (protocol,), {"max_drain_bytes": max_drain_bytes})
    state = ServerState()
    listener = await asyncio.get_running_loop().create_server(
        lambda: protocol(config=config, server_state=state, app_state={}), "127.0.0.1", 0
    )
    try:
        yield listener.sockets[0].getsockname()[1]
    finally:
        listener.close()
        await listener.wait_closed()


@asynccontextmanager
async def connected(
    app: ASGIApp, *, header_timeout: float = 30.0, max_drain_bytes: int | None = None
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """`listening`, with one client connection to it."""
    async with listening(
        app, header_timeout=header_timeout, max_drain_bytes=max_drain_bytes
    ) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            yield reader, writer
        finally:
            writer.close()
