"""credo.scoring: the credit programme's pure scoring layer.

Rules documents in, scores with ranked reasons out; one subject at a time (``score_subject``)
or every subject at once in DuckDB (``score_batch``), with identical results. No HTTP, no
ledger storage, no log: the ledger layer hands in ``ScoringRecord`` values or a records table.
"""

from credo.scoring.batch import iter_scores, kind_codes, score_batch
from credo.scoring.engine import MAX_REASONS, benefit_eligible, reason_record_ids, score_subject
from credo.scoring.model import Reason, Score, ScoringRecord
from credo.scoring.rules import (
    DEFAULT_RULES,
    DEFAULT_RULES_BYTES,
    DEFAULT_RULES_HASH,
    SPECIAL_CATEGORIES,
    Benefit,
    Cap,
    Line,
    RulesDocument,
    Scorecard,
    ScoreRange,
    Tier,
    load_rules,
    rules_hash,
    rules_schema,
)

__all__ = [
    "DEFAULT_RULES",
    "DEFAULT_RULES_BYTES",
    "DEFAULT_RULES_HASH",
    "MAX_REASONS",
    "SPECIAL_CATEGORIES",
    "Benefit",
    "Cap",
    "Line",
    "Reason",
    "RulesDocument",
    "Score",
    "ScoreRange",
    "Scorecard",
    "ScoringRecord",
    "Tier",
    "benefit_eligible",
    "iter_scores",
    "kind_codes",
    "load_rules",
    "reason_record_ids",
    "rules_hash",
    "rules_schema",
    "score_batch",
    "score_subject",
]
