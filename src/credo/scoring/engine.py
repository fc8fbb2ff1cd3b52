"""Score one subject: a pure function of (rules, records, as-of time).

All arithmetic is in integers, in thousandths of a point ("milli-points"), so the SQL batch
path in ``batch.py`` reproduces every score bit for bit. The rules of the arithmetic, stated
once here and implemented identically there:

* A record counts only if it is not frozen (disputed), ``effective_at <= as_of``, and its
  ``(category, type)`` matches a line. A record may match lines of several scorecards.
* Cap: for a capped line, records fall in buckets ``effective_at // (period_days * 86400)``
  (floor division). Within a bucket, ordered by ``(effective_at, record_id)``, only the first
  ``max_points // points`` records count; the cap is on undecayed points, so it never depends
  on ``as_of`` beyond which records exist yet.
* Decay: a counted record contributes ``(points * 1000) >> (age_days // half_life_days)``
  with ``age_days = (as_of - effective_at) // 86400``: halved once per whole half-life.
* Score ``clamp(base + total_milli // 1000, min, max)``; a scorecard's context score is the
  same over that scorecard's lines only. Nothing subtracts, so no score is below the base.
* Reasons: lines with a positive contribution, ranked by ``(-milli_points, line id,
  scorecard id)``, at most four, each with how many records contributed. The sorted ids of
  those records are resolved on demand by ``reason_record_ids`` from the same records, rules
  and as-of time, so a batch score (which never gathers ids) explains itself exactly as a
  per-person one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from credo.errors import InputError
from credo.scoring.model import Reason, Score, ScoringRecord
from credo.scoring.rules import Line, RulesDocument

__all__ = [
    "MAX_REASONS",
    "benefit_eligible",
    "line_contribution",
    "reason_record_ids",
    "score_subject",
]

MAX_REASONS = 4
DAY = 86_400
# (points * 1000) < 2**63, so shifting by 63 or more always gives 0; cap the shift there so
# Python and SQL (whose shift of >= 64 bits is not something to rely on) agree.
_MAX_SHIFT = 63


def line_contribution(
    line: Line, records: list[ScoringRecord], as_of: int
) -> tuple[int, list[str]]:
    """Milli-points a line earns from its eligible records, and the ids that earned them."""
    counted: Iterable[ScoringRecord] = records
    if line.cap is not None:
        keep = line.cap.max_points // line.points
        period = line.cap.period_days * DAY
        buckets: dict[int, list[ScoringRecord]] = defaultdict(list)
        for record in records:
            buckets[record.effective_at // period].append(record)
        counted = [
            record
            for bucket in buckets.values()
            for record in sorted(bucket, key=lambda r: (r.effective_at, r.record_id))[:keep]
        ]
    milli = line.points * 1000
    half_life = line.half_life_days
    total = 0
    ids: list[str] = []
    for record in counted:
        shift = min(((as_of - record.effective_at) // DAY) // half_life, _MAX_SHIFT)
        earned = milli >> shift
        if earned > 0:
            total += earned
            ids.append(record.record_id)
    ids.sort()
    return total, ids


def score_subject(
    rules: RulesDocument, rules_hash: str, records: Iterable[ScoringRecord], as_of: int
) -> Score:
    """The subject's score, tier, context scores and top reasons at ``as_of``."""
    index = rules.lines_by_kind
    matched: dict[tuple[int, int], list[ScoringRecord]] = defaultdict(list)
    for record in records:
        if record.frozen or record.effective_at > as_of:
            continue
        for key in index.get((record.category, record.type), ()):
            matched[key].append(record)

    card_milli = [0] * len(rules.scorecards)
    candidates: list[tuple[int, str, str, list[str]]] = []
    for (c, n), recs in matched.items():
        card = rules.scorecards[c]
        line = card.lines[n]
        milli, ids = line_contribution(line, recs, as_of)
        if milli > 0:
            card_milli[c] += milli
            candidates.append((milli, line.id, card.id, ids))

    rng = rules.score
    score = _clamp(rng.base + sum(card_milli) // 1000, rng.min, rng.max)
    contexts = {
        card.id: _clamp(rng.base + card_milli[c] // 1000, rng.min, rng.max)
        for c, card in enumerate(rules.scorecards)
    }
    candidates.sort(key=lambda cand: (-cand[0], cand[1], cand[2]))
    reasons = tuple(
        Reason(
            rank=rank,
            scorecard=card_id,
            line=line_id,
            milli_points=milli,
            record_count=len(ids),
            text_key=f"reason.{card_id}.{line_id}",
        )
        for rank, (milli, line_id, card_id, ids) in enumerate(candidates[:MAX_REASONS], start=1)
    )
    return Score(
        rules_hash=rules_hash,
        as_of=as_of,
        score=score,
        tier=rules.tier_for(score),
        context_scores=contexts,
        reasons=reasons,
    )


def reason_record_ids(
    rules: RulesDocument, score: Score, records: Iterable[ScoringRecord]
) -> tuple[tuple[str, ...], ...]:
    """The sorted ids of the records behind each of ``score``'s reasons, in reason order.

    ``rules`` must be the document ``score`` was computed under and ``records`` the subject's
    scoring records; the ids are exactly those ``score_subject`` counted at ``score.as_of``.
    Raises ``InputError`` when a reason names a line these rules lack, or when the records no
    longer give the reason's count (they changed since the score was computed: rescore first).
    """
    lines = {(card.id, line.id): line for card in rules.scorecards for line in card.lines}
    wanted: dict[tuple[str, str], list[ScoringRecord]] = {}
    for reason in score.reasons:
        key = (reason.scorecard, reason.line)
        if key not in lines:
            raise InputError(
                f"reason {reason.text_key!r} names no line of these rules; "
                "was the score computed under different rules?",
                code="rules_mismatch",
            )
        wanted[key] = []
    by_kind: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for key in wanted:
        line = lines[key]
        by_kind[(line.category, line.type)].append(key)
    for record in records:
        if record.frozen or record.effective_at > score.as_of:
            continue
        for key in by_kind.get((record.category, record.type), ()):
            wanted[key].append(record)
    out = []
    for reason in score.reasons:
        key = (reason.scorecard, reason.line)
        milli, ids = line_contribution(lines[key], wanted[key], score.as_of)
        if milli != reason.milli_points or len(ids) != reason.record_count:
            raise InputError(
                f"the records behind reason {reason.text_key!r} changed since the score was "
                "computed; rescore the person first",
                code="stale_score",
            )
        out.append(tuple(ids))
    return tuple(out)


def benefit_eligible(rules: RulesDocument, score: Score, benefit_id: str) -> bool:
    """Whether a score earns a benefit, judged on the benefit's own scorecard only.

    The overall score is deliberately ignored: a bike rental's deposit waiver may not look at
    library records (DESIGN "The credit programme": rewards only, and in context).
    """
    for benefit in rules.benefits:
        if benefit.id == benefit_id:
            if benefit.scorecard not in score.context_scores:
                raise InputError(
                    f"score has no context score for scorecard {benefit.scorecard!r}; "
                    "was it computed under different rules?"
                )
            return score.context_scores[benefit.scorecard] >= rules.tier_min(benefit.min_tier)
    raise InputError(f"no benefit {benefit_id!r} in these rules")


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
