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

To compare stores (issue 16), name each with ``--store``; runs alternate between them the
same way (with ``--src`` too, over every build and store), and PostgreSQL's figures over
SQLite's are printed: of the median entries/s, of the median ratio to the Ed25519 ceiling,
and of each pair of neighbouring runs (the k-th of each store), which the machine's drift
over minutes moves least:

    python bench/bench_log.py --runs 6 --store sqlite --store postgres

For ``postgres`` the bench starts one throwaway PostgreSQL server (tests/_postgres.py's, on a
Unix socket in a temporary directory, as the ``postgres`` user when run as root) on this
machine, so on the same cores as `credo serve` and the bench client, with ``fsync``,
``full_page_writes`` and ``synchronous_commit`` on: each commit waits for its WAL flush,
as SQLite's ``synchronous=FULL`` commits wait for theirs, which makes the two comparable.
Each run gets a fresh schema: `credo init --db URL`, `credo serve --db URL`. Each run's
figures carry the 1-minute load average at its end (``load_1m``): other work on a shared
machine moves the figures.
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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/_postgres.py

FIGURES = (
    "entries_per_s",
    "ratio_to_ceiling",
    "ack_p50_ms",
    "ack_p99_ms",
    "checkpoint_p99_ms",
    "server_cpu_us_per_entry",
)
_TICK = os.sysconf("SC_CLK_TCK")
STORES = ("sqlite", "postgres")
RATIOS = ("entries_per_s", "ratio_to_ceiling")  # PostgreSQL's over SQLite's, as medians


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


@contextmanager
def serving(
    credo: list[str], env: dict[str, str], data: Path, *options: str
) -> Iterator[tuple[int, str]]:
    """`credo serve` on ``data`` at a free local port, ready, until the block ends: its pid
    and URL. ``credo`` and ``env`` as `_credo` gives them; ``options`` go to ``serve``."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*credo, "serve", "--data", str(data), "--port", str(port), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        _wait_until_serving(url)
        yield server.pid, url
    finally:
        server.terminate()
        server.wait(timeout=60)


def _credo(src: str | None) -> tuple[list[str], dict[str, str]]:
    """How to start `credo`: the installed command, or this interpreter on another source tree."""
    if src is None:
        return ["credo"], dict(os.environ)
    env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()))
    return [sys.executable, "-c", "from credo.cli import main; main()"], env


def server_cpu_seconds(pid: int, system: bool | None = None) -> float:
    """User + system CPU time of process ``pid`` and its live descendants (the validation
    workers), from /proc: what a request costs the server, which other work on a shared
    machine moves far less than it moves throughput. ``system``: only the kernel's part
    (True) or only the user part (False)."""
    total = 0.0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            user, kernel = int(fields[11]), int(fields[12])
            total += (user + kernel if system is None else kernel if system else user) / _TICK
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def one_run(
    entries: int, batch: int, concurrency: int, src: str | None = None, db: str | None = None
) -> dict[str, Any]:
    """One fresh consortium, served and benched; ``db``: its store's PostgreSQL URL (else
    DIR/ledger.db)."""
    credo, env = _credo(src)
    on_db = [] if db is None else ["--db", db]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        subprocess.run(
            [*credo, "init", "--data", str(data), "--origin", "bench.example/log", *on_db],
            check=True,
            capture_output=True,
            env=env,
        )
        with serving(credo, env, data, *on_db) as (pid, url):
            cpu = server_cpu_seconds(pid)
            done = subprocess.run(
                [*credo, "bench", "log", "--data", str(data), "--url", url,
                 "--entries", str(entries), "--batch", str(batch),
                 "--concurrency", str(concurrency)],
                check=True, capture_output=True, text=True, env=env,
            )  # fmt: skip
            cpu = server_cpu_seconds(pid) - cpu
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["server_cpu_us_per_entry"] = round(cpu / entries * 1e6, 1)
    figures["load_1m"] = round(os.getloadavg()[0], 2)
    return figures


def _postgres_server() -> Any:
    """A durable throwaway PostgreSQL server (see the module's docstring); stop() it."""
    from tests import _postgres

    bindir = _postgres.find_bin()
    if bindir is None:
        sys.exit(f"--store postgres needs PostgreSQL's initdb and pg_ctl: {_postgres.INSTALL_HINT}")
    server = _postgres.Server(bindir, durable=True)
    server.start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--src", action="append", help="a build's source tree (repeat to compare builds)"
    )
    parser.add_argument(
        "--store", action="append", choices=STORES, help="the log's store (repeat to compare)"
    )
    args = parser.parse_args()
    builds: list[str | None] = args.src or [None]
    stores: list[str] = args.store or ["sqlite"]
    variants = [(b, s) for b in builds for s in stores]
    by_variant: dict[tuple[str | None, str], list[dict[str, Any]]] = {v: [] for v in variants}
    postgres = _postgres_server() if "postgres" in stores else None
    try:
        for n in range(args.runs):
            build, store = variants[n % len(variants)]
            db = postgres.fresh_url() if store == "postgres" else None
            figures = one_run(args.entries, args.batch, args.concurrency, build, db)
            by_variant[build, store].append(figures)
            print(f"run {n + 1} ({_name(build, store)}): {json.dumps(figures)}", flush=True)
    finally:
        if postgres is not None:
            postgres.stop()
    for (build, store), runs in by_variant.items():
        if runs:
            print(f"== {_name(build, store)}")
            _summary(runs)
    for build in builds:
        sqlite, pg = by_variant.get((build, "sqlite")), by_variant.get((build, "postgres"))
        if sqlite and pg:
            rate, share = (_median(pg, k) / _median(sqlite, k) for k in RATIOS)
            pairs = [
                p["entries_per_s"] / s["entries_per_s"] for s, p in zip(sqlite, pg, strict=False)
            ]
            print(
                f"== {build or 'installed'}: PostgreSQL/SQLite median entries/s {rate:.2f}, "
                f"median ratio to the Ed25519 ceiling {share:.2f}; entries/s of each "
                f"PostgreSQL run over the k-th SQLite run {[round(r, 2) for r in pairs]}, "
                f"median {statistics.median(pairs):.2f}"
            )


def _name(build: str | None, store: str) -> str:
    return f"{build or 'installed'}, {store}"


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def _summary(runs: list[dict[str, Any]]) -> None:
    spread = {
        key: {
            "min": min(r[key] for r in runs),
            "median": statistics.median(r[key] for r in runs),
            "max": max(r[key] for r in runs),
        }
        for key in (*FIGURES, "load_1m")
    }
    targets = {
        "entries_per_s >= 10000": sum(r["entries_per_s"] >= 10_000 for r in runs),
        "ratio_to_ceiling >= 0.5": sum(r["ratio_to_ceiling"] >= 0.5 for r in runs),
        "checkpoint_p99_ms <= 1000": sum(r["checkpoint_p99_ms"] <= 1000 for r in runs),
    }
    print(json.dumps({"runs": len(runs), "spread": spread, "runs_meeting": targets}, indent=2))


if __name__ == "__main__":
    main()
