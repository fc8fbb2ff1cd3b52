"""People reading the portal at once: N signed-in people, each reading a page every T seconds.

Each simulated person signs in through the routes a person uses (the demo's sign-in list:
``GET /signin`` for the form's token, ``POST /signin/demo``; refused with 503, they try again
after ``Retry-After``, as the refusal page asks), keeps their session cookie and
one keep-alive connection as a browser does (opened again when the server has closed it),
and then reads one of the portal's pages after an exponentially distributed wait of mean T
seconds, again and again. People arrive spread over the ramp; what is measured is what
happens in the window of ``--duration`` seconds after it.

    python bench/bench_people.py --data credo-data --people 1300          # one host, SQLite
    python bench/bench_people.py --data credo-data --curve 500,1000,2000,3000,4000
    python bench/bench_people.py --data DIR --db postgresql://... --servers 2 --people 1300
    python bench/bench_people.py --url http://127.0.0.1:8000 --people 500  # a running server

With ``--data`` it starts ``credo serve`` itself (``--processes``, default one a core); with
``--db`` it starts ``--servers`` separate ``credo serve`` processes on that PostgreSQL
database (each ``--processes 1`` unless told) and spreads the people over them, as a load
balancer would. It prints the served rate, p50/p95/p99 per page, errors by status, the
sign-ins, and with ``--curve`` the capacity curve: the number of people at which p99 crosses
``--p99-limit`` (300 ms). The generator is one asyncio process with a small HTTP/1.1 client
of its own (httpx costs it several times the CPU per request), on the same cores as the
server: say so when quoting its figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import resource
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_log import _credo, _free_port, _wait_until_serving

PAGES = ["/", "/score", "/records", "/access", "/consents", "/benefits", "/programme", "/data"]
TIMEOUT = 30.0
SIGN_IN_TRIES = 10
"""A person refused at sign-in (503) tries again after Retry-After, up to this many times."""
RETRY_AFTER = 2.0
"""When a refusal names no Retry-After."""
CSRF = re.compile(rb'name="csrf" value="([^"]+)"')
PERSON = re.compile(rb'name="person" value="(\d+)"')


class HttpError(Exception):
    """The connection failed or the answer could not be read."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes


class Connection:
    """One browser-like keep-alive connection, reopened when the server closed it."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.cookies: dict[str, str] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def request(self, method: str, path: str, form: str | None = None) -> Answer:
        for attempt in (0, 1):
            fresh = self._writer is None
            if fresh:
                await self._open()
            try:
                return await self._exchange(method, path, form)
            except (ConnectionError, asyncio.IncompleteReadError, HttpError) as exc:
                self.close()
                if fresh or attempt:  # a reused connection the server had closed: once more
                    raise HttpError(type(exc).__name__) from exc
        raise AssertionError("unreachable")

    async def _exchange(self, method: str, path: str, form: str | None) -> Answer:
        if self._reader is None or self._writer is None:
            raise HttpError("not connected")
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        body = (form or "").encode()
        if form is not None:
            head.append("Content-Type: application/x-www-form-urlencoded")
            head.append(f"Content-Length: {len(body)}")
        self._writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self._reader.readline()
        if not status_line:
            raise HttpError("closed")
        status = int(status_line.split(b" ", 2)[1])
        headers: dict[str, str] = {}
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie, _, _ = value.partition(";")
                key, _, val = cookie.partition("=")
                if val and "max-age=0" not in value.lower():
                    self.cookies[key] = val
                else:
                    self.cookies.pop(key, None)
            headers[name] = value
        data = await self._reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Answer(status, headers, self.cookies, data)


@dataclass
class Results:
    start: float = 0.0
    """When the measured window opens (after the ramp)."""
    end: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[str] = field(default_factory=Counter)
    signins: Counter[str] = field(default_factory=Counter)
    signin_latencies: list[float] = field(default_factory=list)
    offered: int = 0
    answered: list[float] = field(default_factory=list)

    def record(self, page: str, began: float, outcome: str) -> None:
        if not self.start <= began < self.end:
            return
        self.offered += 1
        self.statuses[outcome] += 1
        took = time.monotonic() - began
        if outcome == "200":
            self.latencies[page].append(took)
        if outcome.isdigit():
            self.answered.append(took)  # served or refused: how long the person waited


async def _sign_in(conn: Connection, person: int) -> tuple[str, float]:
    """The outcome ("ok" or the refusing status) and the Retry-After it came with."""
    form = await conn.request("GET", "/signin")
    if form.status != 200:
        return str(form.status), _retry_after(form)
    token = CSRF.search(form.body)
    if token is None:
        return "no_form", RETRY_AFTER
    signin = f"csrf={token.group(1).decode()}&person={person}"
    done = await conn.request("POST", "/signin/demo", signin)
    if done.status == 303 and "credo_session" in conn.cookies:
        return "ok", 0.0
    return str(done.status), _retry_after(done)


def _retry_after(answer: Answer) -> float:
    value = answer.headers.get("retry-after", "")
    return float(value) if value.isdigit() else RETRY_AFTER


async def _person(
    url: str, index: int, roster: int, think: float, arrive: float, results: Results, stop: float
) -> None:
    rng = random.Random(index)
    await asyncio.sleep(max(0.0, arrive - time.monotonic()))
    conn = Connection(url)
    for attempt in range(SIGN_IN_TRIES):
        began = time.monotonic()
        try:
            outcome, wait = await asyncio.wait_for(_sign_in(conn, index % roster), TIMEOUT)
        except (HttpError, OSError, TimeoutError) as exc:
            outcome = "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
            wait = RETRY_AFTER
        results.signin_latencies.append(time.monotonic() - began)  # answered, either way
        if outcome != "503" or attempt == SIGN_IN_TRIES - 1:
            break
        if time.monotonic() + wait > stop:
            outcome = "503, told to come back after the window"
            break
        results.signins["refused (503), tried again"] += 1
        await asyncio.sleep(wait * (1 + rng.random()))  # as told, and not all in step
    results.signins[outcome] += 1
    if outcome != "ok":
        conn.close()
        return
    try:
        while True:
            await asyncio.sleep(rng.expovariate(1 / think))
            began = time.monotonic()
            if began >= stop:
                return
            page = rng.choice(PAGES)
            try:
                answer = await asyncio.wait_for(conn.request("GET", page), TIMEOUT)
                outcome = str(answer.status)
            except TimeoutError:
                outcome = "timeout"
                conn.close()
            except (HttpError, OSError) as exc:
                outcome = type(exc).__name__
            results.record(page, began, outcome)
    finally:
        conn.close()


def _roster(url: str) -> int:
    async def read() -> int:
        conn = Connection(url)
        try:
            return len(PERSON.findall((await conn.request("GET", "/signin")).body))
        finally:
            conn.close()

    count = asyncio.run(read())
    if not count:
        raise SystemExit(
            f"{url}/signin offers no demo sign-in list: serve a `credo demo` directory"
        )
    return count


def run_level(urls: list[str], people: int, think: float, ramp: float, duration: float) -> Results:
    """``people`` people arriving over ``ramp`` s, measured for ``duration`` s after it."""
    roster = _roster(urls[0])

    async def main() -> Results:
        now = time.monotonic()
        results = Results(start=now + ramp, end=now + ramp + duration)
        tasks = [
            _person(
                urls[i % len(urls)],
                i,
                roster,
                think,
                now + ramp * i / max(1, people),
                results,
                results.end,
            )
            for i in range(people)
        ]
        await asyncio.gather(*tasks)
        return results

    return asyncio.run(main())


def _ms(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(people: int, think: float, r: Results) -> float:
    """Print one level; its overall p99 in ms."""
    served = sum(len(v) for v in r.latencies.values())
    window = r.end - r.start
    everything = [x for v in r.latencies.values() for x in v]
    print(
        f"\n{people} people, one page every {think:g} s each: offered {r.offered / window:.0f}/s, "
        f"served {served / window:.0f}/s (200s in the {window:g} s window)"
    )
    print(f"  {'page':<12} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for page in [*PAGES, "all"]:
        values = everything if page == "all" else r.latencies.get(page, [])
        print(
            f"  {page:<12} {len(values):>6} {_ms(values, 0.5):>8.1f} "
            f"{_ms(values, 0.95):>8.1f} {_ms(values, 0.99):>8.1f}"
        )
    waits = r.answered
    longest = 1000 * max(waits) if waits else float("nan")
    over = sum(1 for w in waits if w > 1.0)
    print(
        f"  every answer (served or refused): p99 {_ms(waits, 0.99):.1f} ms, longest "
        f"{longest:.0f} ms, {over} over 1 s"
    )
    errors = {k: v for k, v in r.statuses.items() if k != "200"}
    print(f"  errors by status: {dict(sorted(errors.items())) or 'none'}")
    signin_p99 = _ms(r.signin_latencies, 0.99)
    print(
        f"  sign-ins: {dict(sorted(r.signins.items()))}; p99 {signin_p99:.0f} ms to an answer "
        "(signed in or refused)"
    )
    return _ms(everything, 0.99) if everything else float("inf")


def capacity(curve: list[tuple[int, float]], limit: float) -> str:
    """The people at which p99 crosses ``limit``, linearly between the levels around it."""
    below = None
    for people, p99 in curve:
        if p99 > limit:
            if below is None:
                return f"p99 over {limit:g} ms already at {people} people"
            (p0, q0) = below
            at = p0 + (people - p0) * (limit - q0) / (p99 - q0)
            return f"p99 crosses {limit:g} ms at about {at:.0f} people"
        below = (people, p99)
    return f"p99 stays under {limit:g} ms up to {curve[-1][0]} people"


def _start_servers(
    args: argparse.Namespace, log: Path
) -> tuple[list[str], list[subprocess.Popen[bytes]]]:
    command, env = _credo(args.src)
    servers = args.servers if args.db else 1
    processes = args.processes or (1 if args.db else None)
    urls, procs = [], []
    out = log.open("ab")
    for _ in range(servers):
        port = _free_port()
        cmd = [*command, "serve", "--data", str(args.data), "--port", str(port)]
        if args.db:
            cmd += ["--db", args.db, "--advertise", f"http://127.0.0.1:{port}"]
        if processes:
            cmd += ["--processes", str(processes)]
        procs.append(subprocess.Popen(cmd, env=env, stdout=out, stderr=out, start_new_session=True))
        urls.append(f"http://127.0.0.1:{port}")
    for url in urls:
        _wait_until_serving(url, timeout=120)
    return urls, procs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", action="append", help="a running server (repeat for several)")
    where.add_argument("--data", type=Path, help="a `credo demo` directory to serve")
    parser.add_argument("--db", help="with --data: its PostgreSQL store (credo demo --db ...)")
    parser.add_argument("--servers", type=int, default=2, help="with --db: credo serve processes")
    parser.add_argument("--processes", type=int, help="credo serve --processes for each server")
    parser.add_argument("--src", help="serve from this source tree instead of the installed one")
    parser.add_argument("--people", type=int, default=1300)
    parser.add_argument("--curve", help="people at each level, e.g. 500,1000,2000,3000")
    parser.add_argument("--think", type=float, default=10.0, help="mean seconds between pages")
    parser.add_argument("--ramp", type=float, default=20.0, help="seconds over which people arrive")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds measured")
    parser.add_argument("--p99-limit", type=float, default=300.0, help="ms, for the curve")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a socket a person

    procs: list[subprocess.Popen[bytes]] = []
    if args.data is not None:
        log = Path(os.environ.get("TMPDIR", "/tmp")) / "bench_people-serve.log"
        urls, procs = _start_servers(args, log)
        print(f"serving {args.data} at {', '.join(urls)} (server log: {log})")
    else:
        urls = args.url
    try:
        levels = [int(n) for n in args.curve.split(",")] if args.curve else [args.people]
        curve = []
        for people in levels:
            results = run_level(urls, people, args.think, args.ramp, args.duration)
            curve.append((people, report(people, args.think, results)))
        if len(curve) > 1:
            print("\ncapacity curve (people, p99 ms):")
            for people, p99 in curve:
                print(f"  {people:>6} {p99:>9.1f}")
            print(capacity(curve, args.p99_limit))
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)


if __name__ == "__main__":
    main()
