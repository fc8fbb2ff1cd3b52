"""Rescore every subject at once in DuckDB, identically to ``score_subject``.

When rules change or time moves on, every enrolled person's score must be recomputed; doing
that one Python call per person is far too slow for millions of people, so the same integer
arithmetic runs as SQL (see _sql.py). The input is a DuckDB table, view or relation of

    records(subject BIGINT|VARCHAR, record_id BIGINT|VARCHAR, category VARCHAR, type VARCHAR,
            effective_at BIGINT, frozen BOOLEAN)

or, cheaper, the same with one integer column ``kind`` (codes from ``kind_codes``) in place of
``category`` and ``type``. Record ids are only read for the subjects a cap may bite, and
compared as text, as in the engine; reasons carry each line's record count, and the ids are
resolved per person on demand (``credo.scoring.engine.reason_record_ids``).
"""

# S608: SQL here is built from quote()d identifiers and integers derived from validated
# rules; every string from a rules document or caller is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from credo.errors import InputError
from credo.scoring._sql import (
    Lanes,
    Plan,
    exact_sql,
    final_sql,
    kind_codes,
    lanes,
    output_columns,
    plan,
    quote,
    reason_of,
    unpacked_sql,
    words_sql,
)
from credo.scoring.engine import MAX_REASONS
from credo.scoring.model import Reason, Score
from credo.scoring.rules import RulesDocument

if TYPE_CHECKING:
    # Imported where a batch runs: DuckDB (with the NumPy it loads) was 0.17 s of every
    # `credo` command's start, and only batch rescoring uses it.
    import duckdb

__all__ = ["DEFAULT_CHUNK_ROWS", "iter_scores", "kind_codes", "score_batch"]

# Records per chunk. Each chunk is one parallel pass, so fewer is faster; the default keeps
# hundreds of millions of records in one pass (the aggregate holds a few words a subject)
# and smaller values only bound memory and make the progress callback move.
DEFAULT_CHUNK_ROWS = 250_000_000
# DuckDB's default of handing memory back to the OS after every task above 128 MiB made a
# quarter of a 100M-record run kernel time (page faults). Set for the run only, restored.
_ALLOCATOR = {
    "allocator_flush_threshold": "'8GB'",
    "allocator_bulk_deallocation_flush_threshold": "'8GB'",
}

Progress = Callable[[int, int], None]
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UINTEGER", "UBIGINT"}
_INTEGER_TYPES |= {"USMALLINT", "UTINYINT", "UHUGEINT"}


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
) -> tuple[str, list[str], dict[str, str]]:
    """A SELECT exposing (subject, record_id, kind, effective_at, frozen), temp tables, and
    the input's column types."""
    cols = _columns(con, name)
    needed = {"subject", "record_id", "effective_at", "frozen"}
    if missing := needed - cols.keys():
        raise InputError(f"records lack column(s) {sorted(missing)}")
    if "kind" in cols:
        return f"(SELECT subject, record_id, kind, effective_at, frozen FROM {name})", [], cols
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
    return source, [kinds], cols


class _Stats:
    """What one scan of the records tells the planner: its size and subject range."""

    def __init__(self, con: duckdb.DuckDBPyConnection, name: str, cols: dict[str, str]) -> None:
        self.numeric = cols["subject"] in _INTEGER_TYPES
        row = con.execute(f"SELECT count(*), min(subject), max(subject) FROM {name}").fetchone()
        self.total, self.low, self.high = (0, None, None) if row is None else row

    def chunks(self, chunk_rows: int) -> list[str]:
        """WHERE clauses splitting the subjects into disjoint chunks of ~chunk_rows records.

        Integer subjects split into ranges, which DuckDB prunes with its min/max zone maps
        when the table is stored in subject order; other subjects split by hash.
        """
        if self.total == 0:
            return []
        n = max(1, -(-int(self.total) // chunk_rows))
        if not self.numeric:
            return ["true"] if n == 1 else [f"hash(s.subject) % {n} = {i}" for i in range(n)]
        low, span = int(self.low), int(self.high) - int(self.low) + 1
        bounds = [low + span * i // n for i in range(n + 1)]
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

    ``output`` columns (``_sql.output_columns``): subject, score, s<c> each scorecard's
    context score in rules order, and for reasons i = 1..4 ``reason<i>``, the reason's key
    milli * L + (L - 1 - line) with line an index into the L lines sorted by line id then
    scorecard id (NULL past the last reason), and ``count<i>`` its record count; ``exact``
    says whether the subject went through the exact cap path. ``progress(done, total)`` is
    called after each chunk of subjects. ``rules_hash`` is not stored per row;
    ``iter_scores`` attaches it, the tier and the names to each ``Score``.
    """
    import duckdb  # loaded already: the caller holds a connection

    del rules_hash  # every row of one run shares it; the caller records it once
    tag = uuid.uuid4().hex[:12]
    name, view = _register(con, records_table, tag)
    temps: list[str] = []
    saved: dict[str, str] = {}
    try:
        source, temps, cols = _coded_source(con, rules, name, tag)
        stats = _Stats(con, source, cols)
        p = plan(rules, as_of)
        ln = lanes(p)
        out = quote(output)
        con.execute(f"CREATE OR REPLACE TABLE {out} ({output_columns(rules, cols['subject'])})")
        chunks = stats.chunks(chunk_rows)
        saved = _apply(con, _ALLOCATOR)
        temps.append(f"credo_suspects_{tag}")
        for done, where in enumerate(chunks, start=1):
            _score_chunk(con, rules, p, ln, source, where, out, tag)
            if progress is not None:
                progress(done, len(chunks))
    except duckdb.Error as exc:
        raise InputError(f"batch rescoring failed in DuckDB: {exc}") from exc
    finally:
        for setting, value in saved.items():
            con.execute(f"SET {setting} = {value}")
        for temp in temps:
            con.execute(f"DROP TABLE IF EXISTS {temp}")
        if view is not None:
            con.execute(f"DROP VIEW IF EXISTS {quote(view)}")
    return output


def _apply(con: duckdb.DuckDBPyConnection, settings: dict[str, str]) -> dict[str, str]:
    """Set DuckDB settings (names and SQL literals we chose); return the previous values."""
    saved: dict[str, str] = {}
    for setting, value in settings.items():
        row = con.execute(
            "SELECT value FROM duckdb_settings() WHERE name = ?", [setting]
        ).fetchone()
        if row is None:  # not in this DuckDB version: a speed hint only
            continue
        saved[setting] = "'" + str(row[0]).replace("'", "''") + "'"
        con.execute(f"SET {setting} = {value}")
    return saved


def _score_chunk(
    con: duckdb.DuckDBPyConnection,
    rules: RulesDocument,
    p: Plan,
    ln: Lanes,
    source: str,
    where: str,
    out: str,
    tag: str,
) -> None:
    """Score one chunk into ``out`` straight from the lane words, in one pipeline; then
    replace the placeholder rows of the suspect subjects (``exact`` NULL) with their exact
    scores. Nothing per subject is materialised in between but the suspects."""
    lanes_rows = unpacked_sql(p, ln, words_sql(p, ln, source, where))
    con.execute(f"INSERT INTO {out} {final_sql(rules, p, lanes_rows, small_counts=True)}")
    suspects = f"credo_suspects_{tag}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {suspects} AS SELECT subject FROM {out} WHERE exact IS NULL"
    )
    row = con.execute(f"SELECT count(*) FROM {suspects}").fetchone()
    if row is None or row[0] == 0:
        return
    con.execute(f"DELETE FROM {out} WHERE exact IS NULL")
    exact = exact_sql(p, source, where, suspects)
    con.execute(f"INSERT INTO {out} {final_sql(rules, p, exact)}")


def iter_scores(
    con: duckdb.DuckDBPyConnection,
    rules: RulesDocument,
    rules_hash: str,
    as_of: int,
    output: str = "credo_scores",
) -> Iterator[tuple[Any, Score]]:
    """(subject, Score) for each row of a batch result, in subject order, for comparison with
    ``score_subject`` and for handing single scores to the API: the tier from the score, and
    each reason's line and milli-points from its key (``_sql.final_sql``)."""
    cards = [card.id for card in rules.scorecards]
    by_rank = sorted((line.id, card.id) for card in rules.scorecards for line in card.lines)
    n_lines = len(by_rank)
    cols = ", ".join(f"s{c}" for c in range(len(cards)))
    reasons = ", ".join(f"reason{r}, count{r}" for r in range(1, MAX_REASONS + 1))
    cursor = con.execute(
        f"SELECT subject, score, {cols}, {reasons} FROM {quote(output)} ORDER BY subject"
    )
    n_cards = len(cards)
    while batch := cursor.fetchmany(10_000):
        for subject, score, *rest in batch:
            picked = rest[n_cards:]
            ranked = []
            for rank in range(1, MAX_REASONS + 1):
                key, count = picked[2 * rank - 2 : 2 * rank]
                if key is None:
                    break
                line_rank, milli = reason_of(key, n_lines)
                line_id, card_id = by_rank[line_rank]
                ranked.append(
                    Reason(
                        rank=rank,
                        scorecard=card_id,
                        line=line_id,
                        milli_points=milli,
                        record_count=count,
                        text_key=f"reason.{card_id}.{line_id}",
                    )
                )
            yield (
                subject,
                Score(
                    rules_hash=rules_hash,
                    as_of=as_of,
                    score=score,
                    tier=rules.tier_for(score),
                    context_scores=dict(zip(cards, rest[:n_cards], strict=True)),
                    reasons=tuple(ranked),
                ),
            )
