"""Issue 16's witnessing latency: from an entry's acknowledgement to a quorum-cosigned
checkpoint that covers it, with three `credo witness` on loopback and a 2-of-3 quorum.

Each run creates a fresh consortium (tests/e2e/_server.py's), starts `credo serve --workers
1` and three `credo witness` processes (tests/e2e/_witnesses.py's) on 127.0.0.1, and has
governance adopt the 2-of-3 policy; once the served checkpoint is `met`, it submits
``--batch`` freshly signed entries per request at a steady ``--rate`` requests/s (open loop,
each request on its own schedule slot, whatever the earlier ones are doing) for
``--seconds``. A separate thread polls `/log/checkpoint` every ``--poll-ms`` and records
when each size is first served with `Credo-Witness-Quorum: met`. An entry's latency is
from its request's acknowledgement to the first such time with a size covering it (zero if
it was already met then); so it includes up to one poll interval and a poll's round trip.

    python bench/bench_witnessing.py                       # both settings below, once each
    python bench/bench_witnessing.py --setting defaults --runs 3

``--setting`` names the witnessing environment of a run, repeated to compare (runs alternate
between them): ``defaults`` (CREDO_WITNESS_RETRY and CREDO_WITNESS_TIMEOUT unset: 5 s
each), or ``RETRY/TIMEOUT`` in seconds, e.g. ``0.5/5`` (tests/e2e/test_quorum.py's). Everything
runs on this machine's cores, the bench client too; the figures carry the 1-minute load
average at the end of the run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/e2e's helpers

from tests.e2e._server import Server, make_consortium, post_entries, signed_attestations
from tests.e2e._witnesses import governance, running_witnesses, two_of_three, until

from credo.ledger.keys import MemberKey
from credo.services.node import DataDir
from credo.tlog import Checkpoint, parse_note

QUORUM = "credo-witness-quorum"
SETTINGS = ("0.5/5", "defaults")


def _environment(setting: str) -> dict[str, str]:
    if setting == "defaults":
        return {}
    retry, timeout = setting.split("/")
    return {"CREDO_WITNESS_RETRY": str(float(retry)), "CREDO_WITNESS_TIMEOUT": str(float(timeout))}


def _served(http: httpx.Client, url: str) -> tuple[int, bool]:
    """The served checkpoint's size, and whether the server says it meets the quorum."""
    r = http.get(f"{url}/log/checkpoint", timeout=10)
    size = Checkpoint.from_text(parse_note(r.content).text).size
    return size, r.headers.get(QUORUM) == "met"


class Poller:
    """Polls /log/checkpoint on a thread of its own; ``met`` is each (time, size) at which a
    larger size was first served as met."""

    def __init__(self, url: str, interval: float) -> None:
        self.url = url
        self.interval = interval
        self.met: list[tuple[float, int]] = []
        self.polls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        best = -1
        with httpx.Client() as http:
            while not self._stop.is_set():
                size, met = _served(http, self.url)
                seen = time.perf_counter()
                self.polls += 1
                if met and size > best:
                    self.met.append((seen, size))
                    best = size
                self._stop.wait(self.interval)

    def met_size(self) -> int:
        return self.met[-1][1] if self.met else 0

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _submit(
    url: str, batches: list[list[dict[str, object]]], rate: float
) -> list[tuple[float, int]]:
    """Each batch at its slot, t0 + k / rate; (acknowledged at, the log's size it needs)."""
    acks: list[tuple[float, int]] = []
    local = threading.local()

    def send(batch: list[dict[str, object]]) -> None:
        if not hasattr(local, "http"):
            local.http = httpx.Client()
        indexes = post_entries(local.http, url, batch)
        acks.append((time.perf_counter(), max(indexes) + 1))

    with ThreadPoolExecutor(max_workers=8) as pool:
        start = time.perf_counter()
        futures = []
        for k, batch in enumerate(batches):
            time.sleep(max(0.0, start + k / rate - time.perf_counter()))
            futures.append(pool.submit(send, batch))
        for f in futures:
            f.result()
    return acks


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def one_run(setting: str, rate: float, batch: int, seconds: float, poll: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = make_consortium(root / "data")
        key = MemberKey.load(DataDir(data).member_key("uni"))
        requests = max(1, round(rate * seconds))
        signed = signed_attestations(key, "uni", os.urandom(8).hex(), requests * batch)
        batches = [[e for e, _ in signed[i : i + batch]] for i in range(0, len(signed), batch)]
        log = Server(data, root / "server.log", _environment(setting), workers=1)
        try:
            log.wait_ready()
            with running_witnesses(root, log.url) as witnesses:
                governance(log, two_of_three(witnesses))
                with httpx.Client() as http:
                    until(lambda: _served(http, log.url)[1], "the witnesses never cosigned")
                poller = Poller(log.url, poll)
                try:
                    started = time.perf_counter()
                    acks = _submit(log.url, batches, rate)
                    sent_for = time.perf_counter() - started
                    need = max(size for _, size in acks)
                    until(lambda: poller.met_size() >= need, "the last entries were never met")
                finally:
                    poller.stop()
        finally:
            log.stop()
    latencies = []
    for acked, size in acks:
        met_at = next(t for t, s in poller.met if s >= size)
        latencies.extend([max(0.0, met_at - acked)] * batch)
    return {
        "setting": setting,
        "requests": len(acks),
        "entries": len(acks) * batch,
        "requests_per_s": round(len(acks) / sent_for, 1),
        "quorum_p50_ms": round(1e3 * statistics.median(latencies), 1),
        "quorum_p90_ms": round(1e3 * _percentile(latencies, 0.90), 1),
        "quorum_p99_ms": round(1e3 * _percentile(latencies, 0.99), 1),
        "quorum_max_ms": round(1e3 * max(latencies), 1),
        "met_sizes_seen": len(poller.met),
        "polls": poller.polls,
        "load_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None, help="default: one per setting")
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second")
    parser.add_argument("--batch", type=int, default=10, help="entries per request")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--poll-ms", type=float, default=10.0)
    parser.add_argument("--setting", action="append", help="defaults, or RETRY/TIMEOUT seconds")
    args = parser.parse_args()
    settings: list[str] = args.setting or list(SETTINGS)
    for setting in settings:
        _environment(setting)  # refuse a malformed one before the first run
    by_setting: dict[str, list[dict[str, Any]]] = {s: [] for s in settings}
    for n in range(args.runs or len(settings)):
        setting = settings[n % len(settings)]
        figures = one_run(setting, args.rate, args.batch, args.seconds, args.poll_ms / 1e3)
        by_setting[setting].append(figures)
        print(f"run {n + 1} ({setting}): {json.dumps(figures)}", flush=True)
    for setting, runs in by_setting.items():
        if len(runs) > 1:
            medians = {
                k: statistics.median(r[k] for r in runs)
                for k in ("quorum_p50_ms", "quorum_p99_ms", "quorum_max_ms", "load_1m")
            }
            print(f"== {setting}: medians over {len(runs)} runs {json.dumps(medians)}")


if __name__ == "__main__":
    main()
