"""The credit programme on a live ledger: rules in force, a person's scoring inputs, rescoring
one person after each relevant entry, rescoring everyone in batch, and the explanation a
person sees. Scores are a cache of `score_subject`: nobody who has not enrolled is scored.

Two rules documents matter at once during a change of rules: the one adopted last
(`adopted_rules`) and the one whose scores are served (`serving_rules`, the store's pointer).
Every answer is computed under the serving rules and says so in its ``rules_hash``. When new
rules are adopted, everyone is rescored under them in the background while each person
touched meanwhile is rescored under both; then `switch_rules` stores the new scores and
moves the pointer in one transaction, so every answer changes rules at that one moment.

Scoring sees only what `ScoringRecord` carries: never a payload, never a special category
(`SPECIAL_CATEGORIES` are dropped here, before any rule could look at them).
"""

from __future__ import annotations

import csv
import functools
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


@functools.lru_cache(maxsize=16384)
def to_seconds(stamp: str) -> int:
    """Unix seconds of an RFC 3339 UTC timestamp or a plain date (taken as midnight UTC).

    Kept (an LRU, as the portal keeps formatted dates): a score page reads each of a
    person's records' dates three times, 216 parses for the busiest demo person. A date
    alone names nobody."""
    text = stamp.replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def adopted_rules(store: Store) -> tuple[RulesDocument, str]:
    """The rules document adopted last on the log (which may not be served yet)."""
    row = store.current_rules()
    if row is None:
        raise NotFound("no rules document has been adopted yet", code="no_rules")
    return _parsed_rules(row.hash, row.document), row.hash


def rules_by_hash(store: Store, digest: str) -> RulesDocument:
    """An adopted rules document by its hash."""
    for row in reversed(store.rules_history()):
        if row.hash == digest:
            return _parsed_rules(row.hash, row.document)
    raise NotFound(f"no adopted rules document has hash {digest}", code="unknown_rules")


def rules_in_force(store: Store) -> tuple[RulesDocument, str]:
    """The rules every score is served under: the store's serving pointer, or the adopted
    rules while no pointer was ever set (nothing else can have been served)."""
    serving = store.serving_rules()
    if serving is None:
        return adopted_rules(store)
    return rules_by_hash(store, serving), serving


def pending_rules(store: Store) -> tuple[RulesDocument, str] | None:
    """The adopted rules when they are not the served ones yet (a switch is due), else None."""
    adopted = store.current_rules()
    serving = store.serving_rules()
    if adopted is None or serving is None or adopted.hash == serving:
        return None
    return _parsed_rules(adopted.hash, adopted.document), adopted.hash


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


def compute(
    store: Store,
    subject: str,
    as_of: int | None = None,
    scoring: list[ScoringRecord] | None = None,
) -> Score:
    """The person's score now (or at ``as_of``) under the serving rules; enrolled only.
    ``scoring``: the person's `scoring_records`, if the caller has them already."""
    if not store.is_enrolled(subject):
        raise NotFound("this person has not enrolled in the programme", code="not_enrolled")
    rules, digest = rules_in_force(store)
    if scoring is None:
        scoring = scoring_records(store, subject)
    return score_subject(rules, digest, scoring, as_of or now())


def record_ids_of(store: Store, subject: str, score: Score) -> tuple[tuple[str, ...], ...]:
    """The ids of the records behind each reason of a score of this person, resolved now
    from the store under the rules the score names: exactly the ids the per-person path
    counted. ``InputError`` (code ``stale_score``) if the records changed since."""
    rules = rules_by_hash(store, score.rules_hash)
    return reason_record_ids(rules, score, scoring_records(store, subject))


def _row(subject: str, score: Score) -> ScoreRow:
    doc = json.dumps(score.as_dict(), sort_keys=True, separators=(",", ":"))
    return ScoreRow(subject, score.rules_hash, score.as_of, score.score, score.tier, doc)


def rescore(store: Store, subject: str, as_of: int | None = None) -> Score | None:
    """Recompute and store one person's served score, and during a change of rules their
    score under the adopted rules too; None (and nothing stored) if not enrolled."""
    if not store.is_enrolled(subject) or store.current_rules() is None:
        return None
    when = as_of or now()
    records = scoring_records(store, subject)
    rules, digest = rules_in_force(store)
    scores = [score_subject(rules, digest, records, when)]
    pending = pending_rules(store)
    if pending is not None:
        scores.append(score_subject(pending[0], pending[1], records, when))
    with store.write(durable=False) as tx:  # a cache: `credo score --all` rebuilds it
        if tx.is_enrolled(subject):  # withdrawal may have raced us: never resurrect a score
            for score in scores:
                tx.put_score(_row(subject, score))
    return scores[0]


Progress = Callable[[int, int], None]
Phased = Callable[[str, int, int], None]
"""``progress(phase, done, total)``: phase ``reading`` counts people read from the store,
``scoring`` counts DuckDB chunks, ``storing`` counts scores written."""
SWITCH_KEY = "rules_switch"  # meta: the last change of rules' progress, as JSON


def _phase(progress: Phased | None, phase: str) -> Progress | None:
    if progress is None:
        return None
    return lambda done, total: progress(phase, done, total)


def _export_records(
    store: Store, subjects: list[str], path: Path, progress: Progress | None = None
) -> int:
    count = 0
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["subject", "record_id", "category", "type", "effective_at", "frozen"])
        for n, subject in enumerate(subjects, start=1):
            for r in scoring_records(store, subject):
                out.writerow([subject, r.record_id, r.category, r.type, r.effective_at, r.frozen])
                count += 1
            if progress is not None and (n % 10_000 == 0 or n == len(subjects)):
                progress(n, len(subjects))
    return count


def batch_scores(
    store: Store,
    rules: RulesDocument,
    digest: str,
    as_of: int,
    progress: Phased | None = None,
) -> dict[str, Score]:
    """Every enrolled person's score under ``rules`` by DuckDB; stores nothing."""
    return batch_scores_at(store, rules, digest, [as_of], progress)[0]


def batch_scores_at(
    store: Store,
    rules: RulesDocument,
    digest: str,
    moments: list[int],
    progress: Phased | None = None,
) -> list[dict[str, Score]]:
    """`batch_scores` at each of ``moments``, from ONE read of the store (the records as
    they stand now, each moment counting those effective by then); stores nothing."""
    enrolled = store.list_enrolled()
    out: list[dict[str, Score]] = [{} for _ in moments]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.csv"
        _export_records(store, enrolled, path, _phase(progress, "reading"))
        import duckdb  # only batch rescoring needs it (`credo.scoring.batch`)

        con = duckdb.connect()
        try:
            con.execute(
                "CREATE TABLE records AS SELECT * FROM read_csv(?, header=true, columns={"
                "'subject':'VARCHAR','record_id':'VARCHAR','category':'VARCHAR','type':'VARCHAR',"
                "'effective_at':'BIGINT','frozen':'BOOLEAN'})",
                [str(path)],
            )
            for as_of, scores in zip(moments, out, strict=True):
                done = score_batch(
                    rules, digest, "records", as_of, con, _phase(progress, "scoring")
                )
                for subject, score in iter_scores(con, rules, digest, as_of, done):
                    scores[str(subject)] = score
        except duckdb.Error as exc:
            raise InputError(f"batch rescoring failed: {exc}", code="batch_failed") from exc
        finally:
            con.close()
    for as_of, scores in zip(moments, out, strict=True):
        base = score_subject(rules, digest, [], as_of)
        for subject in enrolled:  # enrolled people with no scorable records sit at the base
            scores.setdefault(subject, base)
    return out


SWITCH_CHUNK = 5_000


def switch_rules(
    store: Store,
    digest: str,
    scores: dict[str, Score],
    skip: Callable[[str], bool] = lambda _: False,
    progress: Phased | None = None,
    chunk: int = SWITCH_CHUNK,
) -> int:
    """Store ``scores`` (all under ``digest``) and then serve ``digest``.

    The scores are written in transactions of ``chunk`` people, which serve nothing yet; the
    last one moves the serving pointer, so every answer changes rules at its commit. People
    no longer enrolled are skipped, and so is anyone ``skip`` names (rescored since the
    batch read the store: their newer score stays). Then the other rules' scores are
    dropped. Returns how many scores were written."""
    if any(score.rules_hash != digest for score in scores.values()):
        raise InputError("every score of a switch must be under the rules switched to")
    items = sorted(scores.items())
    written = 0
    for start in range(0, max(len(items), 1), chunk):
        last = start + chunk >= len(items)
        with store.write(durable=last) as tx:
            for subject, score in items[start : start + chunk]:
                if not skip(subject) and tx.is_enrolled(subject):
                    tx.put_score(_row(subject, score))
                    written += 1
            if last:
                tx.set_serving_rules(digest)
        if progress is not None:
            progress("storing", min(start + chunk, len(items)), len(items))
    with store.write(durable=False) as tx:
        tx.delete_scores_except(digest)
    return written


def rescore_all(
    store: Store, as_of: int | None = None, progress: Phased | None = None
) -> dict[str, Score]:
    """Batch rescoring of every enrolled person under the adopted rules, which are served
    from then on (the same numbers as `compute`). The synchronous form of what the
    rescorer does in the background."""
    rules, digest = adopted_rules(store)
    scores = batch_scores(store, rules, digest, as_of or now(), progress)
    switch_rules(store, digest, scores, progress=progress)
    return scores


def record_switch(store: Store, progress: dict[str, object]) -> None:
    """Publish a change of rules' progress where `credo score --status` reads it."""
    with store.write(durable=False) as tx:
        tx.set_meta(SWITCH_KEY, json.dumps(progress, sort_keys=True))


def status(store: Store) -> dict[str, Any]:
    """Which rules are served and adopted, and how far a change between them has got."""
    adopted = store.current_rules()
    serving = store.serving_rules()
    switching = adopted is not None and adopted.hash != (serving or adopted.hash)
    raw = store.get_meta(SWITCH_KEY)
    last = None if raw is None else json.loads(raw)
    return {
        "serving_rules": serving or (None if adopted is None else adopted.hash),
        "adopted_rules": None if adopted is None else adopted.hash,
        "switching": switching,
        "enrolled": len(store.list_enrolled()),
        "scored_under_adopted": 0 if adopted is None else store.count_scores_under(adopted.hash),
        "last_switch": last,
    }


def _reason_text(points: int, count: int, type_: str, scorecard: str) -> str:
    """A reason in plain English; ``text_key`` names it for translations."""
    plural = "record" if count == 1 else "records"
    return f"+{points} points from {count} {type_} {plural} ({scorecard})"


def explain(
    store: Store,
    subject: str,
    as_of: int | None = None,
    scoring: list[ScoringRecord] | None = None,
) -> dict[str, Any]:
    """The JSON a person sees: score, tier, benefits earned, and each reason with its rule
    line and the records behind it. ``scoring``: the person's `scoring_records`, if the
    caller has them already (the score page also draws the history from them)."""
    if scoring is None:
        scoring = scoring_records(store, subject)
    score = compute(store, subject, as_of, scoring)
    rules = rules_by_hash(store, score.rules_hash)
    records = {r.record_id: r for r in store.records_of(subject)}
    lines = {(c.id, ln.id): ln for c in rules.scorecards for ln in c.lines}
    resolved = reason_record_ids(rules, score, scoring)
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
