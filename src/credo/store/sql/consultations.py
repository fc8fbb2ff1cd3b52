"""Consultation state in SQL written once, as the rest of the store's (``ON CONFLICT`` upserts,
which SQLite and PostgreSQL share; ``?`` parameters, which the PostgreSQL backend rewrites)."""

from __future__ import annotations

from credo.store.consultation_rows import (
    CONSULTATION,
    DECISION,
    OPINION_VOTE,
    PUBLISHED,
    STATEMENT,
    TRANSLATION,
    ConsultationRow,
    DecisionRow,
    OpinionVoteRow,
    PublishedRow,
    StatementRow,
    TranslationRow,
)
from credo.store.sql.base import Queries

FLAG_THRESHOLD = 3
"""Flags from this many participants hide an unreviewed statement until a moderator decides."""

SHOWN = ("published", "accepted")
"""The statuses of statements people see and vote on."""


def _select(table: str, cols: tuple[str, ...], where: str, order: str = "") -> str:
    sql = f"SELECT {', '.join(cols)} FROM {table} WHERE {where}"  # noqa: S608 (our names)
    return sql + (f" ORDER BY {order}" if order else "")


def _upsert(table: str, cols: tuple[str, ...], key: tuple[str, ...]) -> str:
    sets = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in key)
    marks = ", ".join("?" * len(cols))
    return (
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"
    )


def _values(row: object, cols: tuple[str, ...]) -> tuple[object, ...]:
    return tuple(getattr(row, c) for c in cols)


_NEXT_WHERE = (
    "consultation = ? AND status IN ('published', 'accepted') AND NOT EXISTS (SELECT 1 FROM "
    "consultation_votes v WHERE v.statement = consultation_statements.id AND v.participant = ?)"
)
_NEXT_ORDER = "agree + disagree + passes, passes, submitted_idx LIMIT ?"
_BY_SUBJECT = (
    "SELECT {col} FROM {table} t JOIN consultation_participants p ON "
    "p.consultation = t.consultation AND p.participant = t.participant WHERE p.subject = ?"
)


class ConsultationQueries(Queries):
    """Reads; mixed into each backend's store and write transaction."""

    def get_consultation(self, consultation_id: str) -> ConsultationRow | None:
        row = self._one(_select("consultations", CONSULTATION, "id = ?"), (consultation_id,))
        return None if row is None else ConsultationRow(*row)

    def list_consultations(self) -> list[ConsultationRow]:
        rows = self._rows(_select("consultations", CONSULTATION, "1 = 1", "opened_idx"))
        return [ConsultationRow(*r) for r in rows]

    def get_statement(self, statement_id: str) -> StatementRow | None:
        sql = _select("consultation_statements", STATEMENT, "id = ?")
        row = self._one(sql, (statement_id,))
        return None if row is None else StatementRow(*row)

    def statements_in(self, consultation_id: str) -> list[StatementRow]:
        sql = _select("consultation_statements", STATEMENT, "consultation = ?", "submitted_idx")
        return [StatementRow(*r) for r in self._rows(sql, (consultation_id,))]

    def next_statements(
        self, consultation_id: str, participant: str, limit: int
    ) -> list[StatementRow]:
        sql = _select("consultation_statements", STATEMENT, _NEXT_WHERE, _NEXT_ORDER)
        rows = self._rows(sql, (consultation_id, participant, limit))
        return [StatementRow(*r) for r in rows]

    def statements_by(self, consultation_id: str, participant: str) -> list[StatementRow]:
        sql = _select(
            "consultation_statements",
            STATEMENT,
            "consultation = ? AND participant = ?",
            "submitted_idx",
        )
        return [StatementRow(*r) for r in self._rows(sql, (consultation_id, participant))]

    def get_opinion_vote(self, statement_id: str, participant: str) -> OpinionVoteRow | None:
        sql = _select("consultation_votes", OPINION_VOTE, "statement = ? AND participant = ?")
        row = self._one(sql, (statement_id, participant))
        return None if row is None else OpinionVoteRow(*row)

    def votes_by(self, consultation_id: str, participant: str) -> list[OpinionVoteRow]:
        sql = _select(
            "consultation_votes", OPINION_VOTE, "consultation = ? AND participant = ?", "idx"
        )
        return [OpinionVoteRow(*r) for r in self._rows(sql, (consultation_id, participant))]

    def has_flagged(self, statement_id: str, participant: str) -> bool:
        sql = "SELECT 1 FROM consultation_flags WHERE statement = ? AND participant = ?"
        return self._one(sql, (statement_id, participant)) is not None

    def get_translation(self, translation_id: str) -> TranslationRow | None:
        sql = _select("consultation_translations", TRANSLATION, "id = ?")
        row = self._one(sql, (translation_id,))
        return None if row is None else TranslationRow(*row)

    def translations_in(self, consultation_id: str) -> list[TranslationRow]:
        sql = _select("consultation_translations", TRANSLATION, "consultation = ?", "idx")
        return [TranslationRow(*r) for r in self._rows(sql, (consultation_id,))]

    def translations_of(self, statement_id: str) -> list[TranslationRow]:
        sql = _select("consultation_translations", TRANSLATION, "statement = ?", "idx")
        return [TranslationRow(*r) for r in self._rows(sql, (statement_id,))]

    def published_in(self, consultation_id: str) -> list[PublishedRow]:
        """The consultation's published results and import, oldest first."""
        sql = _select("consultation_published", PUBLISHED, "consultation = ?", "idx")
        return [PublishedRow(*r) for r in self._rows(sql, (consultation_id,))]

    def opinion_votes_in(self, consultation_id: str) -> list[tuple[str, str, str, str]]:
        """Every current vote in a consultation as (participant, statement, vote, shown),
        for the operator's analysis only (political opinions: never a member's read)."""
        rows = self._rows(
            "SELECT participant, statement, vote, shown FROM consultation_votes "
            "WHERE consultation = ?",
            (consultation_id,),
        )
        return [(str(a), str(b), str(c), str(d)) for a, b, c, d in rows]

    def consultation_version(self, consultation_id: str) -> tuple[int, ...]:
        """What changes whenever a result would: the latest vote, statement, decision and
        flag, and how many votes there are (a withdrawal lowers it). Keys the results cache
        and the results page's ETag."""
        row = self._one(
            "SELECT (SELECT coalesce(max(idx), 0) FROM consultation_votes WHERE consultation = ?),"
            " (SELECT count(*) FROM consultation_votes WHERE consultation = ?),"
            " (SELECT coalesce(max(submitted_idx), 0) FROM consultation_statements"
            " WHERE consultation = ?),"
            " (SELECT count(*) FROM consultation_statements WHERE consultation = ?),"
            " (SELECT coalesce(max(idx), 0) FROM consultation_decisions WHERE consultation = ?),"
            " (SELECT coalesce(max(idx), 0) FROM consultation_flags WHERE consultation = ?),"
            " (SELECT coalesce(max(idx), 0) FROM consultation_published WHERE consultation = ?)",
            (consultation_id,) * 7,
        )
        return tuple(int(x) for x in row) if row is not None else ()

    def decisions_in(self, consultation_id: str) -> list[DecisionRow]:
        sql = _select("consultation_decisions", DECISION, "consultation = ?", "idx")
        return [DecisionRow(*r) for r in self._rows(sql, (consultation_id,))]


class ConsultationWrites(ConsultationQueries):
    """The ledger's transitions' writes."""

    def put_consultation(self, row: ConsultationRow) -> None:
        sql = _upsert("consultations", CONSULTATION, ("id",))
        self._exec(sql, _values(row, CONSULTATION))

    def put_statement(self, row: StatementRow) -> None:
        self._exec(_upsert("consultation_statements", STATEMENT, ("id",)), _values(row, STATEMENT))

    def tally(self, statement_id: str, agree: int, disagree: int, passes: int, flags: int) -> None:
        self._exec(
            "UPDATE consultation_statements SET agree = agree + ?, disagree = disagree + ?, "
            "passes = passes + ?, flags = flags + ? WHERE id = ?",
            (agree, disagree, passes, flags, statement_id),
        )

    def put_opinion_vote(self, row: OpinionVoteRow) -> None:
        sql = _upsert("consultation_votes", OPINION_VOTE, ("statement", "participant"))
        self._exec(sql, _values(row, OPINION_VOTE))

    def delete_opinion_vote(self, statement_id: str, participant: str) -> None:
        self._exec(
            "DELETE FROM consultation_votes WHERE statement = ? AND participant = ?",
            (statement_id, participant),
        )

    def add_flag(
        self, statement_id: str, consultation_id: str, participant: str, reason: str, idx: int
    ) -> None:
        self._exec(
            "INSERT INTO consultation_flags (statement, consultation, participant, reason, idx) "
            "VALUES (?, ?, ?, ?, ?)",
            (statement_id, consultation_id, participant, reason, idx),
        )

    def put_translation(self, row: TranslationRow) -> None:
        sql = _upsert("consultation_translations", TRANSLATION, ("id",))
        self._exec(sql, _values(row, TRANSLATION))

    def add_decision(self, row: DecisionRow) -> None:
        marks = ", ".join("?" * len(DECISION))
        sql = f"INSERT INTO consultation_decisions ({', '.join(DECISION)}) VALUES ({marks})"  # noqa: S608
        self._exec(sql, _values(row, DECISION))

    def add_published(self, row: PublishedRow) -> None:
        marks = ", ".join("?" * len(PUBLISHED))
        sql = f"INSERT INTO consultation_published ({', '.join(PUBLISHED)}) VALUES ({marks})"  # noqa: S608
        self._exec(sql, _values(row, PUBLISHED))

    def add_participant(self, consultation_id: str, participant: str, subject: str) -> None:
        self._exec(
            "INSERT INTO consultation_participants (consultation, participant, subject) "
            "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (consultation_id, participant, subject),
        )

    def erase_opinions(self, subject: str) -> None:
        said = [
            str(r[0])
            for r in self._rows(
                _BY_SUBJECT.format(col="t.id", table="consultation_statements"), (subject,)
            )
        ]
        touched = {
            str(r[0])
            for table in ("consultation_votes", "consultation_flags")
            for r in self._rows(_BY_SUBJECT.format(col="t.statement", table=table), (subject,))
        } - set(said)
        for statement in said:
            for table in ("consultation_votes", "consultation_flags", "consultation_translations"):
                self._exec(f"DELETE FROM {table} WHERE statement = ?", (statement,))  # noqa: S608
            self._exec("DELETE FROM consultation_statements WHERE id = ?", (statement,))
        mine = (
            "(SELECT participant FROM consultation_participants WHERE subject = ? "
            "AND consultation = {t}.consultation)"
        )
        for table in ("consultation_votes", "consultation_flags", "consultation_translations"):
            self._exec(
                f"DELETE FROM {table} WHERE participant IN {mine.format(t=table)}",  # noqa: S608
                (subject,),
            )
        for statement in sorted(touched):
            self._recount(statement)
        self._exec("DELETE FROM consultation_participants WHERE subject = ?", (subject,))

    def _recount(self, statement: str) -> None:
        """Tallies from the votes and flags left; a hidden statement no longer flagged
        enough is shown again, as if the erased person had never flagged it."""
        count = "(SELECT count(*) FROM consultation_votes WHERE statement = ? AND vote = ?)"
        flags = "(SELECT count(*) FROM consultation_flags WHERE statement = ?)"
        self._exec(
            f"UPDATE consultation_statements SET agree = {count}, disagree = {count}, "  # noqa: S608
            f"passes = {count}, flags = {flags} WHERE id = ?",
            (statement, "agree", statement, "disagree", statement, "pass", statement, statement),
        )
        self._exec(
            "UPDATE consultation_statements SET status = 'published' "
            "WHERE id = ? AND status = 'hidden' AND flags < ?",
            (statement, FLAG_THRESHOLD),
        )
