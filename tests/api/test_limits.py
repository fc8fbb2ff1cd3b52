"""Request bodies are counted as they arrive (credo.api.limits): over the route's limit is a
413 problem at once, and the application never holds more than the limit; a body that stalls
is a 408; a client that goes away mid-body is one log line (issue "No stranger or member can
break credo for anyone else", findings 2, 3 and 4)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from credo.api import create_app
from credo.api.auth import MAX_SIGNED_BODY
from credo.api.httpsig import sign_request
from credo.api.limits import BodyLimits
from credo.ledger.keys import MemberKey
from credo.ledger.validate import MAX_BATCH_BYTES
from credo.settings import Settings
from tests.api.test_entries import assert_problem, size

MIB = 1024 * 1024


@dataclass
class Exchange:
    """What a request driven straight through the ASGI app pulled and got back."""

    pulled: int = 0  # body bytes the application (through the middleware) asked for
    sent: list[Message] = field(default_factory=list)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.sent[0]["headers"]}

    def json(self) -> Any:
        return json.loads(b"".join(m.get("body", b"") for m in self.sent[1:]))


def scope_for(path: str, headers: dict[str, str], method: str = "POST") -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def exchange(
    app: Any,
    path: str,
    chunks: Iterable[bytes],
    headers: dict[str, str],
    then: Literal["end", "disconnect", "stall"] = "end",
) -> Exchange:
    """Stream ``chunks`` to ``app`` one ``http.request`` message each, as a server would;
    ``then`` the body ends, the client goes away (``http.disconnect``) or sends nothing more."""
    seen = Exchange()
    source: Iterator[bytes] = iter(chunks)

    async def receive() -> Message:
        chunk = next(source, None)
        if chunk is None and then == "disconnect":
            return {"type": "http.disconnect"}
        if chunk is None and then == "stall":
            await asyncio.sleep(30)  # a timeout ends this; else the body ends, too late
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        seen.pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: Message) -> None:
        seen.sent.append(message)

    await app(scope_for(path, headers), receive, send)
    return seen


def drive(
    client: TestClient,
    path: str,
    chunks: Iterable[bytes],
    headers: dict[str, str],
    then: Literal["end", "disconnect", "stall"] = "end",
) -> Exchange:
    """``exchange`` with the client's app, on its event loop (after its lifespan started)."""
    assert client.portal is not None
    return client.portal.call(exchange, client.app, path, chunks, headers, then)


def chunked(total: int, chunk: int = MIB) -> Iterator[bytes]:
    piece = b" " * chunk
    for _ in range(total // chunk):
        yield piece


CHUNKED = {"content-type": "application/json", "transfer-encoding": "chunked"}


def forged_signature_headers(path: str) -> dict[str, str]:
    """Signature headers that parse (so the body is read) from a key no member holds."""
    headers = sign_request(MemberKey.generate(), "POST", path, b"{}")
    return CHUNKED | {k.lower(): v for k, v in headers.items()}


def test_body_too_large_chunked_body_to_entries_is_413(client: TestClient) -> None:
    before = size(client)
    r = client.post("/v1/entries", content=chunked(MAX_BATCH_BYTES + MIB), headers=CHUNKED)
    assert_problem(r, 413, "body_too_large")
    assert r.headers["connection"] == "close"
    assert size(client) == before


def test_body_too_large_chunked_body_to_access_is_413(client: TestClient) -> None:
    headers = forged_signature_headers("/v1/access")
    r = client.post("/v1/access", content=chunked(4 * MAX_SIGNED_BODY, 4096), headers=headers)
    assert_problem(r, 413, "body_too_large")


def test_body_too_large_entries_body_is_refused_as_it_arrives(client: TestClient) -> None:
    before = size(client)
    seen = drive(client, "/v1/entries", chunked(MAX_BATCH_BYTES + 8 * MIB), CHUNKED)
    assert seen.status == 413
    assert seen.json()["code"] == "body_too_large"
    assert seen.headers["content-type"].startswith("application/problem+json")
    # Read up to the chunk that crossed the limit, and not one chunk more.
    assert MAX_BATCH_BYTES < seen.pulled <= MAX_BATCH_BYTES + MIB
    assert size(client) == before


def test_body_too_large_unsigned_access_body_is_refused_as_it_arrives(
    client: TestClient,
) -> None:
    headers = forged_signature_headers("/v1/access")
    seen = drive(client, "/v1/access", chunked(MIB, 4096), headers)
    assert (seen.status, seen.json()["code"]) == (413, "body_too_large")
    assert MAX_SIGNED_BODY < seen.pulled <= MAX_SIGNED_BODY + 4096


def test_body_too_large_declared_length_is_refused_before_reading(client: TestClient) -> None:
    for path, limit in (("/v1/entries", MAX_BATCH_BYTES), ("/v1/records/prepare", 65536)):
        headers = {"content-type": "application/json", "content-length": str(limit + 1)}
        seen = drive(client, path, chunked(limit + MIB), headers)
        assert (seen.status, seen.json()["code"], seen.pulled) == (413, "body_too_large", 0)
        assert seen.headers["connection"] == "close"
    seen = drive(client, "/v1/entries", [], {"content-length": "9" * 5000})
    assert (seen.status, seen.json()["code"]) == (413, "body_too_large")


def test_body_too_large_the_application_never_holds_more_than_the_limit() -> None:
    held: list[int] = []

    async def read_everything(scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            held.append(len(body))
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    app = BodyLimits(read_everything, limits={"/big": 1000}, default=100)
    for path, limit in (("/big", 1000), ("/other", 100)):
        held.clear()
        seen = asyncio.run(exchange(app, path, (b"x" * 7 for _ in range(1000)), CHUNKED))
        assert (seen.status, seen.json()["code"]) == (413, "body_too_large")
        assert max(held) <= limit < seen.pulled
        ok = asyncio.run(exchange(app, path, [b"x" * limit], CHUNKED))
        assert ok.status == 200


def test_body_too_large_an_answer_before_the_body_was_read_closes_the_connection(
    client: TestClient,
) -> None:
    r = client.post("/v1/access", content=b"{}", headers={"content-type": "application/json"})
    assert_problem(r, 401, "unauthenticated")  # refused before the body was read
    assert r.headers["connection"] == "close"
    assert "connection" not in client.get("/log/checkpoint").headers


# --- finding 4: a client that goes away mid-body ------------------------------------------


@pytest.mark.parametrize("path", ["/v1/entries", "/v1/access"])
def test_client_disconnect_mid_body_is_one_warning_line(
    client: TestClient, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = size(client)
    headers = forged_signature_headers(path)
    caplog.set_level(logging.DEBUG)
    # Returns normally: an exception out of the app is what made uvicorn log a traceback.
    seen = drive(client, path, [b'{"entries": [' + b" " * 4000] * 3, headers, "disconnect")
    assert seen.sent == []  # nobody is left to answer
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) == 1, [r.getMessage() for r in loud]
    (line,) = loud
    assert (line.name, line.levelname, line.exc_info) == ("credo.api.limits", "WARNING", None)
    message = line.getMessage()
    assert "\n" not in message
    assert f"12039 bytes of the request body (POST {path})" in message
    assert "127.0.0.1" not in message  # no client address: that is personal data
    assert size(client) == before


def test_client_disconnect_log_line_names_the_resource_not_the_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    path = "/v1/consents/c-4f1e2d/revoke"
    drive(client, path, [b"{"], forged_signature_headers(path), "disconnect")
    (line,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "(POST /v1/consents)" in line.getMessage()
    assert "c-4f1e2d" not in line.getMessage()


# --- finding 3: a body that stalls ------------------------------------------------------


@pytest.fixture
def impatient(data_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data_dir=data_dir, workers=0, body_timeout=0.2))) as c:
        yield c


@pytest.mark.parametrize("path", ["/v1/entries", "/v1/access"])
def test_slow_clients_a_stalled_body_is_408(impatient: TestClient, path: str) -> None:
    before = size(impatient)
    seen = drive(impatient, path, [b'{"entries": ['], forged_signature_headers(path), "stall")
    assert seen.status == 408
    assert seen.headers["content-type"].startswith("application/problem+json")
    assert seen.headers["connection"] == "close"
    assert seen.json()["code"] == "request_timeout"
    assert size(impatient) == before


def test_a_request_head_over_16_kib_is_431(client: TestClient) -> None:
    """docs/api.md promises 16 KiB for a request head; a 70,000-byte header was accepted
    (h11 bounds only a head that arrives in pieces)."""
    big = client.get("/v1/members", headers={"x-padding": "a" * 70_000})
    assert_problem(big, 431, "headers_too_large")
    assert big.headers["connection"] == "close"
    near = client.get("/v1/members", headers={"x-padding": "a" * 15_000})
    assert near.status_code == 200


def test_the_trailing_slash_redirect_does_not_reflect_the_host_header(client: TestClient) -> None:
    r = client.get("/v1/members/?x=1", headers={"host": "evil.example"}, follow_redirects=False)
    assert r.status_code in (307, 308)
    assert r.headers["location"] == "/v1/members?x=1"
    assert "evil" not in r.headers["location"]
