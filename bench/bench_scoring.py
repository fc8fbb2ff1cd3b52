"""Benchmark batch rescoring against a bare DuckDB GROUP BY over the same records.

    python bench/bench_scoring.py --people 10000000 --records 100000000

Targets (issue 15; 2 cores, 24 GiB): at 10M people / 100M records the batch with reasons
takes <= 20 s and <= 2x the per-line floor timed in the same run. Per-person rescoring
(p99 < 5 ms) is bench_rescore.py. Beside the batch: a bare GROUP BY, and two floors, the
score alone (one decayed sum per subject) and each line's points per subject (the least
state that can rank reasons); no batch with reasons can be cheaper than the second.
Records are synthetic, generated inside DuckDB from range() with hash-based pseudo-random
columns, integer-coded (column ``kind``) as the batch path accepts;
tests/scoring/test_batch.py covers that form.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from credo.scoring import (
    DEFAULT_RULES,
    DEFAULT_RULES_HASH,
    kind_codes,
    score_batch,
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


class _StatementTimer:
    """A DuckDB connection that prints every statement taking 50 ms or more (--statements)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def execute(self, sql: str, *args: object) -> duckdb.DuckDBPyConnection:
        start = time.perf_counter()
        result = self._con.execute(sql, *args)
        elapsed = time.perf_counter() - start
        if elapsed >= 0.05:
            print(f"    {elapsed:8.2f} s  {' '.join(sql.split())[:80]}", flush=True)
        return result

    def __getattr__(self, name: str) -> object:
        return getattr(self._con, name)


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


def _earned_rows() -> str:
    """Per record: the milli-points it would earn on its line, uncapped (-1 if it earns
    nothing). The arithmetic of engine.py, without caps, reasons or record ids."""
    codes = kind_codes(DEFAULT_RULES)
    lines = sorted(
        (codes[(line.category, line.type)], line)
        for card in DEFAULT_RULES.scorecards
        for line in card.lines
    )
    n = len(lines)
    assert [code for code, _ in lines] == list(range(n)), "one line per kind in DEFAULT_RULES"
    milli = [line.points * 1000 for _, line in lines] + [0]
    half = [line.half_life_days for _, line in lines] + [1]
    return f"""
        SELECT subject, kind AS slot,
               CASE WHEN NOT frozen AND effective_at <= {AS_OF} AND kind < {n}
                    THEN {milli}[kind + 1] >> (({AS_OF} - effective_at) // {DAY}
                                               // {half}[kind + 1])
                    ELSE -1 END AS earned
        FROM records"""


def score_only_floor(con: duckdb.DuckDBPyConnection) -> None:
    """A lower bound for any batch: the total decayed points per subject in one sum."""
    con.execute(
        "CREATE OR REPLACE TABLE floor_score AS SELECT subject, sum(GREATEST(earned, 0)) AS m "
        f"FROM ({_earned_rows()}) GROUP BY subject"
    )


def per_line_floor(con: duckdb.DuckDBPyConnection) -> None:
    """A lower bound for any batch with reasons: each line's points per subject, the least
    state that can rank lines (no caps, no ranking, no record ids).

    The cheapest encoding measured: three lines packed into one BIGINT sum, 21 bits each
    (a real batch would also need to catch a line overflowing its 21 bits). One FILTER or
    one product per line cost 3.4-4.7x the bare group-by; GROUP BY (subject, line) 7-8x.
    """
    n = len(kind_codes(DEFAULT_RULES))
    sums = ", ".join(
        f"sum(CASE WHEN slot // 3 = {j} THEN GREATEST(earned, 0) << (21 * (slot % 3)) "
        f"ELSE 0 END) AS m{j}"
        for j in range(-(-n // 3))
    )
    con.execute(
        f"CREATE OR REPLACE TABLE floor_lines AS SELECT subject, {sums} "
        f"FROM ({_earned_rows()}) GROUP BY subject"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="12GB")
    parser.add_argument("--database", default=":memory:", help="DuckDB file, default in memory")
    parser.add_argument(
        "--statements", action="store_true", help="time each statement of the batch as well"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="time the per-line floor and the batch this many times, in turn, and compare "
        "their medians: one run's timings of the same statement differ by up to 20%%",
    )
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

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
    score_floor = timed("    floor: score only, no reasons", lambda: score_only_floor(con))
    floors, batches = [], []
    for _ in range(args.repeat):
        floor = timed("    floor: per-line points, no record ids", partial(per_line_floor, con))
        floors.append(floor)
        batches.append(
            timed(
                "(b) batch rescoring with reasons",
                lambda: score_batch(
                    DEFAULT_RULES,
                    DEFAULT_RULES_HASH,
                    "records",
                    AS_OF,
                    _StatementTimer(con) if args.statements else con,  # type: ignore[arg-type]
                ),
            )
        )
    line_floor, batch = statistics.median(floors), statistics.median(batches)
    pairs = ", ".join(f"{b / f:.2f}x" for f, b in zip(floors, batches, strict=True))
    print(f"medians of {args.repeat}: per-line floor {line_floor:.2f} s, batch {batch:.2f} s")
    print(f"bare:  {args.people / bare:,.0f} people/s")
    print(f"batch: {args.people / batch:,.0f} people/s  (target <= 20 s at 10M people)")
    print(f"ratio batch / per-line floor = {batch / line_floor:.2f}x  (target <= 2x)")
    print(f"    each floor and the batch after it: {pairs}")
    print(f"ratio batch / bare = {batch / bare:.2f}x")
    print(
        f"floors / bare: score only {score_floor / bare:.2f}x, "
        f"per-line points {line_floor / bare:.2f}x"
    )
    print(
        f"load average {os.getloadavg()[0]:.2f} (other processes share the {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
