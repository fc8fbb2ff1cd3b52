"""The credit programme's operations for a person, through the consent manager (operator):
enrol, withdraw, dispute a record; and the submitting member's answer to a dispute.

National ids are resolved to the vault's refs here and go no further; a dispute statement is
sealed in the vault like any payload, and only its commitment goes on the log.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from credo.errors import InputError, NotFound
from credo.ledger.keys import MemberKey
from credo.ledger.kinds.disputes import answer_days
from credo.ledger.sequencer import Accepted
from credo.ledger.text import text_problem
from credo.services.people import People
from credo.services.views import DisputeView

MAX_STATEMENT = 2000


class Programme:
    def __init__(self, people: People) -> None:
        self.people = people
        self.store = people.store

    def _ref(self, national_id: str) -> str:
        ref = self.people.known(national_id)
        if ref is None:
            raise NotFound("no data is held about that person", code="unknown_subject")
        return ref

    def _operator(
        self, kind: str, ref: str | None, meta: dict[str, Any], at: str | None = None
    ) -> Accepted:
        return self.people.submit_personal(kind, ref, meta, at)

    def enrol(self, national_id: str) -> str:
        """Opt in; returns the person's ref (the operator's, never published). Not enrolling
        costs nothing."""
        ref = self.people.vault.ensure_subject(national_id)
        self._operator("programme.enrol", ref, {})
        return ref

    def withdraw(self, national_id: str) -> None:
        """Opt out: the score and its whole history are deleted."""
        self.withdraw_subject(self._ref(national_id))

    def enrol_subject(self, ref: str) -> None:
        """`enrol` for a person known by their subject ref (the portal's path)."""
        self._operator("programme.enrol", ref, {})

    def withdraw_subject(self, ref: str) -> None:
        self._operator("programme.withdraw", ref, {})

    def open_dispute(self, national_id: str, record_id: str, statement: str) -> str:
        return self.open_dispute_for(self._ref(national_id), record_id, statement)

    def open_dispute_for(self, ref: str, record_id: str, statement: str) -> str:
        """Contest one of the person's own records; returns the dispute's id."""
        dispute_id, meta = self._dispute(ref, record_id, statement)
        self._operator("dispute.open", ref, meta)
        return dispute_id

    def dispute_envelope(
        self, national_id: str, record_id: str, statement: str, at: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        """`open_dispute`'s entry, sealed and signed but not submitted (for
        `People.submit_batch`): (dispute id, envelope)."""
        ref = self._ref(national_id)
        dispute_id, meta = self._dispute(ref, record_id, statement)
        return dispute_id, self.people.operator_envelope("dispute.open", ref, meta, at)

    def _dispute(self, ref: str, record_id: str, statement: str) -> tuple[str, dict[str, Any]]:
        if not 1 <= len(statement) <= MAX_STATEMENT:
            raise InputError(
                f"a statement is 1 to {MAX_STATEMENT} characters", code="bad_statement"
            )
        problem = text_problem(statement, multiline=True)
        if problem:
            raise InputError(f"the statement {problem}", code="bad_statement")
        record = self.store.get_record(record_id)
        if record is None or record.subject != ref:
            raise NotFound("no such record about this person", code="unknown_record")
        sealed = self.people.vault.seal(ref, statement.encode(), b"dispute-statement")
        dispute_id = secrets.token_hex(16)
        return dispute_id, {
            "id": dispute_id,
            "record_id": record_id,
            "statement": sealed.commitment,
            "statement_key": sealed.record_key,
        }

    def disputes(self, national_id: str | None = None) -> list[DisputeView]:
        """A person's disputes, open and closed; without a national id, every open one."""
        rows = (
            self.store.open_disputes()
            if national_id is None
            else self.store.disputes_of(self._ref(national_id))
        )
        return self.people.rights.disputes(rows)

    def log_benefit_check(
        self,
        member: str,
        ref: str | None,
        benefit: str,
        context: str,
        answered: bool,
        reason: str,
        request_digest: str,
    ) -> int:
        """Write the provider's question on the log before it gets its answer (``ref`` None:
        nobody credo knows, logged as a decoy)."""
        meta = self._benefit_meta(member, benefit, context, answered, reason, request_digest)
        return self._operator("benefit.check", ref, meta).index

    def benefit_check_envelope(
        self,
        member: str,
        ref: str | None,
        benefit: str,
        context: str,
        answered: bool,
        reason: str,
        request_digest: str,
        at: str | None = None,
    ) -> dict[str, Any]:
        """`log_benefit_check`'s entry, sealed and signed but not submitted."""
        meta = self._benefit_meta(member, benefit, context, answered, reason, request_digest)
        return self.people.operator_envelope("benefit.check", ref, meta, at)

    @staticmethod
    def _benefit_meta(
        member: str, benefit: str, context: str, answered: bool, reason: str, request_digest: str
    ) -> dict[str, Any]:
        return {
            "member": member,
            "benefit": benefit,
            "context": context,
            "outcome": "answered" if answered else "refused",
            "reason": reason,
            "request_digest": request_digest,
        }

    def answer(
        self,
        key: MemberKey,
        member: str,
        dispute_id: str,
        outcome: str,
        evidence: str,
        at: str | None = None,
    ) -> Accepted:
        """The submitting member answers, signed with its own ``key``."""
        meta = {"id": dispute_id, "outcome": outcome, "evidence": evidence}
        prepared = self.people.records.prepare_entry(member, "dispute.answer", meta, at)
        return self.people.records.sign_and_submit(prepared, key)

    def expire_overdue(self, now: datetime | None = None) -> list[str]:
        """Resolve every unanswered dispute whose answer period has ended, for the person."""
        when = now or datetime.fromtimestamp(self.people.clock(), UTC)
        moment = when.timestamp()
        stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")  # the entry's time is what the log judges
        days = answer_days(self.store)
        expired = []
        for d in self.store.open_disputes():
            opened = datetime.fromisoformat(d.opened_at.replace("Z", "+00:00")).timestamp()
            if moment > opened + days * 86400:
                self._operator("dispute.expire", d.subject, {"id": d.id}, stamp)
                expired.append(d.id)
        return expired
