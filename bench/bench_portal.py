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
    python bench/bench_portal.py --data credo-data --person 1 --src /tmp/before/src --src src

With ``--src`` twice or more, each build is served on its own copy of the demo and the
pages are asked of each in turn, which cancels the machine's slow and fast moments out of
the comparison (on the 2-core VM the same build's figures moved by a third within an
hour); it prints each page's median CPU per build.

Targets (issue: the person's app): every page under 150 KB on first load; server time
under 50 ms at p99 with the demo's 10,000 people.
"""

from __future__ import annotations

import argparse
import re
import shutil
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


def measure(urls: list[str], requests: int, people: list[int]) -> list[dict[str, dict[str, float]]]:
    """Each page ``requests`` times, signed in as each of ``people`` (roster entries) in
    turn, on each server at ``urls`` in turn (one build each): the servers share the
    machine's slow and fast moments, so their figures compare."""
    out: list[dict[str, dict[str, float]]] = [{} for _ in urls]
    every = max(requests // len(people), 1)
    clients = [httpx.Client(base_url=u, timeout=30, follow_redirects=True) for u in urls]
    try:
        for client in clients:
            _sign_in(client, people[0])
        for path in PAGES:
            weights = [_weight(client, path) for client in clients]
            times: list[list[float]] = [[] for _ in urls]
            cpu: list[list[float]] = [[] for _ in urls]
            for n in range(requests):
                for b, client in enumerate(clients):
                    if len(people) > 1 and n % every == 0:
                        _sign_in(client, people[(n // every) % len(people)])
                    r = client.get(path)
                    r.raise_for_status()
                    times[b].append(_server_ms(r))
                    cpu[b].append(_server_ms(r, "cpu"))
            for b, (wire, plain, repeat) in enumerate(weights):
                ordered = sorted(times[b])
                out[b][path] = {
                    "kb": wire / 1024,
                    "plain_kb": plain / 1024,
                    "repeat_kb": repeat / 1024,
                    "p50": statistics.median(ordered),
                    "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
                    "cpu50": statistics.median(cpu[b]),
                }
    finally:
        for client in clients:
            client.close()
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
    ap.add_argument(
        "--src",
        action="append",
        help="a build's source tree (repeat to compare builds: one server each, on its own "
        "copy of the demo, asked in turn)",
    )
    args = ap.parse_args()
    builds: list[str | None] = args.src or [None]
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp) / "demo"
        if args.data is None:
            credo, env = _credo(builds[0])
            started = time.monotonic()
            subprocess.run(
                [*credo, "demo", "--data", str(data), "--people", str(args.people), "--no-serve"],
                check=True,
                env=env,
            )
            print(f"demo of {args.people:,} people created in {time.monotonic() - started:.0f} s")
        servers, urls = [], []
        try:
            for n, build in enumerate(builds):
                copy = data if n == 0 else shutil.copytree(data, Path(tmp) / f"copy{n}")
                url, server = _serve(build, Path(copy))
                urls.append(url)
                servers.append(server)
            for url in urls:
                _wait_until_serving(url)
            people = [args.person] if args.person is not None else list(range(args.roster))
            results = measure(urls, args.requests, people)
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
    if len(builds) > 1:
        _compare(builds, results)
        return
    failed = False
    print(
        f"{'page':<16}{'first KB gzip':>14}{'first KB plain':>15}{'repeat KB':>10}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'cpu p50':>9}"
    )
    for path, r in results[0].items():
        ok = r["kb"] * 1024 < WEIGHT_LIMIT and r["p99"] < P99_LIMIT_MS
        failed |= not ok
        print(
            f"{path:<16}{r['kb']:>14.1f}{r['plain_kb']:>15.1f}{r['repeat_kb']:>10.1f}"
            f"{r['p50']:>9.1f}{r['p99']:>9.1f}{r['cpu50']:>9.1f}{'' if ok else '  OVER'}"
        )
    sys.exit(1 if failed else 0)


def _serve(build: str | None, data: Path) -> tuple[str, subprocess.Popen[bytes]]:
    credo, env = _credo(build)
    port = _free_port()
    url = f"http://localhost:{port}"
    server = subprocess.Popen(
        [*credo, "serve", "--data", str(data), "--port", str(port), "--processes", "1"],
        env={**env, "CREDO_PUBLIC_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return url, server


def _compare(builds: list[str | None], results: list[dict[str, dict[str, float]]]) -> None:
    """Each page's median CPU per build, side by side."""
    print(f"{'page':<20}" + "".join(f"{str(b)[-24:]:>26}" for b in builds))
    for path in PAGES:
        print(f"{path:<20}" + "".join(f"{r[path]['cpu50']:>26.2f}" for r in results))


if __name__ == "__main__":
    main()
