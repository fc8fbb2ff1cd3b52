"""The values scoring takes in and gives out.

``ScoringRecord`` is all the scoring layer ever learns about a record: no payload, no member,
no person, only what a rule line can match on. The ledger layer builds these; keeping the type
here means scoring never imports the ledger (arrows point down only, DESIGN "The layers").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Reason", "Score", "ScoringRecord"]


@dataclass(frozen=True, slots=True)
class ScoringRecord:
    """One record as scoring sees it.

    ``effective_at`` is unix seconds UTC. ``frozen`` marks a disputed record: it is not scored
    until the submitting member answers (DESIGN "The credit programme").
    """

    record_id: str
    category: str
    type: str
    effective_at: int
    frozen: bool = False


@dataclass(frozen=True, slots=True)
class Reason:
    """One principal reason behind a score: a rule line, its points and how many records
    earned them.

    ``milli_points`` is the line's decayed contribution in thousandths of a point, the unit all
    scoring arithmetic is done in; ``points`` is the whole points shown to people.
    ``record_count`` is how many records contributed; which ones is resolved per person when
    someone asks (``credo.scoring.engine.reason_record_ids``), never stored with the score.
    ``text_key`` is a message id the portal translates (``reason.<scorecard>.<line>``).
    """

    rank: int
    scorecard: str
    line: str
    milli_points: int
    record_count: int
    text_key: str

    @property
    def points(self) -> int:
        return self.milli_points // 1000

    def as_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "scorecard": self.scorecard,
            "line": self.line,
            "points": self.points,
            "milli_points": self.milli_points,
            "record_count": self.record_count,
            "text_key": self.text_key,
        }


@dataclass(frozen=True, slots=True)
class Score:
    """A subject's score under one rules document at one instant, with its reasons.

    ``context_scores`` maps every scorecard id, in rules order, to that scorecard's own score;
    benefits look only at these. ``reasons`` holds at most four, best first.
    """

    rules_hash: str
    as_of: int
    score: int
    tier: str
    context_scores: dict[str, int] = field(default_factory=dict)
    reasons: tuple[Reason, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "rules_hash": self.rules_hash,
            "as_of": self.as_of,
            "score": self.score,
            "tier": self.tier,
            "context_scores": dict(self.context_scores),
            "reasons": [reason.as_dict() for reason in self.reasons],
        }

    def to_json(self) -> str:
        """Compact JSON in a fixed key order, so equal scores serialise to equal bytes."""
        return json.dumps(self.as_dict(), separators=(",", ":"), ensure_ascii=False)
