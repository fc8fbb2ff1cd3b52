"""Where a personal record's CPU goes: prepare, seal, sign, submit, validate, derive.

Starts `credo serve` on a fresh consortium (as bench_records.py does), records R records
about a pool of synthetic people through HTTP, and reports CPU time per record (user +
system, from /proc, of the server process and its validation workers; ``time.thread_time``
of the member's signing in this process), never wall-clock throughput: the machine is
shared, and CPU time per record is what another process's load does not move much.

With ``--spy`` the server runs under py-spy (``pip install py-spy``), which samples every
thread and worker process holding its GIL (``--gil``: a thread waiting on a disk or a lock,
which releases the GIL, is not counted, so the samples approximate CPU); the samples
are bucketed by the first frame of the record path they pass through, so each stage's share
of the server's CPU can be multiplied by its CPU per record:

    python bench/profile_records.py --records 3000 --clients 4 --batch 1
    python bench/profile_records.py --records 6000 --clients 8 --batch 500 --spy

``--batch B`` prepares B records per call when the server offers ``/v1/records/prepare-batch``
(and one by one otherwise), and submits them in one request.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_log import _credo, server_cpu_seconds, serving
from bench_records import (
    _has_batch_prepare,
    _people,
    _Refusals,
    _setup,
    _submit,
    member_http,
    prepare_all,
)

from credo.ledger.keys import MemberKey

# The stages of the record path, by a frame each passes through (checked in this order, so
# sealing inside prepare counts as sealing, tag resolution inside the sequencer as such).
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("vault: seal metadata (data key, tag, AES-GCM)", ("Vault.seal_meta",)),
    (
        "vault: seal payloads (ensure subject, AES-GCM, insert, commit)",
        ("Vault.seal_for", "Vault.seal_many", "Vault.seal ("),
    ),
    ("vault: open metadata, resolve tags (in the sequencer)", ("Vault.open_meta",)),
    ("sequencer: derived tables (state.apply)", ("apply (credo/ledger/state.py",)),
    ("sequencer: append, tiles, checkpoint, commit", ("Sequencer._run",)),
    # Not spawn_main: `credo serve --processes N` spawns its serving processes too, and
    # every frame of theirs passes through it.
    ("validation workers: decode, verify signatures", ("_worker_decode",)),
    ("prepare: checks, entry building", ("credo/api/routes/records.py",)),
    ("auth: HTTP message signature check", ("authenticate (credo",)),
    (
        "submit route: parse, validate bodies of 1-2 entries here, queue, answer",
        ("credo/api/routes/entries.py",),
    ),
    ("listeners (rescoring, metrics)", ("_Listeners._run", "Rescorer")),
    ("HTTP: parse, route, middleware, respond (uvicorn, starlette, fastapi)", ("",)),
]


def _drive(url: str, key: MemberKey, records: int, clients: int, batch: int) -> dict[str, float]:
    lock = threading.Lock()
    counter = iter(range(records))
    signing = [0.0]
    many = batch > 1 and _has_batch_prepare(url)
    refusals = _Refusals()  # CPU per record does not need them reported

    def client() -> None:
        with member_http(url) as http:
            while True:
                with lock:
                    numbers = [n for _, n in zip(range(batch), counter, strict=False)]
                if not numbers:
                    return
                ids = [_people(n, 2000) for n in numbers]
                pending, _, signed = prepare_all(http, key, ids, many, refusals)
                with lock:
                    signing[0] += signed
                _submit(http, pending, refusals)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"member_signing_s": signing[0]}


def _bucket(raw: Path) -> dict[str, float]:
    """py-spy's collapsed stacks, as each stage's share of the sampled server CPU."""
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        for name, marks in STAGES:
            if any(mark in frame for frame in frames for mark in marks):
                counts[name] += int(n)
                break
    total = sum(counts.values()) or 1
    return {name: counts[name] / total for name, _ in STAGES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--src", help="the server's source tree (default: the installed one)")
    parser.add_argument("--spy", action="store_true", help="sample the server with py-spy")
    parser.add_argument("--raw", help="keep py-spy's collapsed stacks in this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="credo-profile-records-") as tmp:
        root = Path(tmp) / "data"
        key = _setup(root, args.src)
        cmd, env = _credo(args.src)
        raw = Path(args.raw) if args.raw else Path(tmp) / "spy.txt"
        spy = None
        with serving(cmd, env, root) as (pid, url):
            before = server_cpu_seconds(pid)
            kernel_before = server_cpu_seconds(pid, system=True)
            try:
                if args.spy:
                    spy = subprocess.Popen(
                        ["py-spy", "record", "--pid", str(pid), "--subprocesses", "--gil",
                         "--format", "raw", "--rate", "200", "--output", str(raw),
                         "--nonblocking"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    )  # fmt: skip
                    time.sleep(1.0)
                driven = _drive(url, key, args.records, args.clients, args.batch)
                server_cpu = server_cpu_seconds(pid) - before
                kernel = server_cpu_seconds(pid, system=True) - kernel_before
            finally:
                if spy is not None:
                    spy.send_signal(2)
                    spy.wait(timeout=60)
        per = 1000 / args.records
        out: dict[str, Any] = {
            "records": args.records,
            "clients": args.clients,
            "batch": args.batch,
            "server_cpu_ms_per_record": round(server_cpu * per, 3),
            "of_which_kernel_ms_per_record": round(kernel * per, 3),
            "member_signing_cpu_ms_per_record": round(driven["member_signing_s"] * per, 3),
        }
        if spy is not None and raw.exists():
            out["server_cpu_ms_per_record_by_stage"] = {
                name: round(share * server_cpu * per, 3) for name, share in _bucket(raw).items()
            }
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("CREDO_LOG_FORMAT", "text")
    main()
