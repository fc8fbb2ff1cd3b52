"""The credit programme on a live ledger: rules in force, a person's scoring inputs, rescoring
one person after each relevant entry, rescoring everyone in batch, and the explanation a
person sees. Scores are a cache of `score_subject`: nobody who has not enrolled is scored.

Scoring sees only what `ScoringRecord` carries: never a payload, never a special category
(`SPECIAL_CATEGORIES` are dropped here, before any rule could look at them).
"""

from __future__ import annotations

import csv
import functools
import json
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from credo.errors import InputError, NotFound
from credo.ledger.schema import rfc3339
from credo.scoring.batch import iter_scores, score_batch
from credo.scoring.engine import benefit_eligible, reason_record_ids, score_subject
from credo.scoring.model import Score, ScoringRecord
from credo.scoring.rules import SPECIAL_CATEGORIES, RulesDocument, load_rules
from credo.store import ScoreRow, Store

FROZEN = {"open"}
EXCLUDED = {"retracted", "expired"}  # resolved in the person's favour


def now() -> int:
    return int(time.time())


def to_seconds(stamp: str) -> int:
    """Unix seconds of an RFC 3339 UTC timestamp or a plain date (taken as midnight UTC)."""
    text = stamp.replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def rules_in_force(store: Store) -> tuple[RulesDocument, str]:
    row = store.current_rules()
    if row is None:
        raise NotFound("no rules document has been adopted yet", code="no_rules")
    return _parsed_rules(row.hash, row.document), row.hash


@functools.lru_cache(maxsize=8)
def _parsed_rules(digest: str, document: bytes) -> RulesDocument:
    """An adopted document never changes under its hash, so it is parsed and vetted once
    (about 0.6 ms), not on every rescoring, explanation or eligibility question."""
    del digest  # part of the cache key only
    return load_rules(document)


def scoring_records(store: Store, subject: str) -> list[ScoringRecord]:
    """What scoring may see of a person: active, non-special records; disputed ones frozen.

    A record whose effective date no calendar has (accepted before dates were checked at
    intake, say ``2026-02-30``) is not scored: it may never stop anyone's rescoring."""
    disputes: dict[str, str] = {}
    for d in store.disputes_of(subject):
        if d.status in FROZEN or d.status in EXCLUDED:
            disputes[d.record_id] = d.status
    out = []
    for r in store.records_of(subject):
        if r.status != "active" or r.category in SPECIAL_CATEGORIES:
            continue
        status = disputes.get(r.record_id)
        if status in EXCLUDED:
            continue
        try:
            effective = to_seconds(r.effective_at)
        except ValueError:
            continue
        out.append(ScoringRecord(r.record_id, r.category, r.type, effective, status in FROZEN))
    return out


def compute(store: Store, subject: str, as_of: int | None = None) -> Score:
    """The person's score now (or at ``as_of``); only for enrolled people."""
    if not store.is_enrolled(subject):
        raise NotFound("this person has not enrolled in the programme", code="not_enrolled")
    rules, digest = rules_in_force(store)
    return score_subject(rules, digest, scoring_records(store, subject), as_of or now())


def _row(subject: str, score: Score) -> ScoreRow:
    doc = json.dumps(score.as_dict(), sort_keys=True, separators=(",", ":"))
    return ScoreRow(subject, score.rules_hash, score.as_of, score.score, score.tier, doc)


def rescore(store: Store, subject: str, as_of: int | None = None) -> Score | None:
    """Recompute and store one person's score; None (and nothing stored) if not enrolled."""
    if not store.is_enrolled(subject) or store.current_rules() is None:
        return None
    score = compute(store, subject, as_of)
    with store.write(durable=False) as tx:  # a cache: `credo score --all` rebuilds it
        if tx.is_enrolled(subject):  # withdrawal may have raced us: never resurrect a score
            tx.put_score(_row(subject, score))
    return score


Progress = Callable[[int, int], None]


def _export_records(store: Store, subjects: Iterable[str], path: Path) -> int:
    count = 0
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["subject", "record_id", "category", "type", "effective_at", "frozen"])
        for subject in subjects:
            for r in scoring_records(store, subject):
                out.writerow([subject, r.record_id, r.category, r.type, r.effective_at, r.frozen])
                count += 1
    return count


def rescore_all(
    store: Store, as_of: int | None = None, progress: Progress | None = None
) -> dict[str, Score]:
    """Batch rescoring of every enrolled person with DuckDB; the same numbers as `compute`."""
    rules, digest = rules_in_force(store)
    when = as_of or now()
    enrolled = store.list_enrolled()
    scores: dict[str, Score] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.csv"
        _export_records(store, enrolled, path)
        con = duckdb.connect()
        try:
            con.execute(
                "CREATE TABLE records AS SELECT * FROM read_csv(?, header=true, columns={"
                "'subject':'VARCHAR','record_id':'VARCHAR','category':'VARCHAR','type':'VARCHAR',"
                "'effective_at':'BIGINT','frozen':'BOOLEAN'})",
                [str(path)],
            )
            out = score_batch(rules, digest, "records", when, con, progress)
            for subject, score in iter_scores(con, rules, digest, when, out):
                scores[str(subject)] = score
        except duckdb.Error as exc:
            raise InputError(f"batch rescoring failed: {exc}", code="batch_failed") from exc
        finally:
            con.close()
    for subject in enrolled:  # enrolled people with no scorable records sit at the base
        scores.setdefault(subject, score_subject(rules, digest, [], when))
    with store.write() as tx:
        for subject, score in scores.items():
            tx.put_score(_row(subject, score))
    return scores


def _reason_text(points: int, count: int, type_: str, scorecard: str) -> str:
    """A reason in plain English; ``text_key`` names it for translations."""
    plural = "record" if count == 1 else "records"
    return f"+{points} points from {count} {type_} {plural} ({scorecard})"


def explain(store: Store, subject: str, as_of: int | None = None) -> dict[str, Any]:
    """The JSON a person sees: score, tier, benefits earned, and each reason with its rule
    line and the records behind it."""
    score = compute(store, subject, as_of)
    rules, _ = rules_in_force(store)
    records = {r.record_id: r for r in store.records_of(subject)}
    lines = {(c.id, ln.id): ln for c in rules.scorecards for ln in c.lines}
    resolved = reason_record_ids(rules, score, scoring_records(store, subject))
    reasons = []
    for reason, ids in zip(score.reasons, resolved, strict=True):
        line = lines[(reason.scorecard, reason.line)]
        # Each record once: in "records", with what it is; not again as a bare id list.
        shown = reason.as_dict()
        behind = [rid for rid in ids if rid in records]
        reasons.append(
            {
                **shown,
                "text": _reason_text(shown["points"], len(behind), line.type, reason.scorecard),
                "rule": line.model_dump(mode="json"),
                "records": [
                    {
                        "record_id": rid,
                        "member": records[rid].member,
                        "category": records[rid].category,
                        "type": records[rid].type,
                        "effective_at": records[rid].effective_at,
                        "log_index": records[rid].put_idx,
                    }
                    for rid in behind
                ],
            }
        )
    return {
        "score": score.score,
        "tier": score.tier,
        "range": rules.score.model_dump(mode="json"),
        "as_of": rfc3339(score.as_of),
        "rules_hash": score.rules_hash,
        "context_scores": score.context_scores,
        "benefits": [
            {"id": b.id, "provider": b.provider, "description": b.description}
            for b in rules.benefits
            if benefit_eligible(rules, score, b.id)
        ],
        "reasons": reasons,
        "frozen_records": sorted(
            d.record_id for d in store.disputes_of(subject) if d.status in FROZEN
        ),
        "history": [
            {"as_of": rfc3339(a), "score": s, "tier": t} for a, s, t in store.score_history(subject)
        ],
    }


def is_eligible(store: Store, subject: str, benefit_id: str, as_of: int | None = None) -> bool:
    """Yes or no for a provider's benefit: only the benefit's own context is looked at, and
    someone who has not enrolled is simply not eligible (never penalised)."""
    rules, digest = rules_in_force(store)
    if not any(b.id == benefit_id for b in rules.benefits):
        raise NotFound(f"no benefit {benefit_id!r} in the rules in force", code="unknown_benefit")
    if not store.is_enrolled(subject):
        return False
    score = score_subject(rules, digest, scoring_records(store, subject), as_of or now())
    return benefit_eligible(rules, score, benefit_id)
