"""The portal's weight and speed against the demo consortium (10,000 people by default).

For each page, signed in as each demo person in turn:
- weight: the bytes a first visit transfers (the page, its stylesheet and its scripts; the
  portal loads no font or image), compressed as the server sends them, beside the same bytes
  uncompressed;
- repeat visit: the bytes a second visit transfers, with the assets cached (an asset served
  ``immutable`` at its versioned URL is not asked for again; any other is);
- server time: the portal's own ``Server-Timing: app`` figure, p50 and p99 over every request,
  and the median of its ``cpu`` figure (the process's CPU time while the request ran).

    python bench/bench_portal.py                       # creates the demo in a temp dir
    python bench/bench_portal.py --data credo-data     # an existing demo directory
    python bench/bench_portal.py --requests 300 --people 10000
    python bench/bench_portal.py --data credo-data --person 1 --requests 40   # the busiest

Targets (issue: the person's app): every page under 150 KB on first load; server time
under 50 ms at p99 with the demo's 10,000 people.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_log import _credo, _free_port, _wait_until_serving

PAGES = [
    "/",
    "/score",
    "/records",
    "/access",
    "/consents",
    "/consents/new",
    "/benefits",
    "/programme",
    "/disputes",
    "/data",
    "/entries",
    "/consortium",
    "/help",
    "/data/export.html",
]
WEIGHT_LIMIT = 150 * 1024
P99_LIMIT_MS = 50.0


def _server_ms(response: httpx.Response, metric: str = "app") -> float:
    """The page's ``Server-Timing`` figure: ``app`` (wall time in the app) or ``cpu``."""
    found = re.search(rf"{metric};dur=([0-9.]+)", response.headers.get("server-timing", ""))
    if found is None:
        raise RuntimeError(f"{response.url} has no Server-Timing header")
    return float(found.group(1))


def _sign_in(client: httpx.Client, person: int) -> None:
    client.cookies.clear()
    page = client.get("/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    if csrf is None:
        raise RuntimeError("no demo sign-in form: is this a demo data directory?")
    r = client.post("/signin/demo", data={"csrf": csrf.group(1), "person": str(person)})
    r.raise_for_status()


def _wire(response: httpx.Response) -> int:
    """Bytes the body took on the wire (compressed if it was), not after decoding."""
    return response.num_bytes_downloaded


def _weight(client: httpx.Client, path: str) -> tuple[int, int, int]:
    """Bytes of a first visit on the wire, the same uncompressed, and a repeat visit's bytes
    on the wire: the page again, and only the assets a browser may not keep."""
    page = client.get(path, headers={"accept-encoding": "gzip"})
    wire, plain, repeat = _wire(page), len(page.content), _wire(page)
    for asset in set(re.findall(r'(?:href|src)="(/assets/[^"]+)"', page.text)):
        r = client.get(asset, headers={"accept-encoding": "gzip"})
        wire += _wire(r)
        plain += len(r.content)
        if "immutable" not in r.headers.get("cache-control", ""):
            repeat += _wire(r)  # revalidated at best; counted as fetched again
    return wire, plain, repeat


def measure(url: str, requests: int, people: list[int]) -> dict[str, dict[str, float]]:
    """Each page ``requests`` times, signed in as each of ``people`` (roster entries) in
    turn."""
    out: dict[str, dict[str, float]] = {}
    every = max(requests // len(people), 1)
    with httpx.Client(base_url=url, timeout=30, follow_redirects=True) as client:
        _sign_in(client, people[0])
        for path in PAGES:
            wire, plain, repeat = _weight(client, path)
            times, cpu = [], []
            for n in range(requests):
                if len(people) > 1 and n % every == 0:
                    _sign_in(client, people[(n // every) % len(people)])
                r = client.get(path)
                r.raise_for_status()
                times.append(_server_ms(r))
                cpu.append(_server_ms(r, "cpu"))
            times.sort()
            out[path] = {
                "kb": wire / 1024,
                "plain_kb": plain / 1024,
                "repeat_kb": repeat / 1024,
                "p50": statistics.median(times),
                "p99": times[min(len(times) - 1, int(len(times) * 0.99))],
                "cpu50": statistics.median(cpu),
            }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, help="an existing demo data directory")
    ap.add_argument("--people", type=int, default=10_000, help="demo size when creating one")
    ap.add_argument("--requests", type=int, default=200, help="requests per page")
    ap.add_argument("--roster", type=int, default=12, help="demo people to sign in as")
    ap.add_argument(
        "--person", type=int, help="only this roster entry (1: the demo's busiest person)"
    )
    args = ap.parse_args()
    credo, env = _credo(None)
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp) / "demo"
        if args.data is None:
            started = time.monotonic()
            subprocess.run(
                [*credo, "demo", "--data", str(data), "--people", str(args.people), "--no-serve"],
                check=True,
                env=env,
            )
            print(f"demo of {args.people:,} people created in {time.monotonic() - started:.0f} s")
        port = _free_port()
        url = f"http://localhost:{port}"
        server = subprocess.Popen(
            [*credo, "serve", "--data", str(data), "--port", str(port), "--processes", "1"],
            env={**env, "CREDO_PUBLIC_URL": url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_until_serving(url)
            people = [args.person] if args.person is not None else list(range(args.roster))
            results = measure(url, args.requests, people)
        finally:
            server.terminate()
            server.wait(timeout=30)
    failed = False
    print(
        f"{'page':<16}{'first KB gzip':>14}{'first KB plain':>15}{'repeat KB':>10}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'cpu p50':>9}"
    )
    for path, r in results.items():
        ok = r["kb"] * 1024 < WEIGHT_LIMIT and r["p99"] < P99_LIMIT_MS
        failed |= not ok
        print(
            f"{path:<16}{r['kb']:>14.1f}{r['plain_kb']:>15.1f}{r['repeat_kb']:>10.1f}"
            f"{r['p50']:>9.1f}{r['p99']:>9.1f}{r['cpu50']:>9.1f}{'' if ok else '  OVER'}"
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
