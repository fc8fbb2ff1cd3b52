"""A real `credo serve` against hostile clients (issue "No stranger or member can break credo
for anyone else"): huge chunked bodies, slow headers and bodies, clients that vanish mid-body.
Every client here is a raw socket, so nothing in between buffers, retries or times out."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from credo.api.httpsig import sign_request
from credo.ledger.keys import MemberKey
from tests.e2e._server import Server, make_consortium

MIB = 1024 * 1024


# Signature headers that parse, from a key no member holds: /v1/access reads the body.
def forged_signature() -> str:
    """Signature headers by a key no member holds, made now: made at import, they were
    older than the clock-skew limit by the time a long suite reached this test, and the
    server refused them before reading any body."""
    headers = sign_request(MemberKey.generate(), "POST", "/v1/access", b"")
    return "".join(f"{name}: {value}\r\n" for name, value in headers.items())


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    """A fresh server; parametrize it (indirect) with CREDO_* settings to change them."""
    env = getattr(request, "param", None)
    srv = Server(make_consortium(tmp_path / "data"), tmp_path / "serve.log", env)
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (peak resident) of a process, in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def connect(server: Server, timeout: float = 30) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


def stream_chunked(server: Server, path: str, total: int, headers: str = "") -> tuple[int, bytes]:
    """POST ``total`` bytes to ``path`` in 1 MiB chunks while another thread reads the answer;
    returns how many body bytes the server took before it stopped us, and its answer."""
    sock = connect(server)
    answer = bytearray()

    def read() -> None:
        try:
            while data := sock.recv(65536):
                answer.extend(data)
        except OSError:
            pass  # reset by the server once it closed on the rest of the body

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    chunk = b" " * MIB
    frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    sent = 0
    try:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Transfer-Encoding: chunked\r\n{headers}\r\n".encode()
        )
        while sent < total:
            sock.sendall(frame)
            sent += len(chunk)
        sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server closed the connection: what we want, once it has answered
    reader.join(timeout=30)
    sock.close()
    return sent, bytes(answer)


@pytest.mark.slow
def test_body_too_large_512_mib_chunked_upload_is_refused_without_growing_the_server(
    server: Server,
) -> None:
    total = 512 * MIB
    before = memory_kib(server.proc.pid)
    sent, answer = stream_chunked(server, "/v1/entries", total)
    after = memory_kib(server.proc.pid)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 "), (sent, answer[:300], server.output())
    assert b"application/problem+json" in head
    assert b'"code":"body_too_large"' in body
    assert sent < total  # the server closed on the rest of the body instead of reading it
    grown = after["VmRSS"] - before["VmRSS"]
    peak = after["VmHWM"] - before["VmRSS"]
    print(f"sent {sent / MIB:.0f} MiB; RSS grew {grown / 1024:.1f} MiB, peak {peak / 1024:.1f}")
    assert grown < 64 * 1024, (before, after)
    assert peak < 64 * 1024, (before, after)


def wait_for_output(server: Server, text: str, deadline: float = 30) -> str:
    end = time.monotonic() + deadline
    while text not in (out := server.output()) and time.monotonic() < end:
        time.sleep(0.05)
    return out


def test_client_disconnect_mid_body_is_one_log_line_not_a_traceback(server: Server) -> None:
    for path in ("/v1/entries", "/v1/access"):  # both bodies under their limit
        sock = connect(server)
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: 60000\r\n{forged_signature()}\r\n".encode()
            + b"{" * 5000
        )
        sock.close()
        wait_for_output(server, f"(POST {path})")
    assert httpx.get(f"{server.url}/log/checkpoint", timeout=10).status_code == 200
    out = server.output()
    lines = [line for line in out.splitlines() if "client went away" in line]
    assert len(lines) == 2, out
    assert "Traceback" not in out, out
    assert "ClientDisconnect" not in out, out


# --- finding 3: slow clients are timed out, connections are bounded -----------------------

SHORT_TIMEOUTS = {
    "CREDO_HEADER_TIMEOUT": "2",
    "CREDO_KEEP_ALIVE_TIMEOUT": "1",
    "CREDO_BODY_TIMEOUT": "2",
}


def is_closed(sock: socket.socket) -> bool:
    """Whether the server closed ``sock`` (EOF or reset), checked without waiting."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1024) == b""
    except OSError:
        return True


@pytest.mark.parametrize("server", [SHORT_TIMEOUTS], indirect=True)
def test_slow_header_clients_are_closed_and_others_still_served(server: Server) -> None:
    slow = [connect(server, timeout=5) for _ in range(50)]
    head = b"GET /log/checkpoint HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 10_000
    sent, open_ = 0, set(range(len(slow)))
    started = time.monotonic()
    served = 0
    # Each slow client sends its head a byte at a time and never finishes it; the deadline
    # only bounds the test if the server never closes them (it should within seconds).
    while open_ and time.monotonic() < started + 60 and sent < len(head):
        for i in list(open_):
            try:
                slow[i].send(head[sent : sent + 1])
            except OSError:
                open_.discard(i)
                continue
            if is_closed(slow[i]):
                open_.discard(i)
        sent += 1
        if sent % 10 == 0:  # meanwhile, an ordinary client is answered
            r = httpx.get(f"{server.url}/log/checkpoint", timeout=10)
            assert r.status_code == 200, r.text
            served += 1
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    for sock in slow:
        sock.close()
    print(f"50 slow clients closed after {elapsed:.1f} s; {served} checkpoints served meanwhile")
    assert not open_, f"{len(open_)} slow clients still open after {sent} bytes"
    assert served > 0
    assert httpx.get(f"{server.url}/log/checkpoint", timeout=10).status_code == 200


@pytest.mark.parametrize("server", [SHORT_TIMEOUTS], indirect=True)
def test_a_stalled_body_is_answered_408_and_closed(server: Server) -> None:
    sock = connect(server)
    sock.sendall(
        b"POST /v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n" + b'{"entries": ['
    )
    answer = bytearray()
    while data := sock.recv(65536):  # the socket's own timeout (30 s) bounds the wait
        answer.extend(data)
    sock.close()
    head, _, body = bytes(answer).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), answer
    assert b"application/problem+json" in head
    assert b'"code":"request_timeout"' in body


@pytest.mark.parametrize("server", [{"CREDO_LIMIT_CONCURRENCY": "10"}], indirect=True)
def test_connections_beyond_limit_concurrency_are_refused_503(server: Server) -> None:
    idle = [connect(server) for _ in range(12)]
    try:
        r = poll_checkpoint(server, until=503)
        assert r.status_code == 503, r.text
    finally:
        for sock in idle:
            sock.close()
    assert poll_checkpoint(server, until=200).status_code == 200


def poll_checkpoint(server: Server, until: int, deadline: float = 30) -> httpx.Response:
    """GET /log/checkpoint until it answers ``until`` (the server sees closes and opens a
    little after the client does), or the deadline passes."""
    end = time.monotonic() + deadline
    while True:
        r = httpx.get(f"{server.url}/log/checkpoint", timeout=10)
        if r.status_code == until or time.monotonic() > end:
            return r
        time.sleep(0.05)


def _raw(server: Server, request: bytes) -> bytes:
    with connect(server) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and b"connection: close" not in answer.lower():
                break
    return answer


def test_the_wire_shows_no_server_name_no_reflected_host_and_431_for_a_huge_head(
    server: Server,
) -> None:
    """Issue 25's probe, over a real socket: `server: uvicorn` on every response, the
    trailing-slash redirect reflecting the Host header, and a 70,000-byte header accepted."""
    ok = _raw(server, b"GET /v1/members HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head = ok.split(b"\r\n\r\n")[0].lower()
    assert head.startswith(b"http/1.1 200")
    assert b"\r\nserver:" not in head
    moved = _raw(
        server, b"GET /v1/members/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    )
    head = moved.split(b"\r\n\r\n")[0].lower()
    assert b"\r\nlocation: /v1/members\r\n" in head + b"\r\n"
    assert b"evil" not in head
    huge = _raw(
        server,
        b"GET /v1/members HTTP/1.1\r\nHost: x\r\nX-Padding: "
        + b"a" * 70_000
        + b"\r\nConnection: close\r\n\r\n",
    )
    assert huge.startswith(b"HTTP/1.1 431"), huge[:80]
    assert b"70000" not in huge
