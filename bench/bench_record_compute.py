"""What a record costs without HTTP, beside what an attestation costs: the floor under issue
26's ratio of records in batches to attestations.

In one process, with no server, no sockets and no validation workers, batches of B records
go through the same code as over HTTP: `Records.prepare_many` (checks, the vault seals each
payload and each entry's metadata), the member's signature (DSSE, Ed25519), the validation
of the ``POST /v1/entries`` body (`Validator.validate_body`: strict JSON, schema, signature)
and the sequencer's group commit (`Sequencer.append_now`: tag resolution, the sealed
metadata opened, the derived tables, the log appended and a checkpoint signed). Batches of
B attestations go through signing, validation and sequencing the same way.

Each stage is CPU time of this process (`time.process_time`, every thread: the sequencer
commits on its own), over the records or entries of the measured batches (a first batch of
each warms up and is not counted). CPU time is what the machine's other work moves least.

    python bench/bench_record_compute.py --batches 10 --batch 500

The ratio printed is an attestation's server-side CPU (validation and sequencing) over a
record's (prepare, validation and sequencing): the share of attestations' rate that records
could reach if HTTP cost nothing and both had the same cores.

``--primitives`` prints, instead, what each cryptographic and SQLite operation a record or an
attestation needs costs alone (microseconds a call, `time.process_time` over 20,000 calls):
the floor under both, whatever the code around them.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import secrets
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import nacl.signing
from bench_records import _people

from credo.ledger.dsse import sign_envelope
from credo.ledger.entries import envelope_json, make_envelope
from credo.ledger.keys import MemberKey
from credo.ledger.sequencer import Accepted
from credo.services.node import DataDir, Node, admit_member, init_consortium
from credo.services.people import People
from credo.services.records import RecordSpec
from credo.vault import _sealing, canonical_meta
from credo.vault.keys import MasterKey

T = TypeVar("T")


def _timed(spent: dict[str, float], stage: str, work: Callable[[], T]) -> T:
    start = time.process_time()
    out = work()
    spent[stage] = spent.get(stage, 0.0) + time.process_time() - start
    return out


def _body(envelopes: list[bytes]) -> bytes:
    return b'{"entries":[' + b",".join(envelopes) + b"]}"


def _sequenced(node: Node, checked: list[Any]) -> None:
    """Sequence what validation passed; a refusal (of the bench's own entries) ends the run:
    its figures would be a refusal's cost."""
    refused = [o for o in node.sequencer.append_now(checked) if not isinstance(o, Accepted)]
    if refused:
        raise SystemExit(f"the bench's own entries were refused: {refused[0]}")


def _record_batch(node: Node, people: People, key: MemberKey, first: int, size: int,
                  spent: dict[str, float]) -> None:  # fmt: skip
    """Three in four records are about somebody already recorded (as bench_records.py)."""
    specs = [
        RecordSpec(
            "bank",
            _people(n, 2000),
            "finance",
            "loan.repaid",
            {"amount": 1200, "on_time": True},
            None,
        )
        for n in range(first, first + size)
    ]
    prepared = _timed(spent, "prepare", lambda: people.records.prepare_many(specs))
    envelopes = _timed(
        spent,
        "member signing",
        lambda: [
            json.dumps(envelope_json(sign_envelope(p.payload_type, p.payload, [key]))).encode()
            for p in prepared
        ],
    )
    body = _body(envelopes)
    checked = _timed(spent, "validate", lambda: asyncio.run(node.validator.validate_body(body)))
    _timed(spent, "sequence", lambda: _sequenced(node, checked))


def _attestation_batch(node: Node, key: MemberKey, first: int, size: int,
                       spent: dict[str, float]) -> None:  # fmt: skip
    def sign() -> list[bytes]:
        out = []
        for n in range(first, first + size):
            digest = hashlib.sha256(f"document {n}".encode()).hexdigest()
            body = {"digest": f"sha256:{digest}", "doc_type": "diploma"}
            env = make_envelope("attestation.issue", "uni", body, [key])
            out.append(json.dumps(envelope_json(env)).encode())
        return out

    body = _body(_timed(spent, "member signing", sign))
    checked = _timed(spent, "validate", lambda: asyncio.run(node.validator.validate_body(body)))
    _timed(spent, "sequence", lambda: _sequenced(node, checked))


def _per_item(spent: dict[str, float], items: int) -> dict[str, float]:
    return {stage: round(1e3 * s / items, 4) for stage, s in spent.items()}


def _per_call(call: Callable[[], object], n: int = 20_000) -> float:
    call()
    start = time.process_time()
    for _ in range(n):
        call()
    return round(1e6 * (time.process_time() - start) / n, 2)


def primitives() -> dict[str, float]:
    """Microseconds a call of each operation a record or an attestation is made of."""
    master = MasterKey.generate()
    subject, data_key = secrets.token_hex(16), secrets.token_bytes(32)
    wrapped, tag = master.wrap_data_key(subject, data_key), master.entry_tag(subject)
    meta = canonical_meta(
        {"salt": secrets.token_hex(16), "type": "loan.repaid", "category": "finance",
         "effective_at": "2026-12-07T00:00:00Z", "commitment": "a" * 64, "vault_key": "b" * 32,
         "record_id": "c" * 32}
    )  # fmt: skip
    ad = _sealing.meta_ad("record.put", "bank", tag)
    blob = _sealing.seal_meta(data_key, ad, meta)
    signing = nacl.signing.SigningKey.generate()
    message = b"x" * 400
    signature = signing.sign(message).signature
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "rows.db", isolation_level=None)
        db.execute("CREATE TABLE r (id TEXT PRIMARY KEY, a, b, c, d, e, f, g, h, i, j, k)")
        row = ("s" * 32, "finance", "loan.repaid", "2026", "a" * 64, "b" * 32, "bank", "active",
               1, 1, "2026")  # fmt: skip
        db.execute("BEGIN")
        return {
            "ed25519 sign (the member)": _per_call(lambda: signing.sign(message)),
            "ed25519 verify": _per_call(lambda: signing.verify_key.verify(message, signature)),
            "national id lookup (HMAC-SHA256)": _per_call(lambda: master.lookup("BN00001234")),
            "entry tag (AES-GCM)": _per_call(lambda: master.entry_tag(subject)),
            "tag to subject (AES-GCM)": _per_call(lambda: master.tag_subject(tag)),
            "data key unwrap (AES-GCM)": _per_call(
                lambda: master.unwrap_data_key(subject, wrapped)
            ),
            "seal metadata (AES-GCM)": _per_call(lambda: _sealing.seal_meta(data_key, ad, meta)),
            "open metadata (AES-GCM)": _per_call(lambda: _sealing.open_meta(data_key, ad, blob)),
            "seal payload (AES-GCM)": _per_call(
                lambda: _sealing.seal_record(data_key, b"ad", b'{"amount":1200}')
            ),
            "SQLite insert of a record row": _per_call(
                lambda: db.execute(
                    "INSERT INTO r VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", (secrets.token_hex(16), *row)
                )
            ),
            "SQLite point read (a miss)": _per_call(
                lambda: db.execute("SELECT * FROM r WHERE id = ?", ("z" * 32,)).fetchone()
            ),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--primitives", action="store_true", help="each operation alone")
    args = parser.parse_args()
    if args.primitives:
        print(json.dumps({"us_per_call": primitives()}, indent=2))
        return
    with tempfile.TemporaryDirectory(prefix="credo-record-compute-") as tmp:
        root = Path(tmp) / "data"
        ledger = init_consortium(root, "bench.example/record-compute")
        try:
            admit_member(ledger, "bank", "Bench Bank", "bank", ["recorder", "reader"])
            admit_member(ledger, "uni", "Bench University", "university", ["issuer"])
        finally:
            ledger.close()
        data = DataDir(root)
        node = Node(data, workers=0).start()
        try:
            people = People.open(node)
            bank = MemberKey.load(data.member_key("bank"))
            uni = MemberKey.load(data.member_key("uni"))
            records: dict[str, float] = {}
            attestations: dict[str, float] = {}
            for b in range(args.batches + 1):
                first = b * args.batch
                _record_batch(node, people, bank, first, args.batch, records if b else {})
                _attestation_batch(node, uni, first, args.batch, attestations if b else {})
        finally:
            node.close()
    items = args.batches * args.batch
    record = _per_item(records, items)
    attestation = _per_item(attestations, items)
    record_server = record["prepare"] + record["validate"] + record["sequence"]
    attestation_server = attestation["validate"] + attestation["sequence"]
    out: dict[str, Any] = {
        "batch": args.batch,
        "measured": items,
        "record_cpu_ms": record | {"server": round(record_server, 4)},
        "attestation_cpu_ms": attestation | {"server": round(attestation_server, 4)},
        "attestation_over_record_server_cpu": round(attestation_server / record_server, 3),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
