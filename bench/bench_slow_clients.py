"""Slow clients against a real `credo serve`: checkpoint latency while N connections trickle.

Starts a fresh consortium and `credo serve` with short CREDO_HEADER_TIMEOUT and
CREDO_BODY_TIMEOUT, measures GET /log/checkpoint latency alone for a few seconds (the
baseline), then holds ``--clients`` slow connections for ``--seconds`` while measuring again.
The slow clients run in their own process (one asyncio loop), so they do not share the
measuring client's interpreter lock. Of every four, two send a request head a byte every
half second and never finish it, one connects and says nothing, one sends a head and the
start of a body and then stalls. Whenever the server closes one, it reconnects, so the server
faces ``--clients`` slow connections for the whole run. After the run, it waits for the server
to close the last of them and prints the figures as JSON:

    python bench/bench_slow_clients.py --clients 500 --seconds 60

``closed_by_server`` counts slow connections the server cut (EOF or reset); ``left_open``
those it had not closed ``timeout + 5`` s after the run. ``checkpoint_*_ms`` are whole
request latencies seen by an httpx client on a keep-alive connection, one request every 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import resource
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

HEAD = b"GET /log/checkpoint HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 12000
BODY_HEAD = (
    b"POST /v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100000\r\n\r\n" + b'{"entries": ['
)
KINDS = ("head", "head", "silent", "body")
DRIP = 0.5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _raise_open_files(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))


async def _slow_client(
    port: int, kind: str, until: float, linger: float, counts: dict[str, int]
) -> None:
    """One slot: a slow connection, replaced each time the server closes it, until ``until``;
    the last one is given ``linger`` seconds more for the server to close it."""
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            counts["connect_failed"] += 1
            await asyncio.sleep(0.1)
            continue
        counts["opened"] += 1
        closed = asyncio.ensure_future(reader.read())  # EOF (b"") or an answer then EOF
        sent = 0
        if kind == "body":
            writer.write(BODY_HEAD)
        try:
            while not closed.done() and time.monotonic() < until + linger:
                if kind == "head" and sent < len(HEAD):
                    writer.write(HEAD[sent : sent + 1])
                    sent += 1
                await asyncio.wait([closed], timeout=DRIP)
        except OSError:
            pass  # reset while we wrote: the server closed it
        finally:
            writer.close()
        if not closed.done():
            closed.cancel()
            counts["left_open"] += 1
            return
        counts["closed_by_server"] += 1
        if not closed.exception() and closed.result().startswith(b"HTTP/1.1 408 "):
            counts["answered_408"] += 1


async def _attack(port: int, clients: int, seconds: float, linger: float) -> dict[str, int]:
    counts = dict.fromkeys(
        ("opened", "closed_by_server", "answered_408", "left_open", "connect_failed"), 0
    )
    until = time.monotonic() + seconds
    await asyncio.gather(
        *(_slow_client(port, KINDS[i % 4], until, linger, counts) for i in range(clients))
    )
    return counts


def _attacker(port: int, clients: int, seconds: float, linger: float, out: Any) -> None:
    _raise_open_files(clients + 256)
    out.put(asyncio.run(_attack(port, clients, seconds, linger)))


def _measure(url: str, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    end = time.monotonic() + seconds
    with httpx.Client(timeout=30) as http:
        while time.monotonic() < end:
            started = time.perf_counter()
            try:
                r = http.get(f"{url}/log/checkpoint")
            except httpx.TransportError:
                errors += 1
                continue
            latencies.append(1e3 * (time.perf_counter() - started))
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            time.sleep(0.02)
    latencies.sort()
    q = (
        statistics.quantiles(latencies, n=100, method="inclusive")
        if len(latencies) > 1
        else latencies * 99
    )
    return {
        "requests": len(latencies),
        "statuses": statuses,
        "errors": errors,
        "checkpoint_p50_ms": round(statistics.median(latencies), 2),
        "checkpoint_p99_ms": round(q[98], 2),
        "checkpoint_max_ms": round(latencies[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--baseline-seconds", type=float, default=5.0)
    parser.add_argument("--header-timeout", type=float, default=10.0)
    parser.add_argument("--body-timeout", type=float, default=10.0)
    args = parser.parse_args()
    _raise_open_files(args.clients + 256)
    linger = max(args.header_timeout, args.body_timeout) + 5
    env = os.environ | {
        "CREDO_HEADER_TIMEOUT": str(args.header_timeout),
        "CREDO_BODY_TIMEOUT": str(args.body_timeout),
    }
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        subprocess.run(
            ["credo", "init", "--data", str(data), "--origin", "bench.example/log"],
            check=True,
            capture_output=True,
        )
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            ["credo", "serve", "--data", str(data), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"{url}/log/checkpoint", timeout=2)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            baseline = _measure(url, args.baseline_seconds)
            results: Any = mp.get_context("spawn").Queue()
            attacker = mp.get_context("spawn").Process(
                target=_attacker, args=(port, args.clients, args.seconds, linger, results)
            )
            attacker.start()
            time.sleep(1.0)  # let the slow connections open
            loaded = _measure(url, args.seconds - 1.0)
            counts = results.get(timeout=args.seconds + linger + 60)
            attacker.join(timeout=30)
        finally:
            server.terminate()
            server.wait(timeout=60)
    print(
        json.dumps(
            {
                "clients": args.clients,
                "seconds": args.seconds,
                "header_timeout": args.header_timeout,
                "body_timeout": args.body_timeout,
                "baseline": baseline,
                "under_slow_clients": loaded,
                "slow_connections": counts,
                "cpus": os.cpu_count(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
