"""The SQL text of batch rescoring, generated from a rules document.

It restates engine.py's integer arithmetic in DuckDB SQL, clause for clause, so that
``score_batch`` and ``score_subject`` agree bit for bit (the property test in
tests/scoring/test_batch.py holds them to it). Only integers computed here from validated
rules reach the text; rule strings travel as bound parameters or in a lines table.

Speed comes from aggregating once per subject (a single-key GROUP BY is several times cheaper
in DuckDB than one on (subject, line, bucket) or a window). Caps need per-bucket ranking,
but a cap can only bite when a subject has more than ``cap_n`` records on that line at all;
only those "overflow" subjects are re-aggregated exactly, through a window, afterwards.
"""

# S608: SQL here is built from quote()d identifiers and integers derived from validated
# rules; every string from a rules document or caller is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from credo.scoring.engine import DAY, MAX_REASONS
from credo.scoring.rules import RulesDocument

__all__ = ["aggregate_sql", "final_sql", "kind_codes", "line_rows", "quote", "rows_sql"]

LineRow = tuple[int, int, int, int, int, int | None, int | None]


def quote(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def kind_codes(rules: RulesDocument) -> dict[tuple[str, str], int]:
    """A small integer for every ``(category, type)`` some line scores, in sorted order.

    The batch path may be fed records already coded this way (column ``kind``), which is
    cheaper to join than two strings; records of any other kind simply match no line.
    """
    pairs = sorted({(line.category, line.type) for card in rules.scorecards for line in card.lines})
    return {pair: code for code, pair in enumerate(pairs)}


def line_rows(rules: RulesDocument) -> list[LineRow]:
    """One row per line: (line_no, card_no, kind, milli, half_life_secs, cap_n, period_secs).

    ``line_no`` is the line's rank in (line id, scorecard id) order, so "ties broken by line
    id, then scorecard" becomes "ties broken by smaller line_no" in SQL.
    """
    codes = kind_codes(rules)
    order = sorted(
        (line.id, card.id, c, line)
        for c, card in enumerate(rules.scorecards)
        for line in card.lines
    )
    rows: list[LineRow] = []
    for line_no, (_, _, c, line) in enumerate(order):
        cap_n = None if line.cap is None else line.cap.max_points // line.points
        period = None if line.cap is None else line.cap.period_days * DAY
        kind = codes[(line.category, line.type)]
        rows.append(
            (line_no, c, kind, line.points * 1000, line.half_life_days * DAY, cap_n, period)
        )
    return rows


def rows_sql(source: str, lines: str, where: str, as_of: int, *, bucket: bool = False) -> str:
    """Each record with its matching line(s) and decayed milli-points.

    Records that are frozen, in the future or match no line keep one row with NULL line, so
    their subject still gets a score (the base) without a separate DISTINCT pass. ``as_of``
    is inlined (an int, so safe): DuckDB plans a literal markedly faster than a parameter.
    The cap bucket (floor division) is only computed for the exact path.
    """
    at = int(as_of)
    floor = (
        """CASE WHEN l.cap_n IS NOT NULL THEN
               CASE WHEN s.effective_at >= 0 THEN s.effective_at // l.period_secs
                    ELSE -((-s.effective_at - 1) // l.period_secs) - 1 END
           END"""
        if bucket
        else "NULL"
    )
    return f"""
    SELECT s.subject, s.record_id, s.effective_at, l.line_no, l.cap_n,
           l.milli >> LEAST(({at} - s.effective_at) // l.half_life_secs, 63) AS earned,
           {floor} AS bucket
    FROM {source} AS s
    LEFT JOIN {lines} AS l ON s.kind = l.kind AND NOT s.frozen AND s.effective_at <= {at}
    WHERE {where}"""


def capped_rows_sql(rows: str) -> str:
    """The exact cap rule: per (subject, line, bucket), the first cap_n by (effective_at,
    record id as text) count; uncapped and line-less rows pass through."""
    return f"""
    SELECT subject, record_id, line_no, earned, cap_n FROM ({rows}) WHERE cap_n IS NULL
    UNION ALL
    SELECT subject, record_id, line_no, earned, cap_n FROM (
        SELECT subject, record_id, line_no, earned, cap_n,
               row_number() OVER (PARTITION BY subject, line_no, bucket
                                  ORDER BY effective_at, CAST(record_id AS VARCHAR)) AS rn
        FROM ({rows}) WHERE cap_n IS NOT NULL
    ) WHERE rn <= cap_n"""


def aggregate_sql(rules: RulesDocument, rows: str) -> str:
    """Per subject: each line's milli-points, an overflow flag, and contributing record ids.

    ``overflow`` is true when some capped line has more than cap_n records for the subject;
    only then can a bucket exceed its cap, so only then are the sums not yet exact.
    """
    lines = line_rows(rules)
    # One HUGEINT sum per line packs (milli-points << 32) + record count: half the aggregate
    # states of a sum and a count, and CASE is cheaper than FILTER here.
    packed = ", ".join(
        f"sum(CASE WHEN line_no = {n} THEN (CAST(earned AS HUGEINT) << 32) + 1 END) AS p{n}"
        for n, *_ in lines
    )
    sums = ", ".join(f"CAST(COALESCE(p{n} >> 32, 0) AS BIGINT) AS m{n}" for n, *_ in lines)
    overflow = " OR ".join(
        f"COALESCE(p{n} & 4294967295, 0) > {cap_n}"
        for n, _, _, _, _, cap_n, _ in lines
        if cap_n is not None
    )
    ids = ", ".join(
        f"list(record_id) FILTER (WHERE line_no = {n} AND earned > 0) AS ids{n}" for n, *_ in lines
    )
    names = ", ".join(f"ids{n}" for n, *_ in lines)
    return f"""
    SELECT subject, {sums}, {overflow or "false"} AS overflow, {names} FROM (
        SELECT subject, {packed}, {ids}
        FROM ({rows}) GROUP BY subject
    )"""


def _tier_index(rules: RulesDocument, column: str) -> str:
    arms = " ".join(
        f"WHEN {column} >= {tier.min_score} THEN {i + 1}"
        for i, tier in reversed(list(enumerate(rules.tiers)))
    )
    return f"CASE {arms} ELSE 1 END"


def final_sql(rules: RulesDocument, agg: str) -> str:
    """Score, tier, context scores and ranked reasons from a per-subject aggregate.

    Parameters: $1 tier names, $2 and $3 the scorecard and line id of each line_no. Reasons
    are ranked on one integer key, milli * L + (L - 1 - line_no): more points first, then the
    smaller line_no, which is the (line id, scorecard id) order.
    """
    rng = rules.score
    lines = line_rows(rules)
    n_lines = len(lines)

    def clamp(milli: str) -> str:
        bounded = f"LEAST(GREATEST({rng.base} + (({milli}) // 1000), {rng.min}), {rng.max})"
        return f"CAST({bounded} AS INTEGER)"

    total = " + ".join(f"m{n}" for n, *_ in lines)
    cards = ", ".join(
        clamp(" + ".join(f"m{n}" for n, c, *_ in lines if c == card_no) or "0")
        for card_no in range(len(rules.scorecards))
    )
    keys = ", ".join(
        f"CASE WHEN m{n} > 0 THEN CAST(m{n} AS HUGEINT) * {n_lines} + {n_lines - 1 - n} END"
        for n, *_ in lines
    )
    ids = ", ".join(f"ids{n}" for n, *_ in lines)
    count = " + ".join(f"CAST(m{n} > 0 AS INTEGER)" for n, *_ in lines)
    top = f"list_reverse_sort([{keys}], 'NULLS LAST')"

    def reason(i: int) -> str:
        # Unrolled per rank rather than a lambda over the ranks: markedly faster in DuckDB.
        key = f"top[{i}]"
        line_no = f"CAST({n_lines - 1} - {key} % {n_lines} AS INTEGER)"
        return f"""{{
               'scorecard': $2[{line_no} + 1], 'line': $3[{line_no} + 1],
               'milli_points': CAST({key} // {n_lines} AS BIGINT),
               'record_ids': list_sort(CAST(CASE {line_no} {pick} END AS VARCHAR[]))
           }}"""

    pick = " ".join(f"WHEN {n} THEN ids{n}" for n, *_ in lines)
    reasons = ", ".join(reason(i) for i in range(1, MAX_REASONS + 1))
    return f"""
    SELECT subject, score, $1[{_tier_index(rules, "score")}] AS tier, context_scores,
           list_slice([{reasons}], 1, LEAST(positive, {MAX_REASONS})) AS reasons
    FROM (
        SELECT subject, {clamp(total)} AS score, [{cards}] AS context_scores,
               {top} AS top, {count} AS positive, {ids}
        FROM {agg}
    )"""
