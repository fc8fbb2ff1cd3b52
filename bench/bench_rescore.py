"""Per-person rescoring after a new record, through the real ledger path.

Builds a consortium with PEOPLE enrolled people holding RECORDS records each (real signed
record entries, payloads sealed in the vault), then for SAMPLES people: submits one more
record and times `service.rescore` (read the person's records and disputes from SQLite, score
them, store the score). Prints p50/p99 and the ratio to the 5 ms target.

    python bench/bench_rescore.py --people 2000 --records 10 --samples 1000
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from credo.ledger.keys import MemberKey
from credo.scoring import DEFAULT_RULES_BYTES
from credo.services import scores as service
from credo.services.node import admit_member, init_consortium
from credo.services.people import People
from credo.services.programme import Programme

TYPES = [
    ("bank", "finance", "loan.repaid"),
    ("bank", "finance", "bill.paid_on_time"),
    ("bikes", "mobility", "bike.returned_on_time"),
    ("bikes", "mobility", "ride.completed"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--records", type=int, default=10)
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
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
        people = People.open(ledger)
        prog = Programme(people)
        now = datetime.now(UTC)
        nids = [f"ID-{n:08d}" for n in range(args.people)]
        started = time.perf_counter()
        for nid in nids:
            for _ in range(args.records):
                _put(people, keys, rng, nid, now)
            prog.enrol(nid)
        print(
            f"built {args.people} people x {args.records} records "
            f"in {time.perf_counter() - started:.1f} s"
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
        f"(target p99 < 5 ms: ratio {p99 / 5:.2f})"
    )
    print(
        json.dumps(
            {
                "people": args.people,
                "records_each": args.records,
                "samples": len(timings),
                "rescore_p50_ms": round(p50, 3),
                "rescore_p99_ms": round(p99, 3),
            }
        )
    )


def _put(
    people: People, keys: dict[str, MemberKey], rng: random.Random, nid: str, now: datetime
) -> None:
    member, category, type_ = rng.choice(TYPES)
    when = (now - timedelta(days=rng.randint(0, 700))).strftime("%Y-%m-%dT%H:%M:%SZ")
    people.put_record(keys[member], member, nid, category, type_, {}, when)


if __name__ == "__main__":
    main()
