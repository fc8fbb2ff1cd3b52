"""credo bench log: real signed entries through the real validation path, measured."""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import json
import os
import statistics
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

import typer

from credo.cli._ceiling import verification_ceiling
from credo.cli._common import DataOption, console, progress_bar
from credo.errors import CredoError, InputError
from credo.ledger import Ledger
from credo.ledger.dsse import encode_envelope
from credo.ledger.entries import envelope_json, make_envelope, public_key_b64
from credo.ledger.keys import MemberKey
from credo.services.node import DataDir, Node
from credo.tlog import NoteVerifier, open_checkpoint

app = typer.Typer(help="Benchmarks that print figures and ratios.", no_args_is_help=True)

BENCH_MEMBER = "bench-issuer"


@dataclass
class Run:
    """What one run saw: each batch's send and answer times with its log indexes, and the
    size of the published checkpoint each answer carried (verified with the log's key). The
    server publishes the covering checkpoint before it answers, and puts the latest one in
    the answer; reading it with a second request cost the server ~1 ms per batch here."""

    sent: list[tuple[float, float, list[int]]] = field(default_factory=list)
    checkpoints: list[tuple[float, int]] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0


def _bench_key(data: DataDir, admit: Callable[[dict[str, object]], None]) -> MemberKey:
    """The bench member's key; admitted (signed by the operator) on first use."""
    path = data.member_key(BENCH_MEMBER)
    if path.exists():
        return MemberKey.load(path)
    key = MemberKey.generate()
    operator = data.read_config()["operator"]
    body = {
        "id": BENCH_MEMBER,
        "name": "Benchmark issuer",
        "sector": "company",
        "public_key": public_key_b64(key),
        "roles": ["issuer"],
    }
    env = make_envelope("member.admit", operator, body, [MemberKey.load(data.member_key(operator))])
    admit(envelope_json(env))
    key.save(path)
    return key


def _bodies(key: MemberKey, entries: int, batch: int) -> list[bytes]:
    """Pre-sign every entry (not timed): attestation.issue of random document digests."""
    bodies = []
    salt = os.urandom(8).hex()
    with progress_bar("signing entries", entries) as bar:
        for start in range(0, entries, batch):
            envs = []
            for i in range(start, min(entries, start + batch)):
                digest = hashlib.sha256(f"{salt}-{i}".encode()).hexdigest()
                body = {"digest": f"sha256:{digest}", "doc_type": "bench.document"}
                envs.append(
                    encode_envelope(make_envelope("attestation.issue", BENCH_MEMBER, body, [key]))
                )
            bodies.append(b'{"entries":[' + b",".join(envs) + b"]}")
            bar.advance(bar.task_ids[0], len(envs))
    return bodies


def _indexes(doc: dict[str, object]) -> list[int]:
    results = doc["results"]
    if not isinstance(results, list):
        raise CredoError(f"the log answered no results: {doc!r:.200}", code="bench_failed")
    bad = [r for r in results if r["status"] != "accepted"]
    if bad:
        raise CredoError(f"bench entry rejected: {bad[0]}", code="bench_failed")
    return [int(r["index"]) for r in results]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _report(run: Run, ceilings: tuple[float, float], mode: str) -> None:
    ceiling = sum(ceilings) / 2
    total = sum(len(ix) for _, _, ix in run.sent)
    rate = total / (run.finished - run.started)
    acks = [t1 - t0 for t0, t1, ix in run.sent for _ in ix]
    covers = []
    checkpoints = sorted(run.checkpoints)
    for t0, _, ix in run.sent:
        need = max(ix) + 1
        seen = next((t for t, size in checkpoints if size >= need and t >= t0), None)
        if seen is not None:
            covers.extend([seen - t0] * len(ix))
    figures = {
        "mode": mode,
        "entries": total,
        "entries_per_s": round(rate),
        "ack_p50_ms": round(1e3 * statistics.median(acks), 1),
        "ack_p99_ms": round(1e3 * _percentile(acks, 0.99), 1),
        "checkpoint_p99_ms": round(1e3 * _percentile(covers, 0.99), 1) if covers else None,
        "ed25519_ceiling_per_s": round(ceiling),
        "ed25519_ceiling_before_per_s": round(ceilings[0]),
        "ed25519_ceiling_after_per_s": round(ceilings[1]),
        "ratio_to_ceiling": round(rate / ceiling, 3),
    }
    console.print(
        f"{total} entries in {run.finished - run.started:.2f} s: "
        f"[bold]{rate:,.0f} entries/s[/bold] accepted and durable"
    )
    console.print(
        f"acknowledgement latency p50 {figures['ack_p50_ms']} ms, p99 {figures['ack_p99_ms']} ms"
    )
    console.print(f"time to a covering published checkpoint p99 {figures['checkpoint_p99_ms']} ms")
    console.print(
        f"Ed25519 verification ceiling (libsodium, all cores): {ceiling:,.0f}/s "
        f"(mean of {ceilings[0]:,.0f} before and {ceilings[1]:,.0f} after the run); "
        f"ratio {figures['ratio_to_ceiling']}"
    )
    print(json.dumps(figures))


def _size_of(note: bytes | None, verifier: NoteVerifier) -> int:
    return 0 if note is None else open_checkpoint(note, verifier).size


class _Connection:
    """One keep-alive HTTP/1.1 connection through the standard library's http.client.

    The bench client runs on the same two cores as the server it measures; this costs it
    about half the CPU per entry that httpx did, which the server then gets.
    """

    def __init__(self, url: str, timeout: float) -> None:
        target = urllib.parse.urlsplit(url)
        if target.scheme not in ("http", "https") or not target.hostname:
            raise InputError(f"--url must be an http(s) URL, not {url!r}", code="bad_url")
        factory = (
            http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
        )
        self._conn = factory(target.hostname, target.port, timeout=timeout)
        self._base = target.path.rstrip("/")
        self._url = url

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {"content-type": "application/json"} if body is not None else {}
        try:
            self._conn.request(method, self._base + path, body=body, headers=headers)
            response = self._conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise CredoError(f"cannot reach {self._url}: {exc}", code="unreachable") from exc

    def submit(self, body: bytes) -> bytes:
        status, answer = self.request("POST", "/v1/entries", body)
        if status != 200:
            raise CredoError(
                f"bench batch answered {status}: {answer[:300].decode(errors='replace')}",
                code="bench_failed",
            )
        return answer

    def close(self) -> None:
        self._conn.close()


def _over_http(url: str, bodies: list[bytes], concurrency: int) -> Run:
    run = Run()
    verifier = _log_verifier(url)
    queue = list(reversed(bodies))
    lock = threading.Lock()
    failures: list[CredoError] = []  # the first error of any submitter ends the run

    def worker() -> None:
        conn = _Connection(url, timeout=120)
        try:
            while not failures:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                t0 = time.perf_counter()
                answer = json.loads(conn.submit(body))
                t1 = time.perf_counter()
                run.sent.append((t0, t1, _indexes(answer)))
                run.checkpoints.append((t1, _size_of(answer["checkpoint"].encode(), verifier)))
        except CredoError as exc:  # handed to the main thread, which raises it
            failures.append(exc)
        except (ValueError, KeyError, TypeError) as exc:  # an answer that is not credo's
            failures.append(
                CredoError(f"unexpected answer from {url}: {exc!r}", code="bench_failed")
            )
        finally:
            conn.close()

    run.started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.finished = time.perf_counter()
    if failures:
        raise failures[0]
    return run


def _log_verifier(url: str) -> NoteVerifier:
    conn = _Connection(url, timeout=30)
    try:
        status, vkey = conn.request("GET", "/log/vkey")
    finally:
        conn.close()
    if status != 200:
        raise CredoError(f"{url}/log/vkey answered {status}", code="bench_failed")
    return NoteVerifier.from_vkey(vkey.decode().strip())


def _in_process(ledger: Ledger, bodies: list[bytes], concurrency: int) -> Run:
    run = Run()

    async def main() -> None:
        queue = list(reversed(bodies))

        async def worker() -> None:
            while queue:
                body = queue.pop()
                t0 = time.perf_counter()
                outcomes = await ledger.submit_body(body)
                t1 = time.perf_counter()
                ix = []
                for o in outcomes:
                    if isinstance(o, CredoError):
                        raise o
                    ix.append(o.index)
                run.sent.append((t0, t1, ix))
                note = ledger.store.latest_checkpoint()
                run.checkpoints.append((time.perf_counter(), _size_of(note, ledger.verifier)))

        run.started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        run.finished = time.perf_counter()

    asyncio.run(main())
    return run


@app.command("log")
def bench_log(
    data: DataOption,
    url: Annotated[str | None, typer.Option(help="Submit over HTTP to this running server")] = None,
    entries: Annotated[int, typer.Option(min=1, help="How many entries to submit")] = 100_000,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Entries per request")] = 1000,
    concurrency: Annotated[int, typer.Option(min=1, help="Requests in flight")] = 4,
    ceiling_seconds: Annotated[float, typer.Option(help="How long to measure Ed25519")] = 2.0,
) -> None:
    """Submit N freshly signed attestation entries and report throughput, latency and the
    ratio to this machine's Ed25519 verification ceiling, measured just before and after the
    submissions (their mean is the ceiling the ratio uses).

    With --url the entries go over HTTP; keys (operator, bench member) come from --data.
    """
    d = DataDir(data)
    if url is not None:

        def admit_http(env: dict[str, object]) -> None:
            conn = _Connection(url, timeout=30)
            try:
                conn.submit(json.dumps({"entries": [env]}).encode())
            finally:
                conn.close()

        key = _bench_key(d, admit_http)
        bodies = _bodies(key, entries, batch)
        run, ceilings = _bracketed(lambda: _over_http(url, bodies, concurrency), ceiling_seconds)
        _report(run, ceilings, "http")
        return
    ledger = Node(d, workers=os.cpu_count() or 1).start()
    try:

        def admit_local(env: dict[str, object]) -> None:
            outcome = ledger.submit([env])[0]
            if isinstance(outcome, CredoError):
                raise outcome

        key = _bench_key(d, admit_local)
        bodies = _bodies(key, entries, batch)
        ledger.validator.warm_up()
        run, ceilings = _bracketed(
            lambda: _in_process(ledger.ledger, bodies, concurrency), ceiling_seconds
        )
        _report(run, ceilings, "in-process")
    finally:
        ledger.close()


def _bracketed(timed: Callable[[], Run], seconds: float) -> tuple[Run, tuple[float, float]]:
    """Run ``timed`` between two measurements of the Ed25519 ceiling: this VM's speed drifts
    by 10-20% over a minute, and the mean of the ceiling just before and just after the run
    estimates the ceiling during it better than one measurement taken earlier."""
    console.print("measuring the Ed25519 verification ceiling ...")
    before = verification_ceiling(seconds)
    run = timed()
    console.print("measuring the Ed25519 verification ceiling again ...")
    return run, (before, verification_ceiling(seconds))
