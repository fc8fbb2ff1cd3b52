"""SQLite reads and writes of governance and credit-programme state (mixins of the store)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Protocol

from credo.errors import StoreError

PROGRAMME_DERIVED = ("proposals", "votes", "rules_docs", "enrolments", "disputes")
SCORE_TABLES = ("scores", "score_history")


@dataclass(frozen=True, slots=True)
class ProposalRow:
    id: str
    proposer: str
    action: str
    params: dict[str, Any]
    status: str
    proposed_idx: int
    decided_idx: int | None = None


@dataclass(frozen=True, slots=True)
class RulesRow:
    adopted_idx: int
    hash: str
    document: bytes
    proposal_id: str


@dataclass(frozen=True, slots=True)
class DisputeRow:
    id: str
    record_id: str
    subject: str
    statement: str
    opened_idx: int
    opened_at: str
    status: str
    closed_idx: int | None = None
    closed_at: str | None = None
    evidence: str | None = None


@dataclass(frozen=True, slots=True)
class ScoreRow:
    subject: str
    rules_hash: str
    as_of: int
    score: int
    tier: str
    doc: str


class ProgrammeReader(Protocol):
    def get_proposal(self, proposal_id: str) -> ProposalRow | None: ...

    def list_proposals(self) -> list[ProposalRow]: ...

    def list_votes(self, proposal_id: str) -> list[tuple[str, str]]: ...

    def current_rules(self) -> RulesRow | None: ...

    def rules_history(self) -> list[RulesRow]: ...

    def is_enrolled(self, subject: str) -> bool: ...

    def list_enrolled(self) -> list[str]: ...

    def get_dispute(self, dispute_id: str) -> DisputeRow | None: ...

    def disputes_of(self, subject: str) -> list[DisputeRow]: ...

    def open_disputes(self) -> list[DisputeRow]: ...

    def get_score(self, subject: str) -> ScoreRow | None: ...

    def score_history(self, subject: str) -> list[tuple[int, int, str]]: ...


class ProgrammeWriter(ProgrammeReader, Protocol):
    def put_proposal(self, row: ProposalRow) -> None: ...

    def put_vote(self, proposal_id: str, member: str, vote: str, idx: int) -> None: ...

    def add_rules(self, row: RulesRow) -> None: ...

    def enrol(self, subject: str, idx: int, at: str) -> None: ...

    def withdraw(self, subject: str) -> None: ...

    def put_dispute(self, row: DisputeRow) -> None: ...

    def put_score(self, row: ScoreRow) -> None: ...


class ProgrammeQueries:
    conn: sqlite3.Connection

    def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return list(self.conn.execute(sql, args).fetchall())
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite read failed: {exc}") from exc

    def get_proposal(self, proposal_id: str) -> ProposalRow | None:
        rows = self._rows("SELECT * FROM proposals WHERE id = ?", (proposal_id,))
        return _proposal(rows[0]) if rows else None

    def list_proposals(self) -> list[ProposalRow]:
        return [_proposal(r) for r in self._rows("SELECT * FROM proposals ORDER BY proposed_idx")]

    def list_votes(self, proposal_id: str) -> list[tuple[str, str]]:
        rows = self._rows(
            "SELECT member, vote FROM votes WHERE proposal_id = ? ORDER BY idx", (proposal_id,)
        )
        return [(str(m), str(v)) for m, v in rows]

    def current_rules(self) -> RulesRow | None:
        rows = self._rows("SELECT * FROM rules_docs ORDER BY adopted_idx DESC LIMIT 1")
        return RulesRow(rows[0][0], rows[0][1], bytes(rows[0][2]), rows[0][3]) if rows else None

    def rules_history(self) -> list[RulesRow]:
        rows = self._rows("SELECT * FROM rules_docs ORDER BY adopted_idx")
        return [RulesRow(r[0], r[1], bytes(r[2]), r[3]) for r in rows]

    def is_enrolled(self, subject: str) -> bool:
        return bool(self._rows("SELECT 1 FROM enrolments WHERE subject = ?", (subject,)))

    def list_enrolled(self) -> list[str]:
        return [str(r[0]) for r in self._rows("SELECT subject FROM enrolments ORDER BY subject")]

    def get_dispute(self, dispute_id: str) -> DisputeRow | None:
        rows = self._rows("SELECT * FROM disputes WHERE id = ?", (dispute_id,))
        return DisputeRow(*rows[0]) if rows else None

    def disputes_of(self, subject: str) -> list[DisputeRow]:
        rows = self._rows(
            "SELECT * FROM disputes WHERE subject = ? ORDER BY opened_idx", (subject,)
        )
        return [DisputeRow(*r) for r in rows]

    def open_disputes(self) -> list[DisputeRow]:
        rows = self._rows("SELECT * FROM disputes WHERE status = 'open' ORDER BY opened_idx")
        return [DisputeRow(*r) for r in rows]

    def get_score(self, subject: str) -> ScoreRow | None:
        rows = self._rows("SELECT * FROM scores WHERE subject = ?", (subject,))
        return ScoreRow(*rows[0]) if rows else None

    def score_history(self, subject: str) -> list[tuple[int, int, str]]:
        rows = self._rows(
            "SELECT as_of, score, tier FROM score_history WHERE subject = ? ORDER BY as_of",
            (subject,),
        )
        return [(int(a), int(s), str(t)) for a, s, t in rows]


def _proposal(r: tuple[Any, ...]) -> ProposalRow:
    return ProposalRow(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6])


class ProgrammeWrites(ProgrammeQueries):
    def _w(self, sql: str, args: tuple[object, ...]) -> None:
        try:
            self.conn.execute(sql, args)
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite write failed: {exc}") from exc

    def put_proposal(self, row: ProposalRow) -> None:
        self._w(
            "INSERT OR REPLACE INTO proposals VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                row.id,
                row.proposer,
                row.action,
                json.dumps(row.params, sort_keys=True),
                row.status,
                row.proposed_idx,
                row.decided_idx,
            ),
        )

    def put_vote(self, proposal_id: str, member: str, vote: str, idx: int) -> None:
        self._w("INSERT INTO votes VALUES (?, ?, ?, ?)", (proposal_id, member, vote, idx))

    def add_rules(self, row: RulesRow) -> None:
        self._w(
            "INSERT INTO rules_docs VALUES (?, ?, ?, ?)",
            (row.adopted_idx, row.hash, row.document, row.proposal_id),
        )

    def enrol(self, subject: str, idx: int, at: str) -> None:
        self._w("INSERT INTO enrolments VALUES (?, ?, ?)", (subject, idx, at))

    def withdraw(self, subject: str) -> None:
        """Withdrawal deletes the person's enrolment, score and its whole history."""
        for table in ("enrolments", *SCORE_TABLES):
            self._w(f"DELETE FROM {table} WHERE subject = ?", (subject,))  # noqa: S608

    def put_dispute(self, row: DisputeRow) -> None:
        self._w(
            "INSERT OR REPLACE INTO disputes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.id,
                row.record_id,
                row.subject,
                row.statement,
                row.opened_idx,
                row.opened_at,
                row.status,
                row.closed_idx,
                row.closed_at,
                row.evidence,
            ),
        )

    def put_score(self, row: ScoreRow) -> None:
        self._w(
            "INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?, ?, ?)",
            (row.subject, row.rules_hash, row.as_of, row.score, row.tier, row.doc),
        )
        self._w(
            "INSERT OR REPLACE INTO score_history VALUES (?, ?, ?, ?, ?)",
            (row.subject, row.as_of, row.rules_hash, row.score, row.tier),
        )
