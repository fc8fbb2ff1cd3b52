"""Rescore every subject at once in DuckDB, identically to ``score_subject``.

When rules change or time moves on, every enrolled person's score must be recomputed; doing
that one Python call per person is far too slow for millions of people, so the same integer
arithmetic runs as SQL (see _sql.py). The input is a DuckDB table, view or relation of

    records(subject BIGINT|VARCHAR, record_id BIGINT|VARCHAR, category VARCHAR, type VARCHAR,
            effective_at BIGINT, frozen BOOLEAN)

or, cheaper, the same with one integer column ``kind`` (codes from ``kind_codes``) in place of
``category`` and ``type``. Record ids are compared and reported as text, as in the engine.
"""

# S608: SQL here is built from quote()d identifiers and integers derived from validated
# rules; every string from a rules document or caller is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import duckdb

from credo.errors import InputError
from credo.scoring._sql import (
    aggregate_sql,
    capped_rows_sql,
    final_sql,
    kind_codes,
    line_rows,
    quote,
    rows_sql,
)
from credo.scoring.model import Reason, Score
from credo.scoring.rules import RulesDocument

__all__ = ["DEFAULT_CHUNK_ROWS", "iter_scores", "kind_codes", "score_batch"]

# Records per chunk: large enough that per-chunk overhead is negligible, small enough that a
# chunk's hash tables stay modest and the progress bar moves.
DEFAULT_CHUNK_ROWS = 10_000_000

Progress = Callable[[int, int], None]
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UINTEGER", "UBIGINT"}


def _columns(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    return {str(row[0]): str(row[1]) for row in rows}


def _register(
    con: duckdb.DuckDBPyConnection, records: str | duckdb.DuckDBPyRelation, tag: str
) -> tuple[str, str | None]:
    """A quoted name for the records, and the view created for a relation (to drop later)."""
    if isinstance(records, str):
        return quote(records), None
    view = f"credo_records_{tag}"
    records.create_view(view, replace=True)
    return quote(view), view


def _coded_source(
    con: duckdb.DuckDBPyConnection, rules: RulesDocument, name: str, tag: str
) -> tuple[str, list[str], bool]:
    """A SELECT exposing (subject, record_id, kind, effective_at, frozen), and temp tables."""
    cols = _columns(con, name)
    needed = {"subject", "record_id", "effective_at", "frozen"}
    if missing := needed - cols.keys():
        raise InputError(f"records lack column(s) {sorted(missing)}")
    numeric = cols["subject"] in _INTEGER_TYPES
    if "kind" in cols:
        return f"(SELECT subject, record_id, kind, effective_at, frozen FROM {name})", [], numeric
    if not {"category", "type"} <= cols.keys():
        raise InputError("records need either a 'kind' column or 'category' and 'type' columns")
    kinds = f"credo_kinds_{tag}"
    con.execute(f"CREATE TEMP TABLE {kinds} (category VARCHAR, type VARCHAR, kind INTEGER)")
    rows = [(c, t, k) for (c, t), k in kind_codes(rules).items()]
    con.executemany(f"INSERT INTO {kinds} VALUES (?, ?, ?)", rows)
    source = (
        f"(SELECT r.subject, r.record_id, k.kind, r.effective_at, r.frozen FROM {name} AS r "
        f"LEFT JOIN {kinds} AS k ON r.category = k.category AND r.type = k.type)"
    )
    return source, [kinds], numeric


def _chunks(con: duckdb.DuckDBPyConnection, name: str, numeric: bool, chunk_rows: int) -> list[str]:
    """WHERE clauses splitting the subjects into disjoint chunks of roughly chunk_rows records.

    Integer subjects split into ranges, which DuckDB prunes with its min/max zone maps when the
    table is stored in subject order; other subjects split by hash.
    """
    row = con.execute(f"SELECT count(*), min(subject), max(subject) FROM {name}").fetchone()
    assert row is not None
    total, low, high = row
    n = max(1, -(-int(total) // chunk_rows))
    if total == 0:
        return []
    if not numeric:
        return [f"hash(s.subject) % {n} = {i}" for i in range(n)]
    span = int(high) - int(low) + 1
    bounds = [int(low) + span * i // n for i in range(n + 1)]
    # Integers we computed ourselves, so inlining them is safe and lets DuckDB prune.
    return [
        f"s.subject >= {bounds[i]} AND s.subject < {bounds[i + 1]}"
        for i in range(n)
        if bounds[i] < bounds[i + 1]
    ]


def score_batch(
    rules: RulesDocument,
    rules_hash: str,
    records_table: str | duckdb.DuckDBPyRelation,
    as_of: int,
    con: duckdb.DuckDBPyConnection,
    progress: Progress | None = None,
    *,
    output: str = "credo_scores",
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> str:
    """Score every subject of ``records_table`` into table ``output``, whose name is returned.

    ``output`` columns: subject, score INTEGER, tier VARCHAR, context_scores INTEGER[] (in
    rules.scorecards order), reasons STRUCT(scorecard, line, milli_points, record_ids)[]
    ranked best first. ``progress(done, total)`` is called after each chunk of subjects.
    ``rules_hash`` is not stored per row; ``iter_scores`` attaches it to each ``Score``.
    """
    del rules_hash  # every row of one run shares it; the caller records it once
    tag = uuid.uuid4().hex[:12]
    name, view = _register(con, records_table, tag)
    source, temps, numeric = _coded_source(con, rules, name, tag)
    lines = f"credo_lines_{tag}"
    temps.append(lines)
    try:
        con.execute(
            f"CREATE TEMP TABLE {lines} (line_no INTEGER, card_no INTEGER, kind INTEGER, "
            "milli BIGINT, half_life_secs BIGINT, cap_n BIGINT, period_secs BIGINT)"
        )
        rows = line_rows(rules)
        con.executemany(f"INSERT INTO {lines} VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        by_line = sorted((line.id, card.id) for card in rules.scorecards for line in card.lines)
        names = [
            [tier.name for tier in rules.tiers],
            [card_id for _, card_id in by_line],
            [line_id for line_id, _ in by_line],
        ]
        out = quote(output)
        con.execute(
            f"CREATE OR REPLACE TABLE {out} (subject {_columns(con, name)['subject']}, "
            "score INTEGER, tier VARCHAR, context_scores INTEGER[], reasons STRUCT(scorecard "
            "VARCHAR, line VARCHAR, milli_points BIGINT, record_ids VARCHAR[])[])"
        )
        agg = f"credo_agg_{tag}"
        temps.append(agg)
        chunks = _chunks(con, name, numeric, chunk_rows)
        for done, where in enumerate(chunks, start=1):
            _score_chunk(con, rules, source, lines, where, agg, as_of)
            con.execute(f"INSERT INTO {out} {final_sql(rules, agg)}", names)
            if progress is not None:
                progress(done, len(chunks))
    except duckdb.Error as exc:
        raise InputError(f"batch rescoring failed in DuckDB: {exc}") from exc
    finally:
        for temp in temps:
            con.execute(f"DROP TABLE IF EXISTS {temp}")
        if view is not None:
            con.execute(f"DROP VIEW IF EXISTS {quote(view)}")
    return output


def _score_chunk(
    con: duckdb.DuckDBPyConnection,
    rules: RulesDocument,
    source: str,
    lines: str,
    where: str,
    agg: str,
    as_of: int,
) -> None:
    """Aggregate one chunk into ``agg``: fast path for all, exact cap path for overflow."""
    rows = rows_sql(source, lines, where, as_of)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {agg} AS {aggregate_sql(rules, rows)}")
    row = con.execute(f"SELECT count(*) FROM {agg} WHERE overflow").fetchone()
    if row is None or row[0] == 0:
        return
    suspects = f"{where} AND s.subject IN (SELECT subject FROM {agg} WHERE overflow)"
    exact_rows = rows_sql(source, lines, suspects, as_of, bucket=True)
    exact = aggregate_sql(rules, capped_rows_sql(exact_rows))
    # Re-aggregated with the cap applied; the flag it computes again is moot and cleared.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {agg}_exact AS "
        f"SELECT * REPLACE (false AS overflow) FROM ({exact})"
    )
    con.execute(f"DELETE FROM {agg} WHERE overflow")
    con.execute(f"INSERT INTO {agg} SELECT * FROM {agg}_exact")
    con.execute(f"DROP TABLE {agg}_exact")


def iter_scores(
    con: duckdb.DuckDBPyConnection,
    rules: RulesDocument,
    rules_hash: str,
    as_of: int,
    output: str = "credo_scores",
) -> Iterator[tuple[Any, Score]]:
    """(subject, Score) for each row of a batch result, in subject order, for comparison with
    ``score_subject`` and for handing single scores to the API."""
    cards = [card.id for card in rules.scorecards]
    cursor = con.execute(
        f"SELECT subject, score, tier, context_scores, reasons FROM {quote(output)} "
        "ORDER BY subject"
    )
    while batch := cursor.fetchmany(10_000):
        for subject, score, tier, context_scores, reasons in batch:
            yield (
                subject,
                Score(
                    rules_hash=rules_hash,
                    as_of=as_of,
                    score=score,
                    tier=tier,
                    context_scores=dict(zip(cards, context_scores, strict=True)),
                    reasons=tuple(
                        Reason(
                            rank=rank,
                            scorecard=r["scorecard"],
                            line=r["line"],
                            milli_points=r["milli_points"],
                            record_ids=tuple(r["record_ids"]),
                            text_key=f"reason.{r['scorecard']}.{r['line']}",
                        )
                        for rank, r in enumerate(reasons, start=1)
                    ),
                ),
            )
