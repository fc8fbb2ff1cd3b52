"""Benchmark batch rescoring against a bare DuckDB GROUP BY, and per-person rescoring latency.

    python bench/bench_scoring.py --people 10000000 --records 100000000

Targets (2 cores, 24 GiB): batch <= 20 s at 10M people / 100M records, batch <= 1.5x the bare
GROUP BY over the same records, per-person rescoring p99 < 5 ms. Records are synthetic,
generated inside DuckDB from range() with hash-based pseudo-random columns, integer-coded
(column ``kind``) as the batch path accepts; tests/scoring/test_batch.py covers that form.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from credo.scoring import (
    DEFAULT_RULES,
    DEFAULT_RULES_HASH,
    ScoringRecord,
    kind_codes,
    score_batch,
    score_subject,
)

DAY = 86_400
AS_OF = 1_767_225_600  # 2026-01-01T00:00:00Z
SPAN_DAYS = 5 * 365  # records spread over five years before AS_OF


def generate(con: duckdb.DuckDBPyConnection, people: int, records: int) -> None:
    """records(subject, record_id, kind, effective_at, frozen), stored in subject order.

    One kind in nine matches no line (kind = n_kinds), 1 in 50 records is frozen (disputed).
    """
    n_kinds = len(kind_codes(DEFAULT_RULES))
    con.execute(
        f"""
        CREATE OR REPLACE TABLE records AS
        SELECT CAST(i * {people} // {records} AS BIGINT) AS subject,
               CAST(i AS BIGINT) AS record_id,
               CAST(hash(i, 1) % {n_kinds + 1} AS INTEGER) AS kind,
               CAST({AS_OF} - hash(i, 2) % {SPAN_DAYS * DAY} AS BIGINT) AS effective_at,
               hash(i, 3) % 50 = 0 AS frozen
        FROM range({records}) AS t(i)
        """
    )


def timed(label: str, fn: object) -> float:
    assert callable(fn)
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<44} {elapsed:8.2f} s", flush=True)
    return elapsed


def bare_group_by(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE OR REPLACE TABLE bare AS "
        "SELECT subject, sum(effective_at) AS s FROM records GROUP BY subject"
    )


def latency(con: duckdb.DuckDBPyConnection, people: int, samples: int) -> None:
    """Per-person rescoring after a new record: fetch that person's records, add one, score."""
    codes = {code: pair for pair, code in kind_codes(DEFAULT_RULES).items()}
    fetch: list[float] = []
    score: list[float] = []
    stmt = "SELECT record_id, kind, effective_at, frozen FROM records WHERE subject = ?"
    for k in range(samples):
        subject = (k * 7_919_993) % people
        t0 = time.perf_counter()
        rows = con.execute(stmt, [subject]).fetchall()
        t1 = time.perf_counter()
        recs = [
            ScoringRecord(str(r), *codes.get(kind, ("none", "none")), eff, frozen)
            for r, kind, eff, frozen in rows
        ]
        recs.append(ScoringRecord("new", "mobility", "ride.completed", AS_OF - 60))
        score_subject(DEFAULT_RULES, DEFAULT_RULES_HASH, recs, AS_OF)
        t2 = time.perf_counter()
        fetch.append((t1 - t0) * 1000)
        score.append((t2 - t1) * 1000)
    for label, values in (("fetch records (DuckDB point query)", fetch), ("score_subject", score)):
        q = statistics.quantiles(values, n=100)
        print(f"{label:<44} p50 {q[49]:7.3f} ms  p99 {q[98]:7.3f} ms")
    total = [a + b for a, b in zip(fetch, score, strict=True)]
    q = statistics.quantiles(total, n=100)
    print(f"{'fetch + score (target p99 < 5 ms)':<44} p50 {q[49]:7.3f} ms  p99 {q[98]:7.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="12GB")
    parser.add_argument("--latency-samples", type=int, default=10_000)
    parser.add_argument("--database", default=":memory:", help="DuckDB file, default in memory")
    args = parser.parse_args()

    con = duckdb.connect(args.database)
    con.execute(f"SET threads = {args.threads}")
    con.execute(f"SET memory_limit = '{args.memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    print(
        f"people {args.people:,}  records {args.records:,}  threads {args.threads}  "
        f"memory_limit {args.memory_limit}  duckdb {duckdb.__version__}"
    )
    timed("generate records", lambda: generate(con, args.people, args.records))
    bare = timed("(a) bare GROUP BY subject sum", lambda: bare_group_by(con))
    batch = timed(
        "(b) batch rescoring with reasons",
        lambda: score_batch(DEFAULT_RULES, DEFAULT_RULES_HASH, "records", AS_OF, con),
    )
    print(f"bare:  {args.people / bare:,.0f} people/s")
    print(f"batch: {args.people / batch:,.0f} people/s  (target <= 20 s at 10M people)")
    print(f"ratio batch / bare = {batch / bare:.2f}x  (target <= 1.5x)")
    print(
        f"load average {os.getloadavg()[0]:.2f} (other processes share the {os.cpu_count()} cores)"
    )
    latency(con, args.people, args.latency_samples)


if __name__ == "__main__":
    main()
