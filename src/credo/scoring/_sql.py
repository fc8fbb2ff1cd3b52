"""The SQL text of batch rescoring, generated from a rules document.

It restates engine.py's integer arithmetic in DuckDB SQL, clause for clause, so that
``score_batch`` and ``score_subject`` agree bit for bit (the property test in
tests/scoring/test_batch.py holds them to it). Only integers and identifiers built here from
validated rules reach the text; rule strings travel as bound parameters or in a lines table.
"""

from __future__ import annotations

from credo.scoring.engine import DAY, MAX_REASONS
from credo.scoring.rules import RulesDocument

__all__ = ["chunk_sql", "line_rows", "kind_codes", "quote"]


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


def line_rows(rules: RulesDocument) -> list[tuple[int, int, int, int, int, int | None, int | None]]:
    """One row per line: (line_no, card_no, kind, milli, half_life_secs, cap_n, period_secs).

    ``line_no`` is the line's rank in (line id, scorecard id) order, so "ties broken by line
    id" becomes "ties broken by smaller line_no" in SQL.
    """
    codes = kind_codes(rules)
    order = sorted(
        (line.id, card.id, c, line)
        for c, card in enumerate(rules.scorecards)
        for line in card.lines
    )
    rows: list[tuple[int, int, int, int, int, int | None, int | None]] = []
    for line_no, (_, _, c, line) in enumerate(order):
        cap_n = None if line.cap is None else line.cap.max_points // line.points
        period = None if line.cap is None else line.cap.period_days * DAY
        kind = codes[(line.category, line.type)]
        rows.append(
            (line_no, c, kind, line.points * 1000, line.half_life_days * DAY, cap_n, period)
        )
    return rows


def _tier_case(rules: RulesDocument, column: str) -> str:
    arms = " ".join(
        f"WHEN {column} >= {tier.min_score} THEN {i}"
        for i, tier in reversed(list(enumerate(rules.tiers)))
    )
    return f"CASE {arms} ELSE 0 END"


def chunk_sql(rules: RulesDocument, source: str, lines: str, where: str) -> str:
    """One INSERT-able SELECT scoring every subject of ``source`` matching ``where``.

    ``source`` must expose (subject, record_id, kind, effective_at, frozen). Parameters: $1
    as_of, $2 tier names, $3 and $4 the scorecard and line id of each line_no. Records matching no line still flow through (with no line) so that every subject
    gets a row, at base, without a separate DISTINCT pass over the records.
    """
    rng = rules.score
    tier = _tier_case(rules, "score")
    n_lines = sum(len(card.lines) for card in rules.scorecards)
    n_cards = len(rules.scorecards)
    cards = ", ".join(
        f"COALESCE(sum(milli) FILTER (WHERE card_no = {c}), 0)" for c in range(n_cards)
    )
    clamp = f"LEAST(GREATEST({rng.base} + (m // 1000), {rng.min}), {rng.max})"
    context_list = f"list_transform(cards, lambda m: {clamp})"
    return f"""
WITH x AS (
    SELECT s.subject, s.record_id, s.effective_at, l.line_no, l.card_no, l.cap_n,
           l.milli >> LEAST(($1 - s.effective_at) // l.half_life_secs, 63) AS earned,
           CASE WHEN l.cap_n IS NOT NULL THEN
               CASE WHEN s.effective_at >= 0 THEN s.effective_at // l.period_secs
                    ELSE -((-s.effective_at - 1) // l.period_secs) - 1 END
           END AS bucket
    FROM {source} AS s
    LEFT JOIN {lines} AS l
      ON s.kind = l.kind AND NOT s.frozen AND s.effective_at <= $1
    WHERE {where}
),
counted AS (
    SELECT subject, record_id, line_no, card_no, earned FROM x WHERE cap_n IS NULL
    UNION ALL
    SELECT subject, record_id, line_no, card_no, earned FROM (
        SELECT subject, record_id, line_no, card_no, earned, cap_n,
               row_number() OVER (PARTITION BY subject, line_no, bucket
                                  ORDER BY effective_at, CAST(record_id AS VARCHAR)) AS rn
        FROM x WHERE cap_n IS NOT NULL
    ) WHERE rn <= cap_n
),
per_line AS (
    SELECT subject, line_no, any_value(card_no) AS card_no,
           CAST(sum(earned) AS BIGINT) AS milli,
           list(CAST(record_id AS VARCHAR)) FILTER (WHERE earned > 0) AS ids
    FROM counted GROUP BY subject, line_no
),
per_subject AS (
    SELECT subject,
           COALESCE(CAST(sum(milli) AS BIGINT), 0) AS total,
           [{cards}] AS cards,
           max_by({{'line_no': line_no, 'milli': milli, 'ids': ids}},
                  CASE WHEN milli > 0
                       THEN CAST(milli AS HUGEINT) * {n_lines} + ({n_lines - 1} - line_no) END,
                  {MAX_REASONS}) AS top
    FROM per_line GROUP BY subject
)
SELECT subject, score, $2[{tier} + 1] AS tier, context_scores, reasons
FROM (
    SELECT subject,
           CAST(LEAST(GREATEST({rng.base} + (total // 1000), {rng.min}), {rng.max}) AS INTEGER)
               AS score,
           CAST({context_list} AS INTEGER[]) AS context_scores,
           list_transform(COALESCE(top, []), lambda t: {{
               'scorecard': $3[t.line_no + 1], 'line': $4[t.line_no + 1],
               'milli_points': t.milli, 'record_ids': list_sort(t.ids)}}) AS reasons
    FROM per_subject
)
"""
