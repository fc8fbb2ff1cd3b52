"""The record path through HTTP: `POST /v1/records/prepare`, sign, `POST /v1/entries`.

Each run creates a consortium with one recording member, starts `credo serve` on a free port
and records about a pool of synthetic people (one in four new to credo, the rest known) in
two ways:

- one by one: C clients, each preparing a record, signing it and submitting it alone, as a
  member's front office would; prepare and submit latencies are per call;
- in batches: each client prepares B records in one call (``POST /v1/records/prepare-batch``,
  when the server has it; else one by one), signs them and submits them in one request of B
  entries, as a member's nightly export would.

Then, to find the saturated rate, batches again with more clients and larger batches
(``--sweep``, default 16x500 32x500 16x1000) on the same server; the best of all the batched
runs is the saturated rate. Last, the same build's ``credo bench log`` (plain attestations)
runs on a fresh server in the same run, and the saturated rate is printed beside it as a
ratio (the issue asks for records in batches >= 0.5 x attestations). Each phase also reports
the CPU a record cost the server and this bench's member clients: the clients share the
server's cores here (reading, signing and sending what prepare returned), while ``credo
bench log`` signs its attestations before its clock starts, so the server CPU of an
attestation over a record's is printed beside the ratio of rates.

    python bench/bench_records.py --runs 3
    python bench/bench_records.py --runs 4 --src /tmp/before/src --src src
    python bench/bench_records.py --runs 1 --records 100000 --clients 16 --batch 500

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

import bench_log
from bench_log import _credo, _free_port, _wait_until_serving, server_cpu_seconds

from credo.api.httpsig import sign_request
from credo.ledger.dsse import sign_envelope
from credo.ledger.entries import envelope_json
from credo.ledger.keys import MemberKey
from credo.settings import CLIENT_KEEPALIVE_SECONDS

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


SERVER_LOG = Path(os.environ.get("TMPDIR", "/tmp")) / "bench_records-serve.log"
"""Where the server under test writes its log (appended to): a failed run is explained there."""


def _record(national_id: str) -> dict[str, Any]:
    return {
        "national_id": national_id,
        "category": "finance",
        "type": "loan.repaid",
        "payload": {"amount": 1200, "on_time": True},
    }


class _Refusals:
    """503 ``overloaded`` answers, counted across the client threads of one `_drive`."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.count += 1


def _overloaded(answer: httpx.Response) -> float | None:
    """Seconds to wait before sending again if the server refused the request as overloaded
    (its problem says it did nothing with it); None for any other answer."""
    if answer.status_code != 503 or "retry-after" not in answer.headers:
        return None
    try:
        code = answer.json().get("code")
    except ValueError:
        return None
    return float(answer.headers["retry-after"]) if code == "overloaded" else None


def _post_signed(
    http: httpx.Client, key: MemberKey, path: str, doc: Any, refusals: _Refusals
) -> tuple[Any, float]:
    """POST a signed request; sent again, signed afresh, after ``Retry-After`` while the
    server refuses it as overloaded, as a member's client would. The latency counts from the
    first try."""
    body = json.dumps(doc).encode()
    start = time.perf_counter()
    while True:
        headers = {"content-type": "application/json"} | sign_request(key, "POST", path, body)
        answer = http.post(path, content=body, headers=headers)
        wait = _overloaded(answer)
        if wait is None:
            break
        refusals.add()
        time.sleep(wait)
    took = time.perf_counter() - start
    if answer.status_code != 200:
        raise RuntimeError(f"{path} answered {answer.status_code}: {answer.text[:300]}")
    return answer.json(), took


def _sign(key: MemberKey, prepared: dict[str, Any]) -> tuple[bytes, float]:
    """The member's signature over a prepared entry, and the CPU seconds it took (this
    thread's: the bench's other client threads run meanwhile)."""
    start = time.thread_time()
    env = sign_envelope(prepared["payloadType"], base64.b64decode(prepared["payload"]), [key])
    return json.dumps(envelope_json(env)).encode(), time.thread_time() - start


def _prepare(
    http: httpx.Client, key: MemberKey, national_id: str, refusals: _Refusals
) -> tuple[bytes, float, float]:
    """One record prepared and signed: the envelope, the call's latency, the signing CPU."""
    prepared, took = _post_signed(http, key, "/v1/records/prepare", _record(national_id), refusals)
    envelope, signing = _sign(key, prepared)
    return envelope, took, signing


def _prepare_batch(
    http: httpx.Client, key: MemberKey, national_ids: list[str], refusals: _Refusals
) -> tuple[list[bytes], float, float]:
    """Records prepared in one call and signed: the envelopes, the latency, the signing CPU."""
    doc = {"records": [_record(n) for n in national_ids]}
    answer, took = _post_signed(http, key, "/v1/records/prepare-batch", doc, refusals)
    signed = [_sign(key, prepared) for prepared in answer["entries"]]
    return [e for e, _ in signed], took, sum(c for _, c in signed)


def prepare_all(
    http: httpx.Client, key: MemberKey, ids: list[str], batched: bool, refusals: _Refusals
) -> tuple[list[bytes], list[float], float]:
    """Records about ``ids`` prepared (in one call if ``batched``, else one call each) and
    signed: the envelopes, each call's latency, the signing CPU seconds."""
    if batched:
        pending, took, signing = _prepare_batch(http, key, ids, refusals)
        return pending, [took], signing
    pending, latencies, signing = [], [], 0.0
    for national_id in ids:
        envelope, took, cpu = _prepare(http, key, national_id, refusals)
        pending.append(envelope)
        latencies.append(took)
        signing += cpu
    return pending, latencies, signing


def member_http(url: str) -> httpx.Client:
    """A member's HTTP client for the bench, keeping idle connections as `credo.client`'s
    do (`CLIENT_KEEPALIVE_SECONDS`, under the server's shortest keep-alive)."""
    limits = httpx.Limits(keepalive_expiry=CLIENT_KEEPALIVE_SECONDS)
    return httpx.Client(base_url=url, timeout=300, limits=limits)


def _has_batch_prepare(url: str) -> bool:
    """Whether the server under test has ``/v1/records/prepare-batch`` (older builds do not)."""
    with httpx.Client(base_url=url) as http:
        return http.post("/v1/records/prepare-batch", content=b"{}").status_code != 404


def _submit(http: httpx.Client, envelopes: list[bytes], refusals: _Refusals) -> float:
    """Submit signed entries; sent again after ``Retry-After`` while refused as overloaded."""
    body = b'{"entries":[' + b",".join(envelopes) + b"]}"
    start = time.perf_counter()
    while True:
        answer = http.post(
            "/v1/entries", content=body, headers={"content-type": "application/json"}
        )
        wait = _overloaded(answer)
        if wait is None:
            break
        refusals.add()
        time.sleep(wait)
    took = time.perf_counter() - start
    if answer.status_code != 200:
        raise RuntimeError(f"submission answered {answer.status_code}: {answer.text[:300]}")
    return took


def _people(n: int, pool: int) -> str:
    """Three in four records are about somebody already recorded."""
    return f"BN{(n % pool) if n % 4 else 10**6 + n:08d}"


def _drive(
    url: str,
    key: MemberKey,
    records: int,
    clients: int,
    batch: int,
    batched: bool = False,
    server_pid: int | None = None,
) -> dict[str, Any]:
    """One phase's figures; with ``server_pid``, also the CPU a record cost the server (its
    processes, from /proc) and this bench's member clients (this process, every thread)."""
    prepares: list[float] = []
    submits: list[float] = []
    lock = threading.Lock()
    counter = iter(range(records))

    errors: list[BaseException] = []
    refusals = _Refusals()

    def client() -> None:
        try:
            _client()
        except Exception as exc:  # noqa: BLE001 - raised after every client stopped
            errors.append(exc)

    def _client() -> None:
        with member_http(url) as http:
            while True:
                with lock:
                    numbers = [n for _, n in zip(range(batch), counter, strict=False)]
                if not numbers:
                    return
                ids = [_people(n, 2000) for n in numbers]
                pending, took, _ = prepare_all(http, key, ids, batched, refusals)
                prepares.extend(took)
                submits.append(_submit(http, pending, refusals))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    server_before = server_cpu_seconds(server_pid) if server_pid else 0.0
    client_before = time.process_time()
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    client_cpu = time.process_time() - client_before
    server_cpu = server_cpu_seconds(server_pid) - server_before if server_pid else None
    if errors:  # a dead client's records were never written: no rate to report
        raise RuntimeError(
            f"{len(errors)} of {clients} clients failed; the first: {errors[0]} "
            f"(the server's log: {SERVER_LOG})"
        )
    return {
        "records": records,
        "clients": clients,
        "batch": batch,
        "records_per_s": round(records / elapsed, 1),
        "prepare_p50_ms": round(_pct(prepares, 50) * 1000, 2),
        "prepare_p99_ms": round(_pct(prepares, 99) * 1000, 2),
        "submit_p50_ms": round(_pct(submits, 50) * 1000, 2),
        "submit_p99_ms": round(_pct(submits, 99) * 1000, 2),
        "refused_overloaded_then_sent_again": refusals.count,
    } | (
        {}
        if server_cpu is None
        else {
            "server_cpu_ms_per_record": round(1e3 * server_cpu / records, 3),
            "client_cpu_ms_per_record": round(1e3 * client_cpu / records, 3),
        }
    )


def _pct(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def one_run(
    records: int, clients: int, batch: int, src: str | None, sweep: list[tuple[int, int]]
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="credo-bench-records-") as tmp:
        root = Path(tmp) / "data"
        key = _setup(root, src)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        cmd, env = _credo(src)
        log = SERVER_LOG.open("ab")
        server = subprocess.Popen(
            [*cmd, "serve", "--data", str(root), "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()  # the server has its own copy of the descriptor
        try:
            _wait_until_serving(url)
            many = _has_batch_prepare(url)
            single = _drive(url, key, records, clients, 1, server_pid=server.pid)
            batched = _drive(url, key, records, clients, batch, many, server.pid)
            swept = [
                _drive(url, key, records, c, b, many, server.pid)
                for c, b in sweep
                if (c, b) != (clients, batch)
            ]
        finally:
            server.terminate()
            server.wait(timeout=60)
    saturated = max([batched, *swept], key=lambda r: r["records_per_s"])
    log = bench_log.one_run(100_000, 1000, 4, src)
    return {
        "one_by_one": single,
        f"batches_of_{batch}": batched,
        "sweep": swept,
        "saturated": saturated,
        "attestations": {k: log[k] for k in (*bench_log.FIGURES, "load_1m")},
        "saturated_over_attestations": round(saturated["records_per_s"] / log["entries_per_s"], 3),
        # What each costs the server alone: the member clients of records run on the same
        # cores (they read, sign and send what prepare returned), while credo bench log
        # signs its attestations before its clock starts.
        "attestation_over_record_server_cpu": round(
            log["server_cpu_us_per_entry"] / 1e3 / saturated["server_cpu_ms_per_record"], 3
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument(
        "--src", action="append", help="a build's source tree (repeat to compare builds)"
    )
    parser.add_argument(
        "--sweep",
        nargs="*",
        default=["16x500", "32x500", "16x1000"],
        help="more CLIENTSxBATCH runs to find the saturated rate",
    )
    args = parser.parse_args()
    sweep = [tuple(int(x) for x in s.split("x")) for s in args.sweep]
    builds: list[str | None] = args.src or [None]
    results: dict[str, list[dict[str, Any]]] = {str(b): [] for b in builds}
    for n in range(args.runs):
        for build in builds:
            run = one_run(args.records, args.clients, args.batch, build, sweep)  # type: ignore[arg-type]
            results[str(build)].append(run)
            print(json.dumps({"run": n, "build": build, **run}), flush=True)
    for build, runs in results.items():
        for figure, what in (
            ("saturated_over_attestations", "saturated records/s over attestations/s"),
            ("attestation_over_record_server_cpu", "server CPU of an attestation over a record's"),
        ):
            ratios = [r[figure] for r in runs]
            print(
                f"{build} {what}: median {statistics.median(ratios)} "
                f"(range {min(ratios)}-{max(ratios)})"
            )
        for mode in ("one_by_one", f"batches_of_{args.batch}", "saturated"):
            rates = [r[mode]["records_per_s"] for r in runs]
            p99 = [r[mode]["prepare_p99_ms"] for r in runs]
            print(
                f"{build} {mode}: records/s median {statistics.median(rates)} "
                f"(range {min(rates)}-{max(rates)}); prepare p99 median {statistics.median(p99)} ms"
            )


if __name__ == "__main__":
    os.environ.setdefault("CREDO_LOG_FORMAT", "text")
    main()
