"""Many slow clients at once against a real `credo serve` (issue "No stranger or member can
break credo"): 200 raw sockets that send a request head a byte at a time, stay silent, or
send a head and part of a body and then stall, while an ordinary client keeps asking for the
checkpoint. Every ordinary request must be answered 200, and every slow client closed by the
server's own timeouts. No timing is asserted here; bench/bench_slow_clients.py measures the
checkpoint latency under 500 such clients for 60 s."""

from __future__ import annotations

import resource
import select
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e._server import Server, make_consortium

CLIENTS = 200
TIMEOUTS = {
    "CREDO_HEADER_TIMEOUT": "2",
    "CREDO_KEEP_ALIVE_TIMEOUT": "1",
    "CREDO_BODY_TIMEOUT": "2",
}
HEAD = b"GET /log/checkpoint HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 8000
BODY_HEAD = (
    b"POST /v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100000\r\n\r\n" + b'{"entries": ['
)
DEADLINE = 60.0  # bounds the test only if the server never closes them (it should in ~2 s)


def raise_open_files(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            pytest.skip(f"needs {need} open files, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def closed_by_server(sock: socket.socket, answer: bytearray) -> bool:
    """Whether the server closed ``sock`` (EOF or reset), without waiting; what it answered
    before (a 408) is added to ``answer``."""
    while select.select([sock], [], [], 0)[0]:
        try:
            data = sock.recv(65536)
        except OSError:
            return True
        if not data:
            return True
        answer.extend(data)
    return False


@pytest.mark.slow
def test_200_slow_clients_are_all_closed_by_the_server_and_others_are_served(
    tmp_path: Path,
) -> None:
    raise_open_files(4 * CLIENTS + 256)
    server = Server(make_consortium(tmp_path / "data"), tmp_path / "serve.log", TIMEOUTS)
    try:
        server.wait_ready()
        # 1 in 2 drips its head, 1 in 4 stays silent, 1 in 4 stalls in its body.
        kinds = ["head", "head", "silent", "body"]
        slow = {}
        for i in range(CLIENTS):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            sock.setblocking(False)
            slow[i] = (kinds[i % 4], sock)
            if kinds[i % 4] == "body":
                sock.sendall(BODY_HEAD)  # small enough for the socket buffer at once
        open_ = set(slow)
        answers = {i: bytearray() for i in slow}
        served = []
        sent = 0
        started = time.monotonic()
        with httpx.Client(timeout=30) as http:
            while open_ and time.monotonic() < started + DEADLINE:
                for i in list(open_):
                    kind, sock = slow[i]
                    if kind == "head" and sent < len(HEAD):
                        try:
                            sock.send(HEAD[sent : sent + 1])
                        except OSError:
                            open_.discard(i)  # reset by the server
                            continue
                    if closed_by_server(sock, answers[i]):
                        open_.discard(i)
                sent += 1
                r = http.get(f"{server.url}/log/checkpoint")
                served.append(r.status_code)
                time.sleep(0.05)
            elapsed = time.monotonic() - started
        for _, sock in slow.values():
            sock.close()
        bodies = [i for i, (kind, _) in slow.items() if kind == "body"]
        answered_408 = sum(answers[i].startswith(b"HTTP/1.1 408 ") for i in bodies)
        print(
            f"{CLIENTS} slow clients closed by the server within {elapsed:.1f} s; "
            f"{len(served)} checkpoints served meanwhile ({answered_408} bodies answered 408)"
        )
        assert not open_, f"{len(open_)} slow clients still open: {sorted(open_)[:10]}"
        assert served, "no checkpoint asked for"
        assert set(served) == {200}, served
        assert answered_408 == len(bodies), [bytes(answers[i][:100]) for i in bodies]
        for i, (kind, _) in slow.items():
            if kind != "body":
                assert not answers[i], (kind, bytes(answers[i][:200]))  # closed, unanswered
        out = server.output()
        assert "Traceback" not in out, out
        assert httpx.get(f"{server.url}/log/checkpoint", timeout=10).status_code == 200
    finally:
        server.stop()
