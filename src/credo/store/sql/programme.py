"""Reads and writes of governance and credit-programme state (mixins of the store)."""

from __future__ import annotations

import json

from credo.store._encoding import DISPUTE as _DISPUTE
from credo.store._encoding import PROGRAMME_DERIVED as PROGRAMME_DERIVED
from credo.store._encoding import PROPOSAL as _PROPOSAL
from credo.store._encoding import RULES as _RULES
from credo.store._encoding import SCORE as _SCORE
from credo.store._encoding import SCORE_TABLES as SCORE_TABLES
from credo.store._encoding import SERVING_RULES_KEY as SERVING_RULES_KEY
from credo.store._encoding import dispute_row as _dispute
from credo.store._encoding import proposal_row as _proposal
from credo.store._encoding import rules_row as _rules
from credo.store.rows import DisputeRow, ProgrammeStats, ProposalRow, RulesRow, ScoreRow
from credo.store.sql.base import Queries, insert, on_conflict, select

_SERVING = "(SELECT value FROM meta WHERE key = 'serving_rules')"

_HISTORY = ("subject", "as_of", "rules_hash", "score", "tier")


class ProgrammeQueries(Queries):
    def get_proposal(self, proposal_id: str) -> ProposalRow | None:
        row = self._one(select("proposals", _PROPOSAL, "id = ?"), (proposal_id,))
        return None if row is None else _proposal(row)

    def list_proposals(self) -> list[ProposalRow]:
        rows = self._rows(select("proposals", _PROPOSAL, order="proposed_idx"))
        return [_proposal(r) for r in rows]

    def list_votes(self, proposal_id: str) -> list[tuple[str, str]]:
        rows = self._rows(
            "SELECT member, vote FROM votes WHERE proposal_id = ? ORDER BY idx", (proposal_id,)
        )
        return [(str(m), str(v)) for m, v in rows]

    def current_rules(self) -> RulesRow | None:
        row = self._one(select("rules_docs", _RULES, order="adopted_idx DESC LIMIT 1"))
        return None if row is None else _rules(row)

    def rules_history(self) -> list[RulesRow]:
        return [_rules(r) for r in self._rows(select("rules_docs", _RULES, order="adopted_idx"))]

    def is_enrolled(self, subject: str) -> bool:
        return self._one("SELECT 1 FROM enrolments WHERE subject = ?", (subject,)) is not None

    def list_enrolled(self) -> list[str]:
        return [str(r[0]) for r in self._rows("SELECT subject FROM enrolments ORDER BY subject")]

    def get_dispute(self, dispute_id: str) -> DisputeRow | None:
        row = self._one(select("disputes", _DISPUTE, "id = ?"), (dispute_id,))
        return None if row is None else _dispute(row)

    def disputes_of(self, subject: str) -> list[DisputeRow]:
        rows = self._rows(select("disputes", _DISPUTE, "subject = ?", "opened_idx"), (subject,))
        return [_dispute(r) for r in rows]

    def open_disputes(self) -> list[DisputeRow]:
        rows = self._rows(select("disputes", _DISPUTE, "status = 'open'", "opened_idx"))
        return [_dispute(r) for r in rows]

    def programme_stats(self) -> ProgrammeStats:
        enrolled = self._one("SELECT count(*) FROM enrolments")
        by_member = self._rows(
            "SELECT member, count(*) FROM records WHERE status <> 'erased' "
            "GROUP BY member ORDER BY member"
        )
        disputes = self._rows("SELECT status, opened_at, closed_at FROM disputes")
        readers = self._rows("SELECT DISTINCT member FROM access ORDER BY member")
        return ProgrammeStats(
            enrolled=int(enrolled[0]) if enrolled else 0,
            records_by_member=tuple((str(m), int(n)) for m, n in by_member),
            disputes=tuple((str(s), str(o), None if c is None else str(c)) for s, o, c in disputes),
            reading_members=tuple(str(r[0]) for r in readers),
        )

    def get_score(self, subject: str) -> ScoreRow | None:
        """The score under the serving rules; with none set yet, the latest computed."""
        serving = self.serving_rules()
        if serving is not None:
            return self.get_score_under(subject, serving)
        row = self._one(
            select("scores", _SCORE, "subject = ?", "as_of DESC, rules_hash LIMIT 1"), (subject,)
        )
        return None if row is None else ScoreRow(**dict(zip(_SCORE, row, strict=True)))

    def get_score_under(self, subject: str, rules_hash: str) -> ScoreRow | None:
        row = self._one(
            select("scores", _SCORE, "subject = ? AND rules_hash = ?"), (subject, rules_hash)
        )
        return None if row is None else ScoreRow(**dict(zip(_SCORE, row, strict=True)))

    def count_scores_under(self, rules_hash: str) -> int:
        row = self._one("SELECT count(*) FROM scores WHERE rules_hash = ?", (rules_hash,))
        return 0 if row is None else int(row[0])

    def serving_rules(self) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", (SERVING_RULES_KEY,))
        return None if row is None else str(row[0])

    def score_history(self, subject: str) -> list[tuple[int, int, str]]:
        rows = self._rows(
            "SELECT as_of, score, tier FROM score_history WHERE subject = ? ORDER BY as_of",
            (subject,),
        )
        return [(int(a), int(s), str(t)) for a, s, t in rows]


_PUT_PROPOSAL = insert("proposals", _PROPOSAL, upsert=("id",))
_PUT_VOTE = insert("votes", ("proposal_id", "member", "vote", "idx"))
_ADD_RULES = insert("rules_docs", _RULES)
_ENROL = insert("enrolments", ("subject", "enrolled_idx", "enrolled_at"))
_PUT_DISPUTE = insert("disputes", _DISPUTE, upsert=("id",))
_PUT_SCORE = insert("scores", _SCORE, upsert=("subject", "rules_hash"))
# The history records only served scores (under the serving rules, or any while none is set).
_PUT_HISTORY = (
    f"INSERT INTO score_history ({', '.join(_HISTORY)}) "
    f"SELECT ?, ?, ?, ?, ? WHERE COALESCE({_SERVING}, ?) = ?"
    + on_conflict(_HISTORY, ("subject", "as_of"))
)
_SET_SERVING = insert("meta", ("key", "value"), upsert=("key",))


class ProgrammeWrites(ProgrammeQueries):
    def put_proposal(self, row: ProposalRow) -> None:
        values = [getattr(row, c) for c in _PROPOSAL]
        values[_PROPOSAL.index("params")] = json.dumps(row.params, sort_keys=True)
        self._exec(_PUT_PROPOSAL, tuple(values))

    def put_vote(self, proposal_id: str, member: str, vote: str, idx: int) -> None:
        self._insert_new(
            _PUT_VOTE, (proposal_id, member, vote, idx), f"{member}'s vote on {proposal_id}"
        )

    def add_rules(self, row: RulesRow) -> None:
        values = tuple(getattr(row, c) for c in _RULES)
        self._insert_new(_ADD_RULES, values, f"rules adopted at {row.adopted_idx}")

    def enrol(self, subject: str, idx: int, at: str) -> None:
        self._insert_new(_ENROL, (subject, idx, at), "the enrolment")

    def withdraw(self, subject: str) -> None:
        """Withdrawal deletes the person's enrolment, score and its whole history."""
        for table in ("enrolments", *SCORE_TABLES):
            self._exec(f"DELETE FROM {table} WHERE subject = ?", (subject,))  # noqa: S608

    def put_dispute(self, row: DisputeRow) -> None:
        self._exec(_PUT_DISPUTE, tuple(getattr(row, c) for c in _DISPUTE))

    def put_score(self, row: ScoreRow) -> None:
        self._exec(_PUT_SCORE, tuple(getattr(row, c) for c in _SCORE))
        history = tuple(getattr(row, c) for c in _HISTORY)
        self._exec(_PUT_HISTORY, (*history, row.rules_hash, row.rules_hash))

    def set_serving_rules(self, rules_hash: str) -> None:
        self._exec(_SET_SERVING, (SERVING_RULES_KEY, rules_hash))

    def delete_scores_except(self, rules_hash: str) -> None:
        self._exec("DELETE FROM scores WHERE rules_hash <> ?", (rules_hash,))
