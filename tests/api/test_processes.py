"""The serving processes' shared listening socket (`credo.api.processes.listen`)."""

from __future__ import annotations

import asyncio
import socket

from credo.api.processes import listen


def test_connections_accepted_on_the_shared_socket_send_without_delay() -> None:
    """Each accepted connection has Nagle's algorithm off, as on a socket asyncio makes
    itself. Without it, a response written in two parts waited for the client's delayed
    ACK: every keep-alive request to `credo serve --processes 2` took 40 ms more."""
    listening = listen("127.0.0.1", 0)
    port = listening.getsockname()[1]
    seen: list[int] = []

    class Accepted(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def accept_one() -> None:
        server = await asyncio.get_running_loop().create_server(Accepted, sock=listening)
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()
        finally:
            server.close()
            await server.wait_closed()

    asyncio.run(accept_one())
    assert seen == [1]
