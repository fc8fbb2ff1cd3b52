"""Votes at the pace of a crowd: real signed-in portal sessions voting through the same route
a person's browser uses (``POST /consultations/{id}/vote``, the JavaScript path that answers
the next statement), against a real `credo serve`.

    python bench/bench_consultation.py                         # 1,300 people, every 5 s, 60 s
    python bench/bench_consultation.py --people 300 --seconds 20

A fresh consortium: a convener's consultation with 60 statements in four languages, and
``--people`` people, each with a portal session (started through the accounts service, as a
passkey sign-in ends, so the bench needs no authenticator). Each person votes every
``--every`` seconds, staggered, on the statement the previous answer offered them. Printed:
vote latency percentiles (client-side, from request to answer), votes acknowledged, votes
found on the log afterwards (each acknowledged index read back from the store: its entry is
a ``consultation.vote``), and errors. Target (issue 28): 1,300 people every 5 s (260 votes/s)
for 60 s at p99 <= 300 ms, 0 errors, every acknowledged vote on the log.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_log import _credo, _free_port, _wait_until_serving

from credo.ledger.entries import statement_of
from credo.services.accounts import Accounts
from credo.services.consultations import Consultations, moment
from credo.services.node import DataDir, Node, admit_member
from credo.services.people import People
from credo.store import open_store

CID = "bench-streets"
STATEMENT = re.compile(r'name="statement" value="([0-9a-f]{32})"')
LANGS = ("th", "zh-Hans", "zh-Hant", "en")


def prepare(data: Path, people: int, url: str) -> list[tuple[str, str]]:
    """The consortium, the consultation and its statements; a session per person:
    (session token, CSRF token) each."""
    subprocess.run(
        ["credo", "init", "--data", str(data), "--origin", "bench.example/log"],
        check=True,
        capture_output=True,
    )
    node = Node(DataDir(data)).start()
    try:
        key = admit_member(node, "council", "Council", "government", ["convener"])
        service = Consultations(People.open(node))
        service.open(
            "council",
            key,
            CID,
            {"en": "How should we share the streets?"},
            opens_at=moment(-1),
            closes_at=moment(30),
        )
        subjects = [node.vault.ensure_subject(f"BENCH{n:06d}") for n in range(people)]
        for n in range(60):
            service.submit_statement(
                subjects[n % len(subjects)] if n < 5 * len(subjects) else subjects[0],
                CID,
                LANGS[n % 4],
                f"Statement number {n}",
            )
            if n % 5 == 4:  # the rate limit: five an hour per person
                subjects = subjects[1:] + subjects[:1]
    finally:
        node.close()
    accounts = Accounts.open(DataDir(data), rp_id="localhost", origin=url)
    try:
        return [(s.token, s.csrf) for s in (accounts.start_session(x) for x in subjects)]
    finally:
        accounts.close()


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    acknowledged: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Connection:
    """One keep-alive HTTP/1.1 connection: a few lines of asyncio, so the client's CPU stays
    off the two cores the server needs."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        lines = [f"{method} {path} HTTP/1.1", "Host: localhost", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            self.writer = None
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)


async def person(
    port: int,
    session: tuple[str, str],
    pool: asyncio.Queue[Connection],
    first: str,
    every: float,
    until: float,
    start: float,
    results: Results,
) -> None:
    token, csrf = session
    cookie = {"Cookie": f"credo_session={token}"}
    statement, n = first, 0
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    while time.monotonic() < until:
        due = time.monotonic() + every
        choice = random.choice(("agree", "disagree", "pass"))
        body = f"csrf={csrf}&statement={statement}&vote={choice}&shown=en&n={n}".encode()
        headers = {
            **cookie,
            "Content-Type": "application/x-www-form-urlencoded",
            "x-credo-fetch": "1",
        }
        conn = await pool.get()
        t0 = time.perf_counter()
        try:
            status, answer = await conn.request("POST", f"/consultations/{CID}/vote", headers, body)
        except (ConnectionError, OSError, asyncio.IncompleteReadError) as exc:
            conn.writer = None
            results.errors.append(type(exc).__name__)
            status, answer = 0, b""
        finally:
            pool.put_nowait(conn)
        elapsed = time.perf_counter() - t0
        if status == 200:
            doc = json.loads(answer)
            results.latencies.append(elapsed)
            results.acknowledged.append(int(doc["index"]))
            found = STATEMENT.search(doc["html"])
            n += 1
            if found:
                statement = found.group(1)
            else:  # voted on every statement: ask for more next time, change a vote now
                n = 0
        elif status:
            results.errors.append(str(status))
        await asyncio.sleep(max(0.0, due - time.monotonic()))


async def first_statements(port: int, sessions: list[tuple[str, str]]) -> list[str]:
    conn = Connection(port)
    out = []
    for token, _ in sessions:
        status, page = await conn.request(
            "GET", f"/consultations/{CID}", {"Cookie": f"credo_session={token}"}, b""
        )
        found = STATEMENT.search(page.decode())
        if status != 200 or not found:
            raise RuntimeError(f"the consultation page answered {status}")
        out.append(found.group(1))
    return out


async def load(
    port: int, sessions: list[tuple[str, str]], every: float, seconds: float, connections: int
) -> Results:
    firsts = await first_statements(port, sessions)
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(Connection(port))
    results = Results()
    begin = time.monotonic() + 0.5
    until = begin + seconds
    tasks = [
        person(port, s, pool, f, every, until, begin + every * k / len(sessions), results)
        for k, (s, f) in enumerate(zip(sessions, firsts, strict=True))
    ]
    await asyncio.gather(*tasks)
    return results


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) of a process and its children so far, from /proc: on a
    shared machine the figure that does not depend on what else runs."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        pids += [int(c) for c in children.read_text().split()]
    total = 0.0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def on_log(data: Path, indices: list[int]) -> int:
    store = open_store(data / "ledger.db", readonly=True)
    try:
        found = 0
        for index in indices:
            entry = store.read_entries(index, 1)
            if entry and statement_of(entry[0])["kind"] == "consultation.vote":
                found += 1
        return found
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1300)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between a person's votes")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1, help="credo serve --workers")
    args = parser.parse_args()
    if args.people < 1 or args.seconds <= 0 or args.every <= 0:
        parser.error("--people, --seconds and --every must be positive")
    credo, env = _credo(None)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        port = _free_port()
        url = f"http://localhost:{port}"
        sessions = prepare(data, args.people, url)
        server = subprocess.Popen(
            [
                *credo,
                "serve",
                "--data",
                str(data),
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            env={**env, "CREDO_PUBLIC_URL": url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_until_serving(f"http://127.0.0.1:{port}")
            print(f"credo serve is process {server.pid}", file=sys.stderr, flush=True)
            before = cpu_seconds(server.pid)
            results = asyncio.run(load(port, sessions, args.every, args.seconds, args.connections))
            # the first page of every person is in the figure too: a little pessimistic
            spent = cpu_seconds(server.pid) - before
        finally:
            server.terminate()
            server.wait(timeout=60)
        found = on_log(data, results.acknowledged)
    lat = sorted(results.latencies)

    def pct(p: float) -> float:
        return 1000 * lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")

    rate = len(lat) / args.seconds
    print(
        f"people {args.people}, a vote each every {args.every:g} s for {args.seconds:g} s "
        f"({args.people / args.every:.0f} votes/s asked)"
    )
    print(
        f"votes acknowledged {len(results.acknowledged)} ({rate:.0f}/s), "
        f"found on the log {found}, errors {len(results.errors)}"
        + (f" {sorted(set(results.errors))}" if results.errors else "")
    )
    per_vote = 1000 * spent / max(1, len(lat))
    print(
        f"server CPU {spent:.1f} s: {per_vote:.2f} ms a vote, so two idle cores would serve "
        f"about {2000 / per_vote:.0f} votes/s"
    )
    print(
        f"latency ms: p50 {pct(0.5):.1f}  p90 {pct(0.9):.1f}  p99 {pct(0.99):.1f}  "
        f"max {pct(1.0):.1f}  mean {1000 * statistics.fmean(lat) if lat else float('nan'):.1f}"
    )


if __name__ == "__main__":
    main()
