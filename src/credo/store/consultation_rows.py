"""The rows of public consultations (`credo.ledger.kinds.consultations`): the consultations
and the moderators' decisions are the consortium's own, in clear; statements, votes, flags,
translations and participants come from personal entries and are political opinions (a
special category): only the operator's services read them, never a member's endpoint."""

from __future__ import annotations

from dataclasses import dataclass

from credo.store.rows import columns

CONSULTATION_PUBLIC = ("consultations", "consultation_decisions", "consultation_published")
CONSULTATION_PERSONAL = (
    "consultation_statements",
    "consultation_votes",
    "consultation_flags",
    "consultation_translations",
    "consultation_participants",
)
"""Derived from personal entries: a stranger's replay cannot rebuild them."""


@dataclass(frozen=True, slots=True)
class ConsultationRow:
    id: str
    convener: str
    question: str  # JSON object: language tag -> text
    description: str  # JSON object: language tag -> text
    opens_at: str
    closes_at: str
    moderation: str  # "pre" | "post"
    proposal: str | None
    moderators: str  # JSON list of member ids besides the convener
    opened_idx: int
    closed_idx: int | None = None
    closed_at: str | None = None


@dataclass(frozen=True, slots=True)
class StatementRow:
    """A statement and its running tallies. ``status``: pending (waiting for review),
    published (shown, not reviewed yet), hidden (flagged, waiting for review), accepted,
    rejected."""

    id: str
    consultation: str
    participant: str
    lang: str
    text: str
    status: str
    submitted_idx: int
    submitted_at: str
    agree: int = 0
    disagree: int = 0
    passes: int = 0
    flags: int = 0
    reason: str | None = None
    decided_at: str | None = None


@dataclass(frozen=True, slots=True)
class OpinionVoteRow:
    """One participant's current vote on one statement, and the language they saw it in."""

    statement: str
    participant: str
    consultation: str
    vote: str  # agree | disagree | pass
    shown: str
    idx: int
    at: str


@dataclass(frozen=True, slots=True)
class TranslationRow:
    id: str
    statement: str
    consultation: str
    lang: str
    text: str
    translator: str  # author | volunteer | moderator
    participant: str | None  # who proposed it (None: a moderator's own)
    status: str  # proposed | accepted | rejected
    idx: int
    at: str


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """A moderator's decision, as the public log shows it: never the text."""

    idx: int
    consultation: str
    item: str
    decision: str  # accept | reject
    reason: str
    moderator: str
    at: str


@dataclass(frozen=True, slots=True)
class PublishedRow:
    """A consultation's published documents, as the log names them: a result
    (``consultation.result``: the matrix and result hashes, the parameters) or an import
    (``consultation.import``: the matrix and the whole conversation's hashes)."""

    idx: int
    consultation: str
    kind: str  # result | import
    matrix: str  # hex SHA-256 of the vote matrix document
    result: str | None  # hex SHA-256 of the result document
    conversation: str | None  # hex SHA-256 of the imported conversation document
    params: str | None  # JSON: the analysis parameters
    at: str


CONSULTATION = columns(ConsultationRow)
PUBLISHED = columns(PublishedRow)
STATEMENT = columns(StatementRow)
OPINION_VOTE = columns(OpinionVoteRow)
TRANSLATION = columns(TranslationRow)
DECISION = columns(DecisionRow)
