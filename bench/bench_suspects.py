"""CPU per request of what joined the plain write path (issue 26, item 3), one at a time.

A `credo bench log` request is a batch of B signed attestations (default 1,000, about
0.6 MB). For each suspect this measures ``time.process_time`` per request over many
requests, in this process, so other work on a shared machine moves it little:

- the HTTP parser: the request's head and body through h11 (pure Python, what uvicorn's
  h11 protocol drives) and through httptools (llhttp, C), fed in 64 KiB reads;
- the duplicate-key scan of the batch body (`credo.ledger.strict_json`, in `parse_batch`);
- the body-limit wrapper (`credo.api.limits.BodyLimits`) around a trivial application;
- the fence (`WriteTx.fence`, one read of the lease row inside the group's transaction).

    python bench/bench_suspects.py --batch 1000
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h11
import httptools

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from credo.api.limits import BodyLimits
from credo.ledger.dsse import encode_envelope
from credo.ledger.entries import make_envelope
from credo.ledger.keys import MemberKey
from credo.ledger.strict_json import key_count, refuse_duplicate_keys
from credo.ledger.validate import parse_batch
from credo.store import open_store

READ = 65536


def _body(batch: int) -> bytes:
    key = MemberKey.generate()
    envs = []
    for i in range(batch):
        digest = hashlib.sha256(str(i).encode()).hexdigest()
        body = {"digest": f"sha256:{digest}", "doc_type": "bench.document"}
        envs.append(encode_envelope(make_envelope("attestation.issue", "bench", body, [key])))
    return b'{"entries":[' + b",".join(envs) + b"]}"


def _request(body: bytes) -> bytes:
    head = (
        b"POST /v1/entries HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nAccept: */*\r\n"
        b"Accept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\nUser-Agent: python-httpx\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    )
    return head + body


def _cpu_per_call(fn: Callable[[], object], seconds: float = 2.0) -> float:
    """CPU microseconds per call of ``fn``, over at least ``seconds`` of CPU."""
    fn()
    calls, start = 0, time.process_time()
    while (used := time.process_time() - start) < seconds:
        fn()
        calls += 1
    return used / calls * 1e6


def _h11(raw: bytes) -> Callable[[], object]:
    def parse() -> int:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=16384)
        got = 0
        for at in range(0, len(raw), READ):
            conn.receive_data(raw[at : at + READ])
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA or isinstance(event, h11.EndOfMessage):
                    break
                if isinstance(event, h11.Data):
                    got += len(event.data)
        return got

    return parse


def _httptools(raw: bytes) -> Callable[[], object]:
    class Sink:
        def __init__(self) -> None:
            self.got = 0
            self.headers: list[tuple[bytes, bytes]] = []

        def on_header(self, name: bytes, value: bytes) -> None:
            self.headers.append((name.lower(), value))

        def on_body(self, body: bytes) -> None:
            self.got += len(body)

    def parse() -> int:
        sink = Sink()
        parser = httptools.HttpRequestParser(sink)
        for at in range(0, len(raw), READ):
            parser.feed_data(raw[at : at + READ])
        return sink.got

    return parse


def _duplicate_scan(body: bytes) -> Callable[[], object]:
    parsed = parse_batch(body)
    count = 1 + sum(3 + 2 * len(e.signatures) for e in parsed if not isinstance(e, Exception))
    if count != 1 + key_count(json.loads(body)["entries"]):
        raise SystemExit("the batch's key count is not what parse_batch counts")

    def scan() -> None:
        refuse_duplicate_keys(body, count)

    return scan


def _body_limits(body: bytes, wrapped: bool) -> Callable[[], object]:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    target = BodyLimits(app, body_timeout=20.0) if wrapped else app
    chunks = [body[at : at + READ] for at in range(0, len(body), READ)]
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/entries",
        "headers": [(b"content-length", str(len(body)).encode())],
    }
    loop = asyncio.new_event_loop()

    async def one() -> None:
        queue = list(chunks)

        async def receive() -> dict[str, Any]:
            data = queue.pop(0)
            return {"type": "http.request", "body": data, "more_body": bool(queue)}

        async def send(message: dict[str, Any]) -> None:
            return None

        await target(scope, receive, send)

    return lambda: loop.run_until_complete(one())


def _fence() -> tuple[Callable[[], object], Callable[[], object]]:
    tmp = tempfile.mkdtemp(prefix="credo-suspects-")
    store = open_store(Path(tmp) / "ledger.db")
    lease = store.claim_lease("me", "http://me", 3600.0)

    def with_fence() -> None:
        with store.write(durable=False) as tx:
            tx.fence("me", lease.epoch)

    def without() -> None:
        with store.write(durable=False):
            pass

    return with_fence, without


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    body = _body(args.batch)
    raw = _request(body)
    with_fence, without_fence = _fence()
    figures = {
        "batch": args.batch,
        "body_bytes": len(body),
        "parse_h11_us": _cpu_per_call(_h11(raw)),
        "parse_httptools_us": _cpu_per_call(_httptools(raw)),
        "duplicate_key_scan_us": _cpu_per_call(_duplicate_scan(body)),
        "app_with_body_limits_us": _cpu_per_call(_body_limits(body, True)),
        "app_without_body_limits_us": _cpu_per_call(_body_limits(body, False)),
        "empty_write_tx_with_fence_us": _cpu_per_call(with_fence),
        "empty_write_tx_without_fence_us": _cpu_per_call(without_fence),
    }
    print(json.dumps({k: round(v, 1) for k, v in figures.items()}, indent=2))


if __name__ == "__main__":
    main()
