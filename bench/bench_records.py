"""The record path through HTTP: `POST /v1/records/prepare`, sign, `POST /v1/entries`.

Each run creates a consortium with one recording member, starts `credo serve` on a free port
and records about a pool of synthetic people (one in four new to credo, the rest known) in
two ways:

- one by one: C clients, each preparing a record, signing it and submitting it alone, as a
  member's front office would; prepare and submit latencies are per call;
- in batches: each client prepares B records, then submits them in one request of B entries,
  as a member's nightly export would.

    python bench/bench_records.py --runs 3
    python bench/bench_records.py --runs 4 --src /tmp/before/src --src src

With ``--src`` the server runs on each named source tree in turn (the client is this one);
runs alternate between builds, as in bench_log.py, because a shared VM's speed drifts.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_log import _credo, _free_port, _wait_until_serving

from credo.api.httpsig import sign_request
from credo.ledger.dsse import sign_envelope
from credo.ledger.entries import envelope_json
from credo.ledger.keys import MemberKey

MEMBER = "bank"


def _setup(root: Path, src: str | None) -> MemberKey:
    """A consortium with one bank (recorder), made by the build under test."""
    cmd, env = _credo(src)
    subprocess.run([*cmd, "init", "--data", str(root), "--origin", "bench.example/records"],
                   check=True, env=env, capture_output=True)  # fmt: skip
    subprocess.run(
        [*cmd, "member", "add", "--data", str(root), "--id", MEMBER, "--name", "Bench Bank",
         "--sector", "bank", "--role", "recorder", "--role", "reader"],
        check=True, env=env, capture_output=True,
    )  # fmt: skip
    return MemberKey.load(root / "keys" / f"{MEMBER}.pem")


def _prepare(http: httpx.Client, key: MemberKey, national_id: str) -> tuple[bytes, float]:
    body = json.dumps(
        {
            "national_id": national_id,
            "category": "finance",
            "type": "loan.repaid",
            "payload": {"amount": 1200, "on_time": True},
        }
    ).encode()
    path = "/v1/records/prepare"
    headers = {"content-type": "application/json"} | sign_request(key, "POST", path, body)
    start = time.perf_counter()
    answer = http.post(path, content=body, headers=headers)
    took = time.perf_counter() - start
    answer.raise_for_status()
    prepared = answer.json()
    env = sign_envelope(prepared["payloadType"], base64.b64decode(prepared["payload"]), [key])
    return json.dumps(envelope_json(env)).encode(), took


def _submit(http: httpx.Client, envelopes: list[bytes]) -> float:
    body = b'{"entries":[' + b",".join(envelopes) + b"]}"
    start = time.perf_counter()
    answer = http.post("/v1/entries", content=body, headers={"content-type": "application/json"})
    took = time.perf_counter() - start
    if answer.status_code != 200:
        raise RuntimeError(f"submission answered {answer.status_code}: {answer.text[:300]}")
    return took


def _people(n: int, pool: int) -> str:
    """Three in four records are about somebody already recorded."""
    return f"BN{(n % pool) if n % 4 else 10**6 + n:08d}"


def _drive(url: str, key: MemberKey, records: int, clients: int, batch: int) -> dict[str, Any]:
    prepares: list[float] = []
    submits: list[float] = []
    lock = threading.Lock()
    counter = iter(range(records))

    def client() -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            while True:
                with lock:
                    numbers = [n for _, n in zip(range(batch), counter, strict=False)]
                if not numbers:
                    return
                pending = []
                for n in numbers:
                    envelope, took = _prepare(http, key, _people(n, 2000))
                    pending.append(envelope)
                    prepares.append(took)
                submits.append(_submit(http, pending))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return {
        "records": records,
        "records_per_s": round(records / elapsed, 1),
        "prepare_p50_ms": round(_pct(prepares, 50) * 1000, 2),
        "prepare_p99_ms": round(_pct(prepares, 99) * 1000, 2),
        "submit_p50_ms": round(_pct(submits, 50) * 1000, 2),
        "submit_p99_ms": round(_pct(submits, 99) * 1000, 2),
    }


def _pct(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def one_run(records: int, clients: int, batch: int, src: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="credo-bench-records-") as tmp:
        root = Path(tmp) / "data"
        key = _setup(root, src)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        cmd, env = _credo(src)
        server = subprocess.Popen(
            [*cmd, "serve", "--data", str(root), "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait_until_serving(url)
            single = _drive(url, key, records, clients, 1)
            batched = _drive(url, key, records, clients, batch)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {"one_by_one": single, f"batches_of_{batch}": batched}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument(
        "--src", action="append", help="a build's source tree (repeat to compare builds)"
    )
    args = parser.parse_args()
    builds: list[str | None] = args.src or [None]
    results: dict[str, list[dict[str, Any]]] = {str(b): [] for b in builds}
    for n in range(args.runs):
        for build in builds:
            run = one_run(args.records, args.clients, args.batch, build)
            results[str(build)].append(run)
            print(json.dumps({"run": n, "build": build, **run}), flush=True)
    for build, runs in results.items():
        for mode in runs[0]:
            rates = [r[mode]["records_per_s"] for r in runs]
            p99 = [r[mode]["prepare_p99_ms"] for r in runs]
            print(
                f"{build} {mode}: records/s median {statistics.median(rates)} "
                f"(range {min(rates)}-{max(rates)}); prepare p99 median {statistics.median(p99)} ms"
            )


if __name__ == "__main__":
    os.environ.setdefault("CREDO_LOG_FORMAT", "text")
    main()
