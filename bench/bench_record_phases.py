"""A record's two requests apart: the server CPU of ``POST /v1/records/prepare-batch`` alone,
then of ``POST /v1/entries`` alone, per record, over HTTP against `credo serve`.

bench_records.py interleaves the two (each client prepares, signs, submits); here every batch
is prepared first, then every batch submitted, so each phase's CPU (the server's processes
and its validation workers, from /proc) is its own. Compare with bench_record_compute.py,
the same work in one process without HTTP, to see what the requests add.

    python bench/bench_record_phases.py --processes 2 --processes 1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_log import _credo, server_cpu_seconds, serving
from bench_records import _people, _prepare_batch, _Refusals, _setup, _submit, member_http

from credo.ledger.keys import MemberKey

Job = Callable[[httpx.Client, int], None]


def _phase(
    url: str, pid: int, batches: int, records: int, clients: int, job: Job
) -> dict[str, float]:
    """Every batch through ``job`` on ``clients`` threads: server CPU per record, and rate."""
    lock = threading.Lock()
    todo = iter(range(batches))

    def client() -> None:
        with member_http(url) as http:
            while True:
                with lock:
                    n = next(todo, None)
                if n is None:
                    return
                job(http, n)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    cpu, start = server_cpu_seconds(pid), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed, cpu = time.perf_counter() - start, server_cpu_seconds(pid) - cpu
    return {
        "server_cpu_ms_per_record": round(1e3 * cpu / records, 3),
        "records_per_s": round(records / elapsed),
    }


def one_run(processes: int, batches: int, batch: int, clients: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="credo-record-phases-") as tmp:
        root = Path(tmp) / "data"
        key: MemberKey = _setup(root, None)
        cmd, env = _credo(None)
        with serving(cmd, env, root, "--processes", str(processes)) as (pid, url):
            refusals = _Refusals()
            ids = [[_people(n, 2000) for n in range(b * batch, (b + 1) * batch)]
                   for b in range(batches + 4)]  # fmt: skip
            with member_http(url) as http:  # every process and code path warmed up
                for warm in ids[:4]:
                    _submit(http, _prepare_batch(http, key, warm, refusals)[0], refusals)
            prepared: list[list[bytes]] = [[] for _ in range(batches)]

            def prepare(http: httpx.Client, n: int) -> None:
                prepared[n] = _prepare_batch(http, key, ids[4 + n], refusals)[0]

            def submit(http: httpx.Client, n: int) -> None:
                _submit(http, prepared[n], refusals)

            records = batches * batch
            return {
                "processes": processes,
                "records": records,
                "batch": batch,
                "clients": clients,
                "prepare": _phase(url, pid, batches, records, clients, prepare),
                "submit": _phase(url, pid, batches, records, clients, submit),
            }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, action="append", help="serving processes")
    parser.add_argument("--batches", type=int, default=16)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    for _ in range(args.runs):
        for processes in args.processes or [2]:
            run = one_run(processes, args.batches, args.batch, args.clients)
            print(json.dumps(run), flush=True)


if __name__ == "__main__":
    os.environ.setdefault("CREDO_LOG_FORMAT", "text")
    main()
