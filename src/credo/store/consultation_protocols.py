"""What a store offers about public consultations (`credo.store.consultation_rows`): the
reads the services and the ledger's transitions make, and the writes of the transitions."""

from __future__ import annotations

from typing import Protocol

from credo.store.consultation_rows import (
    ConsultationRow,
    DecisionRow,
    OpinionVoteRow,
    PublishedRow,
    StatementRow,
    TranslationRow,
)


class ConsultationReader(Protocol):
    def get_consultation(self, consultation_id: str) -> ConsultationRow | None: ...

    def list_consultations(self) -> list[ConsultationRow]: ...

    def get_statement(self, statement_id: str) -> StatementRow | None: ...

    def statements_in(self, consultation_id: str) -> list[StatementRow]:
        """Every statement of a consultation, oldest first."""
        ...

    def next_statements(
        self, consultation_id: str, participant: str, limit: int
    ) -> list[StatementRow]:
        """Shown statements (published or accepted) the participant has not voted on,
        fewest votes first, then fewest passes, then oldest: Pol.is's routing idea, which
        spreads votes over every statement."""
        ...

    def statements_by(self, consultation_id: str, participant: str) -> list[StatementRow]: ...

    def get_opinion_vote(self, statement_id: str, participant: str) -> OpinionVoteRow | None: ...

    def votes_by(self, consultation_id: str, participant: str) -> list[OpinionVoteRow]: ...

    def has_flagged(self, statement_id: str, participant: str) -> bool: ...

    def get_translation(self, translation_id: str) -> TranslationRow | None: ...

    def translations_in(self, consultation_id: str) -> list[TranslationRow]: ...

    def translations_of(self, statement_id: str) -> list[TranslationRow]:
        """A statement's translations, proposed, accepted and rejected, oldest first."""
        ...

    def decisions_in(self, consultation_id: str) -> list[DecisionRow]: ...

    def published_in(self, consultation_id: str) -> list[PublishedRow]:
        """Published results and the import, oldest first."""
        ...

    def opinion_votes_in(self, consultation_id: str) -> list[tuple[str, str, str, str]]:
        """Every current vote: (participant, statement, vote, shown)."""
        ...

    def consultation_version(self, consultation_id: str) -> tuple[int, ...]:
        """Changes whenever the consultation's result would (the results cache's key)."""
        ...


class ConsultationWriter(ConsultationReader, Protocol):
    def put_consultation(self, row: ConsultationRow) -> None: ...

    def put_statement(self, row: StatementRow) -> None: ...

    def tally(self, statement_id: str, agree: int, disagree: int, passes: int, flags: int) -> None:
        """Add to a statement's running counts (negative to take away)."""
        ...

    def put_opinion_vote(self, row: OpinionVoteRow) -> None:
        """Store the participant's vote on the statement, replacing an earlier one."""
        ...

    def delete_opinion_vote(self, statement_id: str, participant: str) -> None: ...

    def add_flag(
        self, statement_id: str, consultation_id: str, participant: str, reason: str, idx: int
    ) -> None: ...

    def put_translation(self, row: TranslationRow) -> None: ...

    def add_decision(self, row: DecisionRow) -> None: ...

    def add_published(self, row: PublishedRow) -> None: ...

    def add_participant(self, consultation_id: str, participant: str, subject: str) -> None:
        """Note whom a participant id stands for (for erasure); a repeat is ignored."""
        ...

    def erase_opinions(self, subject: str) -> None:
        """Forget everything the person said in any consultation: their statements (and
        every vote, flag and translation on those), their votes and flags (taken out of the
        tallies), their translations and participant ids."""
        ...
