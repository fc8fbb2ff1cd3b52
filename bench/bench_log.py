"""Issue 2's log benchmark, repeated: `credo bench log --url` against a fresh server, N times.

Each run creates a new consortium in a temporary directory, starts `credo serve` on a free
port, runs `credo bench log --url ... --entries E --batch B --concurrency C` against it and
stops the server. Prints each run's figures and the spread over the runs, because on a shared
VM one run says little: whole-pipeline speed moves by 10-20% from one minute to the next.

    python bench/bench_log.py --runs 5

To compare builds in the same run (a change against the commit before it), name each build's
source tree with ``--src``; runs alternate between them (A, B, A, B, ...) and the spread is
printed per build:

    git worktree add /tmp/before HEAD~1
    python bench/bench_log.py --runs 6 --src /tmp/before/src --src src
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

FIGURES = ("entries_per_s", "ratio_to_ceiling", "ack_p99_ms", "checkpoint_p99_ms")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_until_serving(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/log/checkpoint", timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _credo(src: str | None) -> tuple[list[str], dict[str, str]]:
    """How to start `credo`: the installed command, or this interpreter on another source tree."""
    if src is None:
        return ["credo"], dict(os.environ)
    env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()))
    return [sys.executable, "-c", "from credo.cli import main; main()"], env


def one_run(entries: int, batch: int, concurrency: int, src: str | None = None) -> dict[str, Any]:
    credo, env = _credo(src)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        subprocess.run(
            [*credo, "init", "--data", str(data), "--origin", "bench.example/log"],
            check=True,
            capture_output=True,
            env=env,
        )
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [*credo, "serve", "--data", str(data), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        try:
            _wait_until_serving(url)
            done = subprocess.run(
                [*credo, "bench", "log", "--data", str(data), "--url", url,
                 "--entries", str(entries), "--batch", str(batch),
                 "--concurrency", str(concurrency)],
                check=True, capture_output=True, text=True, env=env,
            )  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=60)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--src", action="append", help="a build's source tree (repeat to compare builds)"
    )
    args = parser.parse_args()
    builds: list[str | None] = args.src or [None]
    by_build: dict[str | None, list[dict[str, Any]]] = {b: [] for b in builds}
    for n in range(args.runs):
        build = builds[n % len(builds)]
        figures = one_run(args.entries, args.batch, args.concurrency, build)
        by_build[build].append(figures)
        print(f"run {n + 1} ({build or 'installed'}): {json.dumps(figures)}", flush=True)
    for build, runs in by_build.items():
        if runs:
            print(f"== {build or 'installed'}")
            _summary(runs)


def _summary(runs: list[dict[str, Any]]) -> None:
    spread = {
        key: {
            "min": min(r[key] for r in runs),
            "median": statistics.median(r[key] for r in runs),
            "max": max(r[key] for r in runs),
        }
        for key in FIGURES
    }
    targets = {
        "entries_per_s >= 10000": sum(r["entries_per_s"] >= 10_000 for r in runs),
        "ratio_to_ceiling >= 0.5": sum(r["ratio_to_ceiling"] >= 0.5 for r in runs),
        "checkpoint_p99_ms <= 1000": sum(r["checkpoint_p99_ms"] <= 1000 for r in runs),
    }
    print(json.dumps({"runs": len(runs), "spread": spread, "runs_meeting": targets}, indent=2))


if __name__ == "__main__":
    main()
