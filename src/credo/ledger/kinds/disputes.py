"""Disputes: a person contests a record, the submitting member answers, or the answer
period runs out and the dispute resolves in the person's favour.

Disputes are opened by the operator acting for the person (the person has no consortium
key); a dispute's answer is signed by the member that submitted the record. All three are
personal entries (`credo.ledger.personal`): the answer's evidence is sealed like the rest. Whether
an unanswered dispute has run out is judged by the entries' own timestamps, so a replay reaches
the same verdict as the sequencer did.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated, Literal

from pydantic import Field

from credo.errors import EntryRejected
from credo.ledger.personal import Meta, open_personal, require_person
from credo.ledger.registry import Context
from credo.ledger.schema import LongText, parse_utc
from credo.ledger.validate import Decoded
from credo.store import DisputeRow, MemberRow, ProgrammeReader, WriteTx

DisputeId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
RecordId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
DEFAULT_ANSWER_DAYS = 30


class DisputeOpen(Meta):
    id: DisputeId
    record_id: RecordId
    statement: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]  # commitment; text in the vault
    # Where the vault keeps the text, so the person can read their statement back; sealed
    # like the rest of this metadata. Absent from disputes opened before it was kept.
    statement_key: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")] | None = None


class DisputeAnswer(Meta):
    id: DisputeId
    outcome: Literal["upheld", "amended", "retracted"]
    evidence: Annotated[LongText, Field(min_length=1)]


class DisputeExpire(Meta):
    id: DisputeId


def apply_open(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    p = open_personal(tx, index, entry, ctx, DisputeOpen)
    body = require_person(tx, p, ctx)
    if body is None or p.subject is None:
        p.mark(tx)
        return
    record = tx.get_record(body.record_id)
    if record is None or record.subject != p.subject:
        raise EntryRejected("no such record about this person", code="unknown_record")
    if tx.get_dispute(body.id) is not None:
        raise EntryRejected(f"dispute {body.id} already exists", code="dispute_exists")
    if any(d.record_id == body.record_id and d.status == "open" for d in tx.disputes_of(p.subject)):
        raise EntryRejected("this record is already under dispute", code="already_disputed")
    p.mark(tx)
    tx.put_dispute(
        DisputeRow(body.id, body.record_id, p.subject, body.statement, index, entry.at, "open")
    )


def _open_dispute(tx: WriteTx, dispute_id: str, subject: str) -> DisputeRow:
    dispute = tx.get_dispute(dispute_id)
    if dispute is None or dispute.subject != subject:
        raise EntryRejected(f"no dispute {dispute_id}", code="unknown_dispute")
    if dispute.status != "open":
        raise EntryRejected(f"dispute {dispute_id} is {dispute.status}", code="dispute_closed")
    return dispute


def _close(tx: WriteTx, d: DisputeRow, status: str, index: int, at: str, evidence: str) -> None:
    tx.put_dispute(replace(d, status=status, closed_idx=index, closed_at=at, evidence=evidence))


def answer_days(state: ProgrammeReader) -> int:
    """The answer period the current rules set (DESIGN: default 30 days)."""
    rules = state.current_rules()
    if rules is None:
        return DEFAULT_ANSWER_DAYS
    return int(json.loads(rules.document).get("dispute_answer_days", DEFAULT_ANSWER_DAYS))


def _seconds(ts: str) -> float:
    return parse_utc(ts).timestamp()


def apply_answer(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    p = open_personal(tx, index, entry, ctx, DisputeAnswer)
    body = require_person(tx, p, ctx)
    if body is None or p.subject is None:
        p.mark(tx)
        return
    dispute = _open_dispute(tx, body.id, p.subject)
    record = tx.get_record(dispute.record_id)
    if record is None or record.member != signer.id:
        raise EntryRejected("only the record's submitting member may answer", code="not_submitter")
    if _seconds(entry.at) > _seconds(dispute.opened_at) + answer_days(tx) * 86400:
        raise EntryRejected("the answer period has ended", code="answer_too_late")
    p.mark(tx)
    _close(tx, dispute, body.outcome, index, entry.at, body.evidence)


def apply_expire(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    p = open_personal(tx, index, entry, ctx, DisputeExpire)
    body = require_person(tx, p, ctx)
    if body is None or p.subject is None:
        p.mark(tx)
        return
    dispute = _open_dispute(tx, body.id, p.subject)
    if _seconds(entry.at) <= _seconds(dispute.opened_at) + answer_days(tx) * 86400:
        raise EntryRejected("the answer period has not ended", code="not_expired")
    p.mark(tx)
    _close(tx, dispute, "expired", index, entry.at, "unanswered: resolved for the person")
