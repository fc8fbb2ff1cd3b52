"""The SQL text of batch rescoring, generated from a rules document.

It restates engine.py's integer arithmetic in DuckDB SQL so that ``score_batch`` and
``score_subject`` agree bit for bit (the property test in tests/scoring/test_batch.py holds
them to it). Only integers computed here from validated rules and from the data's own
min/max reach the text; rule strings travel as bound parameters.

The shape is chosen for DuckDB's cost model, measured in bench/bench_scoring.py:

* One GROUP BY subject with a single aggregate, ``list(element)``, where an element packs
  (record id, age in days, line slot) into one BIGINT. Every extra aggregate state (a sum per
  line, a second list, a list of structs) costs about as much again as the whole group-by,
  and per-row lookups or CASE arms before the aggregate cost more than the aggregate.
* Everything else is per subject, on those short lists: per-line sums and counts, the top
  four lines, and the record ids of only those four, each with one vectorised lambda.
* Caps can only bite when a subject has more than ``cap_n`` records on a capped line; only
  those subjects' lists are rebuilt through the exact window (``exact_lists_sql``).
"""

# S608: SQL here is built from quote()d identifiers and integers derived from validated
# rules or the data; every string from a rules document or caller is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass

from credo.scoring.engine import DAY, MAX_REASONS
from credo.scoring.rules import RulesDocument

__all__ = [
    "Packing",
    "Plan",
    "exact_lists_sql",
    "final_sql",
    "kind_codes",
    "lists_sql",
    "plan",
    "quote",
    "sums_sql",
]

# list_sum gives a HUGEINT, so a capped line's (milli-points << 32) + count never overflows;
# the count is exact below 2**32 records per subject and line, which overflow() enforces.
_COUNT_BITS = 32


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


@dataclass(frozen=True, slots=True)
class _Line:
    rank: int  # position in (line id, scorecard id) order: the tie-break of reasons
    card_no: int
    kind: int
    slot: int  # the element key that selects this line's records
    milli: int
    half_life_days: int
    cap_n: int | None
    period_secs: int | None

    @property
    def live_days(self) -> int:
        """Age in days from which the line's decayed points are 0: ``milli >> shift`` is
        positive exactly while ``shift = age // half_life`` is below ``milli.bit_length()``."""
        return self.half_life_days * self.milli.bit_length()


@dataclass(frozen=True, slots=True)
class Plan:
    """Rules restated as integers for SQL. ``one_to_one``: every kind feeds exactly one
    line, so an element's slot is the record's kind code and no join is needed; otherwise a
    record becomes one element per line it feeds, its slot the line's rank."""

    lines: tuple[_Line, ...]  # in rank order
    n_kinds: int
    one_to_one: bool
    as_of: int

    @property
    def slots(self) -> int:
        return self.n_kinds if self.one_to_one else len(self.lines)

    @property
    def key_bits(self) -> int:
        return max(1, (self.slots - 1).bit_length())

    @property
    def max_live_days(self) -> int:
        return max(line.live_days for line in self.lines)

    def by_slot(self) -> dict[int, _Line]:
        return {line.slot: line for line in self.lines}


def plan(rules: RulesDocument, as_of: int) -> Plan:
    codes = kind_codes(rules)
    order = sorted(
        (line.id, card.id, c, line)
        for c, card in enumerate(rules.scorecards)
        for line in card.lines
    )
    kinds = [codes[(line.category, line.type)] for *_, line in order]
    one_to_one = len(set(kinds)) == len(kinds)
    lines = tuple(
        _Line(
            rank=rank,
            card_no=c,
            kind=kind,
            slot=kind if one_to_one else rank,
            milli=line.points * 1000,
            half_life_days=line.half_life_days,
            cap_n=None if line.cap is None else line.cap.max_points // line.points,
            period_secs=None if line.cap is None else line.cap.period_days * DAY,
        )
        for rank, ((_, _, c, line), kind) in enumerate(zip(order, kinds, strict=True))
    )
    return Plan(lines=lines, n_kinds=len(codes), one_to_one=one_to_one, as_of=int(as_of))


@dataclass(frozen=True, slots=True)
class Packing:
    """How one list element holds (record id, age in days, slot).

    ``low = age * 2**key_bits + slot`` always. With integer record ids whose range fits
    (``id_base`` set), the element is the BIGINT ``(id - id_base) * 2**low_bits + low``; that
    is several times cheaper to aggregate than the fallback, a STRUCT(p low, i record id).
    Ages are clamped to ``age_cap``, past which every line's points have decayed to 0.
    """

    key_bits: int
    age_cap: int
    id_base: int | None

    @property
    def age_bits(self) -> int:
        return max(1, self.age_cap.bit_length())

    @property
    def low_bits(self) -> int:
        return self.age_bits + self.key_bits

    def element(self, record_id: str, age: str, slot: str) -> str:
        low = f"(LEAST({age}, {self.age_cap}) * {1 << self.key_bits} + {slot})"
        if self.id_base is None:
            return f"{{'p': {low}, 'i': {record_id}}}"
        offset = f"(CAST({record_id} AS BIGINT) - {self.id_base})"
        return f"({offset} * {1 << self.low_bits} + {low})"

    def low(self, x: str) -> str:
        return f"{x}.p" if self.id_base is None else f"({x} & {(1 << self.low_bits) - 1})"

    def slot(self, x: str) -> str:
        return f"({self.low(x)} & {(1 << self.key_bits) - 1})"

    def age(self, x: str) -> str:
        return f"({self.low(x)} >> {self.key_bits})"

    def record_text(self, x: str) -> str:
        if self.id_base is None:
            return f"CAST({x}.i AS VARCHAR)"
        return f"CAST(({x} >> {self.low_bits}) + {self.id_base} AS VARCHAR)"


def packing(p: Plan, id_range: tuple[int, int] | None, max_age_days: int) -> Packing:
    """The cheapest packing the data allows; ``id_range`` is (min, max) of integer ids."""
    cap = max(0, min(p.max_live_days, max_age_days))
    pack = Packing(key_bits=p.key_bits, age_cap=cap, id_base=None)
    if id_range is not None:
        low, high = id_range
        fits = low >= -(1 << 63) and high < (1 << 63)
        if fits and (high - low) < (1 << (62 - pack.low_bits)):
            return Packing(key_bits=p.key_bits, age_cap=cap, id_base=low)
    return pack


def _eligible_rows(p: Plan, source: str, where: str) -> str:
    """(subject, record_id, slot, effective_at, ok) from the records of one chunk.

    ``ok`` is false or NULL for records that are frozen, in the future or match no line: they
    still form their subject's group, so the subject gets a score (the base)."""
    at = p.as_of
    if p.one_to_one:
        return f"""
        SELECT s.subject, s.record_id, s.kind AS slot, s.effective_at,
               s.kind >= 0 AND s.kind < {p.n_kinds} AND NOT s.frozen
               AND s.effective_at <= {at} AS ok
        FROM {source} AS s WHERE {where}"""
    values = ", ".join(f"({line.kind}, {line.slot})" for line in p.lines)
    return f"""
        SELECT s.subject, s.record_id, l.slot, s.effective_at,
               l.slot IS NOT NULL AND NOT s.frozen AND s.effective_at <= {at} AS ok
        FROM {source} AS s LEFT JOIN (VALUES {values}) AS l(kind, slot) ON s.kind = l.kind
        WHERE {where}"""


def lists_sql(p: Plan, pack: Packing, source: str, where: str) -> str:
    """Per subject of the chunk, the list of its eligible (record, line) elements."""
    age = f"(({p.as_of} - effective_at) // {DAY})"
    element = pack.element("record_id", age, "slot")
    return f"""
    SELECT subject, list({element}) FILTER (WHERE ok) AS xs
    FROM ({_eligible_rows(p, source, where)}) GROUP BY subject"""


def exact_lists_sql(p: Plan, pack: Packing, source: str, where: str, suspects: str) -> str:
    """Lists for the ``suspects`` subjects with engine.py's exact cap applied: per (subject,
    line, bucket), only the first cap_n records by (effective_at, record id as text)."""
    by_slot = p.by_slot()
    slots = range(p.slots)

    def per_slot(values: list[int | None]) -> str:
        return "[" + ", ".join("NULL" if v is None else str(v) for v in values) + "]"

    cap_n = per_slot([by_slot[s].cap_n if s in by_slot else None for s in slots])
    period = per_slot([by_slot[s].period_secs if s in by_slot else None for s in slots])
    rows = _eligible_rows(p, source, f"{where} AND s.subject IN (SELECT subject FROM {suspects})")
    age = f"(({p.as_of} - effective_at) // {DAY})"
    element = pack.element("record_id", age, "slot")
    return f"""
    SELECT subject, list({element}) AS xs FROM (
        SELECT subject, record_id, slot, effective_at, cap_n,
               CASE WHEN cap_n IS NULL THEN 1 ELSE row_number() OVER (
                   PARTITION BY subject, slot,
                       CASE WHEN effective_at >= 0 THEN effective_at // period
                            ELSE -((-effective_at - 1) // period) - 1 END
                   ORDER BY effective_at, CAST(record_id AS VARCHAR)) END AS rn
        FROM (SELECT *, {cap_n}[slot + 1] AS cap_n, {period}[slot + 1] AS period
              FROM ({rows}) WHERE ok)
    ) WHERE cap_n IS NULL OR rn <= cap_n
    GROUP BY subject"""


def _earned(p: Plan, pack: Packing, line: _Line, x: str) -> str:
    shift = f"LEAST({pack.age(x)} // {line.half_life_days}, 63)"
    return f"({line.milli} >> {shift})"


def sums_sql(p: Plan, pack: Packing, lists: str) -> str:
    """Per subject: its list, each line's milli-points ``m<rank>`` and an overflow flag.

    A capped line sums ``(earned << 32) + 1`` so that one lambda pass gives both its points
    and its record count; ``overflow`` is true when some capped line has more than cap_n
    records, the only case in which a bucket can exceed its cap and the sum be inexact.
    """
    parts = []
    flags = [f"COALESCE(len(xs), 0) >= {1 << _COUNT_BITS}"]
    for line in p.lines:
        n = line.rank
        hit = f"{pack.slot('x')} = {line.slot}"
        earned = _earned(p, pack, line, "x")
        if line.cap_n is None:
            parts.append(
                f"CAST(COALESCE(list_sum(list_transform(xs, lambda x: "
                f"CASE WHEN {hit} THEN {earned} ELSE 0 END)), 0) AS BIGINT) AS m{n}"
            )
            continue
        parts.append(
            f"COALESCE(list_sum(list_transform(xs, lambda x: "
            f"CASE WHEN {hit} THEN ({earned} << {_COUNT_BITS}) + 1 ELSE 0 END)), 0) AS p{n}"
        )
        flags.append(f"(p{n} & {(1 << _COUNT_BITS) - 1}) > {line.cap_n}")
    packed = [
        f"CAST(p{line.rank} >> {_COUNT_BITS} AS BIGINT) AS m{line.rank}"
        for line in p.lines
        if line.cap_n
    ]
    names = ", ".join(f"m{line.rank}" for line in p.lines)
    return f"""
    SELECT subject, xs, {names}, {" OR ".join(flags)} AS overflow FROM (
        SELECT *, {", ".join(packed) or "0 AS m_"} FROM (
            SELECT subject, xs, {", ".join(parts)} FROM ({lists})
        )
    )"""


def _tier_index(rules: RulesDocument, column: str) -> str:
    arms = " ".join(
        f"WHEN {column} >= {tier.min_score} THEN {i + 1}"
        for i, tier in reversed(list(enumerate(rules.tiers)))
    )
    return f"CASE {arms} ELSE 1 END"


def final_sql(rules: RulesDocument, p: Plan, pack: Packing, sums: str) -> str:
    """Score, tier, context scores and ranked reasons from ``sums_sql`` rows.

    Parameters: $1 tier names, $2 and $3 the scorecard and line id of each line rank. Lines
    are ranked on one integer key, milli * L + (L - 1 - rank): more points first, then the
    smaller rank, which is the (line id, scorecard id) order. The top four keys come from a
    chain of GREATEST (keys are distinct), and only those four lines' record ids are
    gathered from the list, as text, sorted.
    """
    rng = rules.score
    n_lines = len(p.lines)

    def clamp(milli: str) -> str:
        bounded = f"LEAST(GREATEST({rng.base} + (({milli}) // 1000), {rng.min}), {rng.max})"
        return f"CAST({bounded} AS INTEGER)"

    total = " + ".join(f"m{line.rank}" for line in p.lines)
    cards = ", ".join(
        clamp(" + ".join(f"m{line.rank}" for line in p.lines if line.card_no == c) or "0")
        for c in range(len(rules.scorecards))
    )
    keys = ", ".join(
        f"CASE WHEN m{n} > 0 THEN m{n} * {n_lines} + {n_lines - 1 - n} ELSE 0 END AS k{n}"
        for n in range(n_lines)
    )
    levels = [f"GREATEST({', '.join(f'k{n}' for n in range(n_lines))}) AS t1"]
    for r in range(2, MAX_REASONS + 1):
        below = ", ".join(f"CASE WHEN k{n} < t{r - 1} THEN k{n} ELSE 0 END" for n in range(n_lines))
        levels.append(f"GREATEST({below}) AS t{r}")
    slots = "[" + ", ".join(str(line.slot) for line in p.lines) + "]"
    live = "[" + ", ".join(str(line.live_days) for line in p.lines) + "]"

    def reason(r: int) -> str:
        # The lambda reads only plain columns: a captured expression is evaluated per element.
        return f"""{{
               'scorecard': $2[rk{r} + 1], 'line': $3[rk{r} + 1],
               'milli_points': CAST(t{r} // {n_lines} AS BIGINT),
               'record_ids': list_sort(list_transform(list_filter(xs, lambda x:
                   {pack.slot("x")} = sl{r} AND {pack.age("x")} < lv{r}),
                   lambda x: {pack.record_text("x")}))
           }}"""

    picks = ", ".join(
        f"CAST({n_lines - 1} - t{r} % {n_lines} AS INTEGER) AS rk{r}"
        for r in range(1, MAX_REASONS + 1)
    )
    per_rank = ", ".join(
        f"{slots}[rk{r} + 1] AS sl{r}, {live}[rk{r} + 1] AS lv{r}"
        for r in range(1, MAX_REASONS + 1)
    )
    reasons = ", ".join(reason(r) for r in range(1, MAX_REASONS + 1))
    positive = " + ".join(f"CAST(t{r} > 0 AS INTEGER)" for r in range(1, MAX_REASONS + 1))
    names = ", ".join(f"m{line.rank}" for line in p.lines)
    nested = f"SELECT subject, xs, {names}, {keys} FROM {sums}"
    for level in [*levels, picks, per_rank]:
        nested = f"SELECT *, {level} FROM ({nested})"
    return f"""
    SELECT subject, score, $1[{_tier_index(rules, "score")}] AS tier, context_scores,
           list_slice([{reasons}], 1, {positive}) AS reasons
    FROM (
        SELECT *, {clamp(total)} AS score, [{cards}] AS context_scores FROM ({nested})
    )"""
