"""score_subject: decay, caps, frozen records, reasons and benefits, on hand-checked cases."""

from __future__ import annotations

import json

from credo.scoring import (
    DEFAULT_RULES,
    DEFAULT_RULES_HASH,
    ScoringRecord,
    benefit_eligible,
    reason_record_ids,
    score_subject,
)

DAY = 86_400
AS_OF = 1_767_225_600


def _rec(rid: str, category: str, kind: str, days_ago: int, frozen: bool = False) -> ScoringRecord:
    return ScoringRecord(rid, category, kind, AS_OF - days_ago * DAY, frozen)


def test_no_records_scores_the_base_in_the_first_tier() -> None:
    score = score_subject(DEFAULT_RULES, DEFAULT_RULES_HASH, [], AS_OF)
    assert score.score == 300
    assert score.tier == "member"
    assert set(score.context_scores.values()) == {300}
    assert score.reasons == ()


def test_decay_halves_per_whole_half_life() -> None:
    fresh = [_rec("a", "finance", "loan.repaid", 0)]
    old = [_rec("a", "finance", "loan.repaid", 730)]  # one half-life: 12 -> 6
    assert score_subject(DEFAULT_RULES, "h", fresh, AS_OF).score == 312
    aged = score_subject(DEFAULT_RULES, "h", old, AS_OF)
    assert aged.score == 306
    assert aged.reasons[0].milli_points == 6000


def test_frozen_and_future_records_are_excluded() -> None:
    records = [
        _rec("a", "finance", "loan.repaid", 10, frozen=True),
        _rec("b", "finance", "loan.repaid", -1),
        _rec("c", "mobility", "ride.completed", 1),
    ]
    score = score_subject(DEFAULT_RULES, "h", records, AS_OF)
    assert score.score == 301
    assert [r.record_count for r in score.reasons] == [1]
    assert reason_record_ids(DEFAULT_RULES, score, records) == (("c",),)


def test_cap_counts_earliest_records_in_each_bucket() -> None:
    # library-returned: 1 point, cap 4 points per 30-day bucket.
    start = (AS_OF // (30 * DAY)) * 30 * DAY  # start of the current bucket
    records = [
        ScoringRecord(f"r{i}", "civic", "library.returned", start + i * 60) for i in range(6)
    ]
    score = score_subject(DEFAULT_RULES, "h", records, AS_OF)
    assert score.context_scores["civic"] == 304
    assert score.reasons[0].record_count == 4
    assert reason_record_ids(DEFAULT_RULES, score, records) == (("r0", "r1", "r2", "r3"),)


def test_reasons_at_most_four_ranked_by_points_then_line() -> None:
    records = [
        _rec("loan", "finance", "loan.repaid", 0),
        _rec("deg", "education", "degree.awarded", 0),
        _rec("vol", "civic", "volunteering.completed", 0),
        _rec("lib", "civic", "library.returned", 0),
        _rec("bike", "mobility", "bike.returned_on_time", 0),
        _rec("ride", "mobility", "ride.completed", 0),
        _rec("bill", "finance", "bill.paid_on_time", 0),
    ]
    score = score_subject(DEFAULT_RULES, "h", records, AS_OF)
    assert len(score.reasons) == 4
    assert [r.rank for r in score.reasons] == [1, 2, 3, 4]
    assert [r.line for r in score.reasons] == [
        "degree-awarded",
        "loan-repaid",
        "volunteering-completed",
        "bill-paid",
    ]
    # 1-point ties (bike, library, ride) lose to bill-paid's 2 points; all still count.
    assert score.score == 300 + 40 + 12 + 5 + 2 + 1 + 1 + 1


def test_equal_points_rank_by_line_id() -> None:
    records = [
        _rec("x", "mobility", "ride.completed", 0),
        _rec("y", "mobility", "bike.returned_on_time", 0),
    ]
    score = score_subject(DEFAULT_RULES, "h", records, AS_OF)
    assert [r.line for r in score.reasons] == ["bike-returned", "ride-completed"]


def test_benefit_uses_only_its_own_context() -> None:
    # Plenty of civic and learning points, no mobility: overall gold, bike benefit refused.
    records = [_rec(f"d{i}", "education", "degree.awarded", i * 400) for i in range(3)]
    records += [_rec(f"v{i}", "civic", "volunteering.completed", i * 31) for i in range(12)]
    score = score_subject(DEFAULT_RULES, "h", records, AS_OF)
    assert score.score >= 350
    assert not benefit_eligible(DEFAULT_RULES, score, "bike-deposit-free")
    assert benefit_eligible(DEFAULT_RULES, score, "shopping-discount")
    rides = [_rec(f"r{i}", "mobility", "ride.completed", i) for i in range(120)]
    riders = score_subject(DEFAULT_RULES, "h", rides, AS_OF)
    assert riders.context_scores["mobility"] >= 350
    assert benefit_eligible(DEFAULT_RULES, riders, "bike-deposit-free")


def test_to_json_is_stable() -> None:
    score = score_subject(DEFAULT_RULES, "h", [_rec("a", "civic", "library.returned", 0)], AS_OF)
    text = score.to_json()
    assert (
        text
        == score_subject(
            DEFAULT_RULES, "h", [_rec("a", "civic", "library.returned", 0)], AS_OF
        ).to_json()
    )
    assert list(json.loads(text)) == [
        "rules_hash",
        "as_of",
        "score",
        "tier",
        "context_scores",
        "reasons",
    ]
