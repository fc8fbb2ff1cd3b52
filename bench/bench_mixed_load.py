"""What bulk submissions do to everyone else: the latency of a cheap request while
`credo bench log` submits batches of 1,000 attestations to the same `credo serve`.

A probe thread asks ``GET /v1/sequencer`` every 20 ms for the whole run; its p50, p99 and
longest wait are printed beside the bench's own figures. Runs alternate between the builds
named with ``--src``, as in bench_log.py:

    python bench/bench_mixed_load.py --runs 2 --src /tmp/before/src --src src
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_log import _credo, serving
from bench_records import _pct


def _probe(url: str, stop: threading.Event, waits: list[float]) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        while not stop.is_set():
            start = time.perf_counter()
            http.get("/v1/sequencer")
            waits.append(time.perf_counter() - start)
            time.sleep(0.02)


def one_run(src: str | None, entries: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="credo-mixed-") as tmp:
        root = Path(tmp) / "data"
        cmd, env = _credo(src)
        subprocess.run([*cmd, "init", "--data", str(root), "--origin", "bench.example/mixed"],
                       check=True, env=env, capture_output=True)  # fmt: skip
        with serving(cmd, env, root) as (_, url):
            stop, waits = threading.Event(), []
            probe = threading.Thread(target=_probe, args=(url, stop, waits))
            probe.start()
            try:
                bench = subprocess.run(
                    [*cmd, "bench", "log", "--data", str(root), "--url", url,
                     "--entries", str(entries), "--batch", "1000", "--concurrency", "4"],
                    env=env, capture_output=True, text=True, check=True,
                )  # fmt: skip
            finally:
                stop.set()
                probe.join()
    log = json.loads(bench.stdout.strip().splitlines()[-1])
    return {
        "build": src,
        "probe_p50_ms": round(1e3 * _pct(waits, 50), 1),
        "probe_p99_ms": round(1e3 * _pct(waits, 99), 1),
        "probe_max_ms": round(1e3 * max(waits), 1),
        **{k: log[k] for k in ("entries_per_s", "ratio_to_ceiling", "checkpoint_p99_ms")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--entries", type=int, default=60_000)
    parser.add_argument("--src", action="append", help="a build's source tree (repeatable)")
    args = parser.parse_args()
    for _ in range(args.runs):
        for src in args.src or [None]:
            print(json.dumps(one_run(src, args.entries)), flush=True)


if __name__ == "__main__":
    main()
