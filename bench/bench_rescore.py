"""Per-person rescoring after a new record, with a large store behind it.

    python bench/bench_rescore.py --people 1000000 --records 10 --samples 1000

Builds a consortium with the default rules adopted and PEOPLE enrolled people holding
RECORDS records each, then for SAMPLES people: submits one more record through the real
path (a signed record entry, its payload sealed in the vault, sequenced onto the log) and
times `service.rescore` (read the person's records and disputes from SQLite, score them under
the rules served, store the score). Prints p50/p99 and the ratio to the 5 ms target.

How the store is filled (``--bulk``, the default, or ``--no-bulk``):

* ``--no-bulk``: every record and enrolment goes through the real path (signed entries on the
  log). About 1,000 records a second here, so only for small PEOPLE.
* ``--bulk``: the SAMPLES people are created and enrolled through the real path, and each
  gets RECORDS records through it too. Everyone else, and their records, enrolments and
  scores, are written straight into the store's tables (`WriteTx.put_record`, `enrol`,
  `put_score`), not onto the log: the log holds only the sampled people's entries. Subjects are
  opaque ids to the store, so bulk people need no vault entry. A store of a million people and
  ten million records is built this way in minutes; through the log it would take hours.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from credo.ledger.keys import MemberKey
from credo.scoring import DEFAULT_RULES_BYTES, DEFAULT_RULES_HASH
from credo.services import scores as service
from credo.services.node import Node, admit_member, init_consortium
from credo.services.people import People
from credo.services.programme import Programme
from credo.store import RecordRow, ScoreRow

TYPES = [
    ("bank", "finance", "loan.repaid"),
    ("bank", "finance", "bill.paid_on_time"),
    ("bikes", "mobility", "bike.returned_on_time"),
    ("bikes", "mobility", "ride.completed"),
]
_BULK_COMMIT = 200_000  # rows a transaction while filling the store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--records", type=int, default=10, help="records per person")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--bulk", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    if args.samples > args.people:
        parser.error("--samples cannot exceed --people")
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        ledger = init_consortium(Path(tmp) / "data", "bench.example/rescore")
        keys = {
            "bank": admit_member(ledger, "bank", "Bank", "bank", ["recorder"]),
            "bikes": admit_member(ledger, "bikes", "Bikes", "transport", ["recorder"]),
            "watch": admit_member(ledger, "watch", "Watch", "civil_society", ["voter"]),
        }
        body = {
            "id": "rules-1",
            "action": "adopt_rules",
            "params": {"document": DEFAULT_RULES_BYTES.decode()},
        }
        ledger.submit_one("governance.propose", "operator", body)
        for voter in ("operator", "watch"):
            ledger.submit_one("governance.vote", voter, {"proposal": "rules-1", "vote": "yes"})
        with ledger.store.write() as tx:
            tx.set_serving_rules(DEFAULT_RULES_HASH)
        people = People.open(ledger)
        prog = Programme(people)
        now = datetime.now(UTC)
        real = args.samples if args.bulk else args.people
        nids = [f"ID-{n:08d}" for n in range(real)]
        started = time.perf_counter()
        for nid in nids:
            for _ in range(args.records):
                _put(people, keys, rng, nid, now)
            prog.enrol(nid)
        built_real = time.perf_counter() - started
        if args.bulk:
            _bulk(ledger, rng, args.people - real, args.records, now)
        built = time.perf_counter() - started
        counts = {
            "enrolled": len(ledger.store.list_enrolled()),
            "log_entries": ledger.store.tree_size(),
        }
        print(
            f"built {args.people:,} people x {args.records} records in {built:.1f} s "
            f"({real:,} people through the real path in {built_real:.1f} s"
            f"{', the rest in bulk' if args.bulk else ''}); {counts}",
            flush=True,
        )
        timings = []
        for nid in rng.sample(nids, min(args.samples, len(nids))):
            _put(people, keys, rng, nid, now)
            ref = people.vault.subject_ref(nid)
            assert ref is not None
            t0 = time.perf_counter()
            service.rescore(ledger.store, ref)
            timings.append(time.perf_counter() - t0)
        people.close()
        ledger.close()
    ordered = sorted(timings)
    p50 = statistics.median(ordered) * 1e3
    p99 = ordered[int(0.99 * (len(ordered) - 1))] * 1e3
    print(
        f"per-person rescoring after a new record: p50 {p50:.2f} ms, p99 {p99:.2f} ms "
        f"(target p99 < 5 ms: ratio {p99 / 5:.2f}); load average {os.getloadavg()[0]:.2f}"
    )
    print(
        json.dumps(
            {
                "people": args.people,
                "records_each": args.records,
                "bulk": args.bulk,
                "samples": len(timings),
                "rescore_p50_ms": round(p50, 3),
                "rescore_p99_ms": round(p99, 3),
            }
        )
    )


def _bulk(ledger: Node, rng: random.Random, people: int, records: int, now: datetime) -> None:
    """``people`` more enrolled people with ``records`` records and a score each, written
    straight into the store's tables (see the module docstring)."""
    at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    as_of = int(now.timestamp())
    doc = json.dumps({"rules_hash": DEFAULT_RULES_HASH, "score": 300})
    idx = ledger.store.tree_size()
    per_tx = max(1, _BULK_COMMIT // (records + 2))  # people a transaction
    for first in range(0, people, per_tx):
        with ledger.store.write(durable=False) as tx:
            for n in range(first, min(first + per_tx, people)):
                subject = f"bulk{n:012d}"
                for k in range(records):
                    member, category, type_ = TYPES[rng.randrange(len(TYPES))]
                    days = rng.randint(0, 700)
                    when = (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
                    row = RecordRow(
                        record_id=f"b{n:012d}{k:04d}",
                        subject=subject,
                        category=category,
                        type=type_,
                        effective_at=when,
                        commitment="bulk",
                        vault_key="bulk",
                        member=member,
                        status="active",
                        put_idx=idx,
                        updated_idx=idx,
                        put_at=at,
                    )
                    tx.put_record(row)
                tx.enrol(subject, idx, at)
                tx.put_score(ScoreRow(subject, DEFAULT_RULES_HASH, as_of, 300, "bronze", doc))


def _put(
    people: People, keys: dict[str, MemberKey], rng: random.Random, nid: str, now: datetime
) -> None:
    member, category, type_ = rng.choice(TYPES)
    when = (now - timedelta(days=rng.randint(0, 700))).strftime("%Y-%m-%dT%H:%M:%SZ")
    people.records.put(keys[member], member, nid, category, type_, {}, when)


if __name__ == "__main__":
    main()
