"""The SQL text of batch rescoring, generated from a rules document.

It restates engine.py's integer arithmetic in DuckDB SQL so that ``score_batch`` and
``score_subject`` agree bit for bit (the property test in tests/scoring/test_batch.py holds
them to it). Only integers computed here from validated rules and from the data's own
min/max reach the text; rule strings travel as bound parameters.

The shape is chosen for DuckDB's cost model, measured in bench/bench_scoring.py:

* One GROUP BY subject whose aggregates are a few ``sum`` over BIGINT words: each line's
  decayed milli-points and its count of live records sit in bit lanes of those words
  (``Lanes``). Every further aggregate state costs about as much as a bare group-by, so the
  state is as small as ranking reasons allows; no record id survives the aggregate.
* Lanes are exact while a subject has fewer than 2**COUNT_BITS relevant records and no cap
  can bite; a guard lane and the live counts find the subjects where that fails, and only
  those are rescored through engine.py's exact cap window (``exact_sql``).
* Ranking and scores are then per subject, on plain columns (``final_sql``).
"""

# S608: SQL here is built from quote()d identifiers and integers derived from validated
# rules or the data; every string from a rules document or caller is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from credo.scoring.engine import DAY, MAX_REASONS
from credo.scoring.rules import RulesDocument

__all__ = [
    "COUNT_BITS",
    "FLAG_BITS",
    "Lane",
    "Lanes",
    "Plan",
    "exact_sql",
    "final_sql",
    "flag_limit",
    "kind_codes",
    "lanes",
    "output_columns",
    "plan",
    "quote",
    "reason_of",
    "suspect_sql",
    "unpacked_sql",
    "words_sql",
]


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
    slot: int  # the row key that selects this line's records
    milli: int
    half_life_days: int
    cap_n: int | None
    period_secs: int | None


@dataclass(frozen=True, slots=True)
class Plan:
    """Rules restated as integers for SQL. ``one_to_one``: every kind feeds exactly one
    line, so a row's slot is the record's kind code and no join is needed; otherwise a
    record becomes one row per line it feeds, its slot the line's rank."""

    lines: tuple[_Line, ...]  # in rank order
    n_kinds: int
    one_to_one: bool
    as_of: int

    @property
    def slots(self) -> int:
        return self.n_kinds if self.one_to_one else len(self.lines)

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


# A subject's lanes are exact while it has fewer than 2**COUNT_BITS relevant records (live or
# flagged, below); the guard lane counts them, and the subjects with more take the exact path.
COUNT_BITS = 4
_WORD_BITS = 63  # one row's value in a word is a non-negative BIGINT


@dataclass(frozen=True, slots=True)
class Lane:
    word: int
    offset: int
    bits: int

    def read(self) -> str:
        """The lane's value from the BIGINT word columns ``b<j>`` (`unpacked_sql`)."""
        return f"((b{self.word} >> {self.offset}) & {(1 << self.bits) - 1})"

    def points(self) -> str:
        """A line lane's milli-points: the bits above its record count."""
        return Lane(self.word, self.offset + COUNT_BITS, self.bits - COUNT_BITS).read()

    def count(self) -> str:
        """A line lane's live-record count: its low COUNT_BITS bits."""
        return Lane(self.word, self.offset, COUNT_BITS).read()


FLAG_BITS = 4
"""Width of the lane counting a subject's flagged records (below), just under the guard."""


@dataclass(frozen=True, slots=True)
class Lanes:
    """Where each line's points and live-record count sit in a few summed BIGINT words.

    Each line has one lane: its live-record count in the low COUNT_BITS bits and its decayed
    milli-points above them, wide enough for 2**COUNT_BITS - 1 undecayed records. A row that
    earns adds ``(earned * 2**COUNT_BITS + 1) << offset`` to its line's word: one sum serves
    both. An eligible record on a capped line that earns nothing yet may share a cap bucket
    with one that does is *flagged* (`flag_limit`). Every relevant row, live or flagged, adds
    one to the guard lane, the top of its word; a flagged one also adds one to the
    ``flagged`` lane, FLAG_BITS wide, just under the guard. ``sum`` over BIGINT is a HUGEINT,
    so the guard never overflows; while it is below ``2**COUNT_BITS`` no line has more records
    than its lane holds and no lane carries into another. `suspect_sql` says when the lanes
    may be wrong.
    """

    lines: tuple[Lane, ...]  # by line rank
    flagged: Lane
    guard: Lane
    n_words: int


def _pack(sizes: list[int], budget: int = 20_000) -> list[int]:
    """A word for each item, all words at most _WORD_BITS full, in as few words as can be
    found: first-fit decreasing, then, if that is above the lower bound, a depth-first
    search for the bound (``budget`` steps at most; the default rules' lanes fill three
    words to within four bits, which first-fit decreasing misses)."""
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i])
    best: list[int] = [0] * len(sizes)
    used: list[int] = []
    for i in order:
        word = next((j for j, u in enumerate(used) if u + sizes[i] <= _WORD_BITS), len(used))
        if word == len(used):
            used.append(0)
        used[word] += sizes[i]
        best[i] = word
    bound = -(-sum(sizes) // _WORD_BITS)
    if len(used) == bound:
        return best
    fill, where, steps = [0] * bound, [0] * len(sizes), [budget]

    def place(n: int) -> bool:
        if n == len(order):
            return True
        i, tried = order[n], set()
        for word in range(bound):
            if fill[word] in tried or fill[word] + sizes[i] > _WORD_BITS or steps[0] <= 0:
                continue
            tried.add(fill[word])  # words as full as one tried already are the same choice
            steps[0] -= 1
            fill[word] += sizes[i]
            where[i] = word
            if place(n + 1):
                return True
            fill[word] -= sizes[i]
        return False

    return where if place(0) else best


def lanes(p: Plan) -> Lanes:
    """Every line's lane, and the flagged and guard lanes packed as one item of
    FLAG_BITS + 1 bits at the top of its word (the guard's sum grows past bit 63 there)."""
    most = (1 << COUNT_BITS) - 1
    sizes = [COUNT_BITS + (most * line.milli).bit_length() for line in p.lines]
    words = _pack([*sizes, FLAG_BITS + 1])
    top = words.pop()
    filled = [0] * (max([top, *words]) + 1)
    placed = []
    for bits, word in zip(sizes, words, strict=True):
        placed.append(Lane(word, filled[word], bits))
        filled[word] += bits
    flagged = Lane(top, filled[top], FLAG_BITS)  # on top of the lines in its word
    return Lanes(
        lines=tuple(placed),
        flagged=flagged,
        guard=Lane(top, flagged.offset + FLAG_BITS, 64),
        n_words=len(filled),
    )


_NO_SHIFT = 1 << 62
"""The decay shift of a row that is not ``ok``: above every flag limit and every age in days
(BIGINT seconds), and ``>>`` by it gives 0."""


def flag_limit(line: _Line) -> int:
    """The decay shift below which a record on ``line`` that earns nothing is flagged: 0 for
    an uncapped line.

    A record earns nothing from ``age // half_life == milli.bit_length()`` on, and can share
    a cap bucket with one that earns while its age is below ``half_life * bit_length +
    period_days``; every such age has a shift below ``bit_length + ceil(period_days /
    half_life)``, so the flag takes in at most one half-life more, which can only add
    suspects. Comparing the shift, a small number, rather than the age lets the limits of
    every line be packed into one constant (`_slot_value`): the age's limits needed a
    BIGINT[] lookup, 0.9 s of CPU per 100M records in bench/bench_scoring.py."""
    if line.period_secs is None:
        return 0
    half_lives = -(-(line.period_secs // DAY) // line.half_life_days)
    return min(line.milli.bit_length() + half_lives, _NO_SHIFT)


def _eligible_rows(p: Plan, source: str, where: str) -> str:
    """(subject, record_id, slot, effective_at, ok) from the records of one chunk.

    ``ok`` is false or NULL for records that are frozen, in the future or match no line: they
    still form their subject's group, so the subject gets a score (the base). ``slot`` is -1
    for a record that matches no line, so every read of it (``_slot_value``) stays in range."""
    at = p.as_of
    if p.one_to_one:
        return f"""
        SELECT s.subject, s.record_id,
               CASE WHEN s.kind >= 0 AND s.kind < {p.n_kinds} THEN s.kind ELSE -1 END AS slot,
               s.effective_at,
               s.kind >= 0 AND s.kind < {p.n_kinds} AND NOT s.frozen
               AND s.effective_at <= {at} AS ok
        FROM {source} AS s WHERE {where}"""
    values = ", ".join(f"({line.kind}, {line.slot})" for line in p.lines)
    return f"""
        SELECT s.subject, s.record_id, COALESCE(l.slot, -1) AS slot, s.effective_at,
               l.slot IS NOT NULL AND NOT s.frozen AND s.effective_at <= {at} AS ok
        FROM {source} AS s LEFT JOIN (VALUES {values}) AS l(kind, slot) ON s.kind = l.kind
        WHERE {where}"""


def _by_slot(p: Plan, value: Callable[[_Line], int]) -> str:
    """A BIGINT[] literal indexed by slot + 1 (every slot feeds exactly one line)."""
    by_slot = p.by_slot()
    return "CAST([" + ", ".join(str(value(by_slot[s])) for s in range(p.slots)) + "] AS BIGINT[])"


def _slot_value(p: Plan, value: Callable[[_Line], int]) -> str:
    """``value`` of the row's line, as an expression of column ``slot``; 0 for a slot that
    feeds no line.

    Small values are packed into one BIGINT constant and read with a shift and a mask:
    in bench/bench_scoring.py's 100M records one such read costs 0.06 s, a BIGINT[] literal
    lookup (``_by_slot``) 0.36 s. Values too wide to pack fall back to the lookup."""
    by_slot = p.by_slot()
    values = [value(by_slot[s]) for s in range(p.slots)]
    width = max(1, max(values, default=0).bit_length())
    if min(values, default=0) < 0 or width * p.slots > _WORD_BITS:
        return f"COALESCE({_by_slot(p, value)}[slot + 1], 0)"
    packed = sum(v << (width * s) for s, v in enumerate(values))
    # A slot at or past p.slots shifts the constant by >= 64 bits or onto its zero top bits,
    # and a negative slot by a negative count: DuckDB's >> gives 0 for both.
    return f"(({packed} >> (slot * {width})) & {(1 << width) - 1})"


def _earned_rows(p: Plan, rows: str) -> str:
    """(subject, slot, shift, earned) from eligible rows: ``earned`` is engine.py's decayed
    milli-points, 0 for a record that is not ``ok``, whose ``shift`` is _NO_SHIFT. A shift of
    64 or more gives 0 in DuckDB as in Python, so the shift needs no bound (``LEAST`` cost
    0.43 s per 100M records)."""
    milli = _by_slot(p, lambda line: line.milli)
    half = _by_slot(p, lambda line: line.half_life_days)
    return f"""
        SELECT subject, slot, shift,
               CASE WHEN ok THEN {milli}[slot + 1] >> shift ELSE 0 END AS earned
        FROM (SELECT subject, slot, ok,
                     CASE WHEN ok THEN ({p.as_of} - effective_at) // {DAY} // {half}[slot + 1]
                          ELSE {_NO_SHIFT} END AS shift
              FROM ({rows}))"""


def words_sql(p: Plan, ln: Lanes, source: str, where: str) -> str:
    """Per subject of the chunk, the summed words ``w<j>`` holding every lane (``Lanes``).

    No per-record state survives the aggregate: reasons are ranked from the per-line sums and
    counts alone, and the records behind them are resolved per person on demand."""
    lane = f"((earned * {1 << COUNT_BITS} + CAST(earned > 0 AS BIGINT)) << lane_at)"
    guard, flagged = 1 << ln.guard.offset, 1 << ln.flagged.offset
    sums = []
    for j in range(ln.n_words):
        term = lane if ln.n_words == 1 else f"CASE WHEN lane_word = {j} THEN {lane} ELSE 0 END"
        if ln.guard.word == j:
            term += (
                f" + CASE WHEN earned > 0 THEN CAST({guard} AS BIGINT) "
                f"WHEN shift < flag_limit THEN CAST({guard + flagged} AS BIGINT) ELSE 0 END"
            )
        sums.append(f"sum({term}) AS w{j}")
    rows = _earned_rows(p, _eligible_rows(p, source, where))
    return f"""
    SELECT subject, {", ".join(sums)} FROM (
        SELECT subject, earned, shift,
               {_slot_value(p, lambda line: ln.lines[line.rank].word)} AS lane_word,
               {_slot_value(p, lambda line: ln.lines[line.rank].offset)} AS lane_at,
               {_slot_value(p, flag_limit)} AS flag_limit
        FROM ({rows})
    ) GROUP BY subject"""


def suspect_sql(p: Plan) -> str:
    """A condition on `unpacked_sql`'s columns: true where the lanes may not hold engine.py's
    result, so the subject is rescored exactly.

    * 2**COUNT_BITS relevant records or more (``guard``): a lane could overflow. Below that,
      every lane is exact, the flagged count too.
    * A capped line whose live records and flagged records (all of the subject's, at worst
      on this line) are more than the cap keeps: a bucket might hold more. Otherwise no
      bucket exceeds its cap (a bucket with a live record holds only live and flagged ones,
      since a bucket spans less than ``period_days``), and the uncapped sums are the capped
      ones. A cap of 2**COUNT_BITS - 1 or more cannot bite below the guard, which counts
      the live and the flagged records."""
    most = (1 << COUNT_BITS) - 1
    parts = [f"guard >= {1 << COUNT_BITS}"]
    parts += [
        f"c{line.rank} + flagged > {line.cap_n}"
        for line in p.lines
        if line.cap_n is not None and line.cap_n < most
    ]
    return "(" + " OR ".join(parts) + ")"


def unpacked_sql(p: Plan, ln: Lanes, words: str) -> str:
    """(subject, m<rank>, c<rank>, exact) from the query ``words`` (``words_sql``): each
    line's milli-points and live-record count read from the lanes, and ``exact`` false, or
    NULL for a suspect subject, whose row is a placeholder to be replaced by the exact path.

    The HUGEINT words are cut to BIGINT once (``b<j>``, and ``guard`` from the top of its
    word), and the lanes (``flagged`` too, for `suspect_sql`) are read from those: 0.12 s
    less for 10M people than reading every lane from the HUGEINTs. Only a suspect's words can
    reach bit 63, and its row is replaced."""
    low = (1 << _WORD_BITS) - 1
    guard = f"CAST(w{ln.guard.word} >> {ln.guard.offset} AS BIGINT) AS guard"
    cut = ", ".join([*(f"CAST(w{j} & {low} AS BIGINT) AS b{j}" for j in range(ln.n_words)), guard])
    cols = [f"{ln.lines[line.rank].points()} AS m{line.rank}" for line in p.lines]
    cols += [f"{ln.lines[line.rank].count()} AS c{line.rank}" for line in p.lines]
    read = f"SELECT subject, {', '.join(cols)}, guard, {ln.flagged.read()} AS flagged"
    flag = f"CASE WHEN {suspect_sql(p)} THEN NULL ELSE false END AS exact"
    return (
        f"SELECT * EXCLUDE (guard, flagged), {flag} "
        f"FROM ({read} FROM (SELECT subject, {cut} FROM ({words})))"
    )


def exact_sql(p: Plan, source: str, where: str, suspects: str) -> str:
    """(subject, m<rank>, c<rank>, exact = true) for the ``suspects`` subjects with engine.py's
    exact cap: per (subject, line, bucket), only the first cap_n records by (effective_at,
    record id as text). Every suspect gets a row, even one with no eligible record."""
    cap_n = _by_slot(p, lambda line: -1 if line.cap_n is None else line.cap_n)
    period = _by_slot(p, lambda line: line.period_secs or 1)
    rows = _eligible_rows(p, source, f"{where} AND s.subject IN (SELECT subject FROM {suspects})")
    kept = f"""
        SELECT * FROM (
            SELECT subject, record_id, slot, effective_at, ok, cap_n,
                   CASE WHEN cap_n < 0 THEN 1 ELSE row_number() OVER (
                       PARTITION BY subject, slot,
                           CASE WHEN effective_at >= 0 THEN effective_at // period
                                ELSE -((-effective_at - 1) // period) - 1 END
                       ORDER BY effective_at, CAST(record_id AS VARCHAR)) END AS rn
            FROM (SELECT *, {cap_n}[slot + 1] AS cap_n, {period}[slot + 1] AS period
                  FROM ({rows}) WHERE ok)
        ) WHERE cap_n < 0 OR rn <= cap_n"""
    per_line = []
    for line in p.lines:
        hit = f"slot = {line.slot}"
        per_line.append(f"CAST(COALESCE(sum(earned) FILTER ({hit}), 0) AS BIGINT) AS m{line.rank}")
        per_line.append(f"count(*) FILTER ({hit} AND earned > 0) AS c{line.rank}")
    names = [f"m{line.rank}" for line in p.lines] + [f"c{line.rank}" for line in p.lines]
    picked = ", ".join(f"CAST(COALESCE(e.{name}, 0) AS BIGINT) AS {name}" for name in names)
    return f"""
    SELECT s.subject, {picked}, true AS exact
    FROM {suspects} AS s LEFT JOIN (
        SELECT subject, {", ".join(per_line)} FROM ({_earned_rows(p, kept)})
        GROUP BY subject
    ) AS e ON s.subject = e.subject"""


def _top_keys(keys: list[str], carry: list[str]) -> list[str]:
    """SELECT levels (innermost first) that leave the four largest of the distinct,
    non-negative ``keys`` columns in t1 > t2 > t3 > t4 (-1 where there are fewer), passing
    ``carry`` columns along: an insertion into a sorted four, one key a level, each a CASE.
    In bench/bench_scoring.py this ranked 10M people in 1.33 s where a chain of four
    GREATEST over all keys, each dropping the keys taken (a product or a CASE a key) took
    1.5 s; DuckDB's n-ary GREATEST costs about three CASEs, list_sort 2.5 times as much."""

    def kept(later: list[str]) -> str:
        return ", ".join([*carry, *later])

    first, *rest = keys
    levels = [f"SELECT {kept(rest)}, {first} AS t1, -1 AS t2, -1 AS t3, -1 AS t4"]
    for n, x in enumerate(rest, start=1):
        levels.append(
            f"SELECT {kept(rest[n:])}, CASE WHEN {x} > t1 THEN {x} ELSE t1 END AS t1, "
            f"CASE WHEN {x} > t1 THEN t1 WHEN {x} > t2 THEN {x} ELSE t2 END AS t2, "
            f"CASE WHEN {x} > t2 THEN t2 WHEN {x} > t3 THEN {x} ELSE t3 END AS t3, "
            f"CASE WHEN {x} > t3 THEN t3 WHEN {x} > t4 THEN {x} ELSE t4 END AS t4"
        )
    return levels


def final_sql(rules: RulesDocument, p: Plan, per_line: str, *, small_counts: bool = False) -> str:
    """Score, context scores and ranked reasons from (subject, m<rank>, c<rank>, exact) rows,
    as flat integer columns (``output_columns``): ``exact`` (whether the subject took the
    exact path) is passed through; the tier and names are attached when rows are read.

    Lines are ranked on one integer key, milli * L + (L - 1 - rank): more points first, then
    the smaller rank, which is the (line id, scorecard id) order (`_top_keys`). Reason i is
    that key, ``reason<i>`` (NULL when there are fewer reasons, and every line with points
    ranks above every line without), and its record count ``count<i>``. With
    ``small_counts`` (every count below 2**COUNT_BITS, as the lanes guarantee) the count
    rides in the ranking key's low bits, below the order, and is split off at the end;
    otherwise it is picked from a list of the c<rank> by the reason's line.
    """
    rng = rules.score
    n_lines = len(p.lines)
    unit = 1 << COUNT_BITS if small_counts else 1  # the count's room in a ranking key
    step = n_lines * unit  # one milli-point in a ranking key

    # Vetted rules grant only positive points from a base inside the range, so no score can
    # fall below the range's floor and the GREATEST (0.04 s for each of the five clamps of
    # 10M people) is left out; an unvetted document keeps it.
    floor_needed = rng.base < rng.min or any(line.milli <= 0 for line in p.lines)

    def clamp(milli: str) -> str:
        raised = f"{rng.base} + (({milli}) // 1000)"
        if floor_needed:
            raised = f"GREATEST({raised}, {rng.min})"
        return f"CAST(LEAST({raised}, {rng.max}) AS INTEGER)"

    n_cards = len(rules.scorecards)
    card_sums = [
        " + ".join(f"m{line.rank}" for line in p.lines if line.card_no == c) or "0"
        for c in range(n_cards)
    ]
    # Every line is on one scorecard, so the total is the sum of the scorecards' sums.
    scores = [clamp(" + ".join(f"g{c}" for c in range(n_cards))) + " AS score"]
    scores += [f"{clamp(f'g{c}')} AS s{c}" for c in range(n_cards)]
    keys = [
        f"m{n} * {step} + "
        + (f"(c{n} + {(n_lines - 1 - n) * unit})" if small_counts else f"{n_lines - 1 - n}")
        for n in range(n_lines)
    ]
    carry = ["subject", "exact", *(f"g{c}" for c in range(n_cards))]
    base = [*(f"{s} AS g{c}" for c, s in enumerate(card_sums))]
    base += [f"{k} AS k{n}" for n, k in enumerate(keys)]
    if not small_counts:
        carry.append("counts")
        base.append("[" + ", ".join(f"c{n}" for n in range(n_lines)) + "] AS counts")
    nested = f"SELECT *, {', '.join(base)} FROM ({per_line})"
    for level in _top_keys([f"k{n}" for n in range(n_lines)], carry):
        nested = f"{level} FROM ({nested})"
    reasons = []
    for r in range(1, MAX_REASONS + 1):
        if small_counts:
            key, count = f"t{r} // {unit}", f"t{r} % {unit}"
        else:
            key, count = f"t{r}", f"counts[{n_lines} - t{r} % {n_lines}]"
        reasons.append(f"CASE WHEN t{r} >= {step} THEN {key} END AS reason{r}")
        reasons.append(f"CASE WHEN t{r} >= {step} THEN {count} END AS count{r}")
    return f"SELECT subject, {', '.join(scores)}, {', '.join(reasons)}, exact FROM ({nested})"


def reason_of(key: int, n_lines: int) -> tuple[int, int]:
    """(line rank, milli-points) of a ``reason<i>`` key written by ``final_sql``."""
    milli, place = divmod(key, n_lines)
    return n_lines - 1 - place, milli


def output_columns(rules: RulesDocument, subject_type: str) -> str:
    """The column list of a batch's output table (see ``final_sql``)."""
    cols = [f"subject {subject_type}", "score INTEGER"]
    cols += [f"s{c} INTEGER" for c in range(len(rules.scorecards))]
    for r in range(1, MAX_REASONS + 1):
        cols += [f"reason{r} BIGINT", f"count{r} BIGINT"]
    return ", ".join([*cols, "exact BOOLEAN"])
