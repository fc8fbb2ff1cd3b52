"""The portal's weight and speed against the demo consortium (10,000 people by default).

For each page, signed in as each demo person in turn:
- weight: the bytes a first visit transfers (the page, its stylesheet and its scripts; the
  portal loads no font or image), compressed as the server sends them;
- server time: the portal's own ``Server-Timing: app`` figure, p50 and p99 over every request.

    python bench/bench_portal.py                       # creates the demo in a temp dir
    python bench/bench_portal.py --data credo-data     # an existing demo directory
    python bench/bench_portal.py --requests 300 --people 10000

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
]
WEIGHT_LIMIT = 150 * 1024
P99_LIMIT_MS = 50.0


def _server_ms(response: httpx.Response) -> float:
    found = re.search(r"app;dur=([0-9.]+)", response.headers.get("server-timing", ""))
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


def _weight(client: httpx.Client, path: str) -> int:
    """Bytes on the wire for a first visit: the page and every asset it links."""
    page = client.get(path, headers={"accept-encoding": "gzip"})
    total = int(page.headers.get("content-length") or len(page.content))
    for asset in set(re.findall(r'(?:href|src)="(/assets/[^"]+)"', page.text)):
        r = client.get(asset, headers={"accept-encoding": "gzip"})
        total += int(r.headers.get("content-length") or len(r.content))
    return total


def measure(url: str, requests: int, people: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with httpx.Client(base_url=url, timeout=30, follow_redirects=True) as client:
        _sign_in(client, 0)
        for path in PAGES:
            weight = _weight(client, path)
            times = []
            for n in range(requests):
                if n % max(requests // people, 1) == 0:
                    _sign_in(client, (n // max(requests // people, 1)) % people)
                r = client.get(path)
                r.raise_for_status()
                times.append(_server_ms(r))
            times.sort()
            out[path] = {
                "kb": weight / 1024,
                "p50": statistics.median(times),
                "p99": times[min(len(times) - 1, int(len(times) * 0.99))],
            }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, help="an existing demo data directory")
    ap.add_argument("--people", type=int, default=10_000, help="demo size when creating one")
    ap.add_argument("--requests", type=int, default=200, help="requests per page")
    ap.add_argument("--roster", type=int, default=12, help="demo people to sign in as")
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
            [*credo, "serve", "--data", str(data), "--port", str(port)],
            env={**env, "CREDO_PUBLIC_URL": url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_until_serving(url)
            results = measure(url, args.requests, args.roster)
        finally:
            server.terminate()
            server.wait(timeout=30)
    failed = False
    print(f"{'page':<16}{'first load KB':>14}{'p50 ms':>9}{'p99 ms':>9}")
    for path, r in results.items():
        ok = r["kb"] * 1024 < WEIGHT_LIMIT and r["p99"] < P99_LIMIT_MS
        failed |= not ok
        print(f"{path:<16}{r['kb']:>14.1f}{r['p50']:>9.1f}{r['p99']:>9.1f}{'' if ok else '  OVER'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
