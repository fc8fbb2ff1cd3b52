"""Public consultations: the consortium asks, people answer with statements and votes.

A member with the ``convener`` role (granted by governance, ``grant_role``) opens a
consultation (``consultation.open``: the question in one or more of th, zh-Hans, zh-Hant and
en, its window, its moderation mode and optionally the proposal it informs) and closes it;
the convener and the moderators it named decide on statements and translations
(``consultation.moderate``, a reason from a fixed list) and may add a translation of their
own (``consultation.translation``). These are the consortium's entries, in clear.

What people say is a political opinion, a special category (`credo.ledger.categories`):
statements, votes, flags and proposed translations are personal entries, signed by the
operator for the person, sealed and unlinkable like every other. Each carries the person's
participant id for that one consultation (the vault's, `credo.vault.Vault.participant`),
which the live ledger checks, so one person has one voice per statement.

Everything is judged by the entries' own times and the log's state, so a replay reaches the
same state. A replay skips, rather than refuses, a personal entry about a statement that is
gone: the statement of a person since erased, whose votes erasure removed too.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field

from credo.errors import EntryRejected
from credo.ledger.personal import Meta, Personal, open_personal, require_person
from credo.ledger.registry import Context
from credo.ledger.schema import Body, MemberId, Timestamp, parse_utc
from credo.ledger.validate import Decoded
from credo.store import (
    FLAG_THRESHOLD,
    SHOWN,
    ConsultationRow,
    DecisionRow,
    MemberRow,
    OpinionVoteRow,
    PublishedRow,
    StatementRow,
    TranslationRow,
    WriteTx,
)

M = TypeVar("M", bound=Meta)
LANGS = ("th", "zh-Hans", "zh-Hant", "en")
Lang = Literal["th", "zh-Hans", "zh-Hant", "en"]
ConsultationId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]
ItemId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
ProposalRef = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]
Question = Annotated[str, Field(min_length=1, max_length=500)]
Description = Annotated[str, Field(max_length=4000)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
"""A bound on stored text; the services' per-script limits in grapheme clusters are lower."""

VOTES = ("agree", "disagree", "pass")
FLAG_REASONS = ("spam", "off_topic", "abusive")
ACCEPT_REASON = "meets_guidelines"
REJECT_REASONS = (
    "spam",
    "off_topic",
    "abusive",
    "personal_data",
    "duplicate",
    "unlawful",
    "not_a_statement",
    "inaccurate_translation",
)
"""The fixed list a moderator rejects with; the public moderation log counts by these."""


class Open(Body):
    id: ConsultationId
    question: Annotated[dict[Lang, Question], Field(min_length=1)]
    description: dict[Lang, Description] = Field(default_factory=dict)
    opens_at: Timestamp
    closes_at: Timestamp
    moderation: Literal["pre", "post"]
    proposal: ProposalRef | None = None
    moderators: Annotated[list[MemberId], Field(max_length=32)] = Field(default_factory=list)


class Close(Body):
    id: ConsultationId
    reason: Literal["ended", "withdrawn"] = "ended"


class Moderate(Body):
    consultation: ConsultationId
    item: ItemId
    decision: Literal["accept", "reject"]
    reason: Literal[(ACCEPT_REASON, *REJECT_REASONS)]  # type: ignore[valid-type]


class ModeratorTranslation(Body):
    consultation: ConsultationId
    statement: ItemId
    id: ItemId
    lang: Lang
    text: Text


Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
AlgorithmName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9._-]{0,63}$")]
AlgorithmVersion = Annotated[str, Field(pattern=r"^[0-9A-Za-z._-]{1,32}$")]


class Result(Body):
    """A published analysis (issue 29): which algorithm, version, parameters and seed, the
    SHA-256 of the anonymised vote matrix (per-consultation pseudonyms only) and of the
    result document. Anyone holding the two documents recomputes the one from the other
    (`credo consultation verify`); the documents are served beside the consultation."""

    consultation: ConsultationId
    algorithm: AlgorithmName
    version: AlgorithmVersion
    params: dict[str, Any]
    """The analysis parameters in full (`credo.consultation.Params`), the seed included."""
    seed: Annotated[int, Field(ge=0, lt=2**32)]
    matrix: Sha256
    result: Sha256
    votes_through: Annotated[int, Field(ge=0)]
    """The log size the matrix was read at: votes after it are in a later result."""


class Import(Body):
    """A conversation held elsewhere (a Pol.is open-data export), brought in as a closed
    consultation. Its participants were never credo's people, so it has no personal entries:
    this one entry names the hash of the whole conversation as exported (comments and every
    vote) and of the vote matrix read from it, and says where it came from. Honest about
    being an import: nobody can check those votes against this log, only that these are the
    documents the convener brought in."""

    id: ConsultationId
    question: Annotated[dict[Lang, Question], Field(min_length=1)]
    source: Literal["polis"]
    source_url: Annotated[str, Field(max_length=500)] = ""
    licence: Annotated[str, Field(max_length=200)] = ""
    conversation: Sha256
    matrix: Sha256
    statements: Annotated[int, Field(ge=0)]
    participants: Annotated[int, Field(ge=0)]
    votes: Annotated[int, Field(ge=0)]
    opens_at: Timestamp
    closes_at: Timestamp


class StatementMeta(Meta):
    consultation: ConsultationId
    participant: ItemId
    id: ItemId
    lang: Lang
    text: Text


class VoteMeta(Meta):
    consultation: ConsultationId
    participant: ItemId
    statement: ItemId
    vote: Literal["agree", "disagree", "pass", "withdraw"]
    shown: Lang
    """The language version the voter saw."""


class FlagMeta(Meta):
    consultation: ConsultationId
    participant: ItemId
    statement: ItemId
    reason: Literal["spam", "off_topic", "abusive"]


class TranslateMeta(Meta):
    consultation: ConsultationId
    participant: ItemId
    statement: ItemId
    id: ItemId
    lang: Lang
    text: Text


# -- the consortium's entries ---------------------------------------------------------------


def _seconds(ts: str) -> float:
    return parse_utc(ts).timestamp()


def is_open(c: ConsultationRow, at: str) -> bool:
    """Whether ``c`` takes statements and votes at time ``at`` (an entry's own time)."""
    return c.closed_idx is None and _seconds(c.opens_at) <= _seconds(at) < _seconds(c.closes_at)


def _consultation(tx: WriteTx, consultation_id: str) -> ConsultationRow:
    found = tx.get_consultation(consultation_id)
    if found is None:
        raise EntryRejected(f"no consultation {consultation_id!r}", code="unknown_consultation")
    return found


def moderators_of(c: ConsultationRow) -> set[str]:
    return {c.convener, *json.loads(c.moderators)}


def apply_open(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    body = Open.model_validate(entry.body)
    if tx.get_consultation(body.id) is not None:
        raise EntryRejected(f"consultation {body.id!r} already exists", code="consultation_exists")
    if _seconds(body.closes_at) <= _seconds(body.opens_at):
        raise EntryRejected("closes_at must be after opens_at", code="bad_window")
    if body.proposal is not None and tx.get_proposal(body.proposal) is None:
        raise EntryRejected(f"no proposal {body.proposal!r}", code="unknown_proposal")
    for member_id in body.moderators:
        member = tx.get_member(member_id)
        if member is None or member.status != "active":
            raise EntryRejected(f"no active member {member_id!r}", code="unknown_member")
    tx.put_consultation(
        ConsultationRow(
            body.id,
            signer.id,
            json.dumps(body.question, sort_keys=True, ensure_ascii=False),
            json.dumps(body.description, sort_keys=True, ensure_ascii=False),
            body.opens_at,
            body.closes_at,
            body.moderation,
            body.proposal,
            json.dumps(sorted(set(body.moderators))),
            index,
        )
    )


def apply_close(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    body = Close.model_validate(entry.body)
    found = _consultation(tx, body.id)
    if found.convener != signer.id:
        raise EntryRejected("only the convener closes a consultation", code="not_convener")
    if found.closed_idx is not None:
        raise EntryRejected(f"consultation {body.id!r} is closed", code="consultation_closed")
    tx.put_consultation(replace(found, closed_idx=index, closed_at=entry.at))


def _moderator(tx: WriteTx, consultation_id: str, signer: MemberRow) -> ConsultationRow:
    found = _consultation(tx, consultation_id)
    if signer.id not in moderators_of(found):
        raise EntryRejected(
            f"{signer.id!r} does not moderate {consultation_id!r}", code="not_moderator"
        )
    return found


def apply_moderate(
    tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context
) -> None:
    """The decision is public and recorded whoever replays; what it decides about (a
    statement or a translation, personal state) only where the vault is at hand."""
    body = Moderate.model_validate(entry.body)
    c = _moderator(tx, body.consultation, signer)
    if (body.decision == "accept") != (body.reason == ACCEPT_REASON):
        raise EntryRejected(
            f"accept with {ACCEPT_REASON!r}; reject with one of {', '.join(REJECT_REASONS)}",
            code="bad_reason",
        )
    if ctx.opener is not None:
        _decide(tx, c, body, entry.at, skip_missing=ctx.policy is None)
    tx.add_decision(
        DecisionRow(index, c.id, body.item, body.decision, body.reason, signer.id, entry.at)
    )


def _decide(tx: WriteTx, c: ConsultationRow, body: Moderate, at: str, skip_missing: bool) -> None:
    status = "accepted" if body.decision == "accept" else "rejected"
    statement = tx.get_statement(body.item)
    if statement is not None and statement.consultation == c.id:
        if statement.status in ("accepted", "rejected"):
            raise EntryRejected("that statement was already decided", code="already_moderated")
        tx.put_statement(replace(statement, status=status, reason=body.reason, decided_at=at))
        return
    translation = tx.get_translation(body.item)
    if translation is not None and translation.consultation == c.id:
        if translation.status != "proposed":
            raise EntryRejected("that translation was already decided", code="already_moderated")
        tx.put_translation(replace(translation, status=status))
        return
    if not skip_missing:
        raise EntryRejected("no such statement or translation here", code="unknown_item")


def apply_moderator_translation(
    tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context
) -> None:
    body = ModeratorTranslation.model_validate(entry.body)
    c = _moderator(tx, body.consultation, signer)
    if ctx.opener is None:
        return  # statements are personal state: nothing to attach it to here
    statement = _shown_statement(tx, c, body.statement, ctx)
    if statement is None:
        return
    _check_translation(tx, statement, body.id, body.lang)
    tx.put_translation(
        TranslationRow(
            body.id,
            statement.id,
            c.id,
            body.lang,
            body.text,
            "moderator",
            None,
            "accepted",
            index,
            entry.at,
        )
    )


def apply_result(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    """Only the convener, or the operator (an admin), publishes a consultation's result."""
    body = Result.model_validate(entry.body)
    c = _consultation(tx, body.consultation)
    if signer.id != c.convener and "admin" not in signer.roles:
        raise EntryRejected(
            "only the convener or the operator publishes a result", code="not_convener"
        )
    if body.params.get("seed") != body.seed:
        raise EntryRejected("the seed differs from the parameters' seed", code="bad_params")
    if body.votes_through > index:
        raise EntryRejected("votes_through is after this entry", code="bad_params")
    tx.add_published(
        PublishedRow(
            index,
            c.id,
            "result",
            body.matrix,
            body.result,
            None,
            json.dumps(body.params, sort_keys=True, separators=(",", ":")),
            entry.at,
        )
    )


def apply_import(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    """The imported conversation becomes a consultation closed at once."""
    body = Import.model_validate(entry.body)
    if tx.get_consultation(body.id) is not None:
        raise EntryRejected(f"consultation {body.id!r} already exists", code="consultation_exists")
    if _seconds(body.closes_at) < _seconds(body.opens_at):
        raise EntryRejected("closes_at must not be before opens_at", code="bad_window")
    tx.put_consultation(
        ConsultationRow(
            body.id,
            signer.id,
            json.dumps(body.question, sort_keys=True, ensure_ascii=False),
            json.dumps({}, sort_keys=True),
            body.opens_at,
            body.closes_at,
            "imported",
            None,
            json.dumps([]),
            index,
            index,
            entry.at,
        )
    )
    tx.add_published(
        PublishedRow(index, body.id, "import", body.matrix, None, body.conversation, None, entry.at)
    )


# -- personal entries -----------------------------------------------------------------------


def _participant(
    tx: WriteTx, p: Personal[M], consultation: str, participant: str, ctx: Context
) -> None:
    """The live ledger checks the participant id is the person's own for this consultation
    (so nobody votes twice, or as somebody else) and notes whom it stands for."""
    if p.subject is None:
        raise EntryRejected("a personal entry names no person", code="bad_tag")
    if ctx.opener is not None and ctx.policy is not None:
        expected = ctx.opener.participant(p.subject, consultation)
        if expected != participant:
            raise EntryRejected("not this person's participant id", code="bad_participant")
    tx.add_participant(consultation, participant, p.subject)


def _open_consultation(tx: WriteTx, consultation_id: str, at: str) -> ConsultationRow:
    c = _consultation(tx, consultation_id)
    if not is_open(c, at):
        raise EntryRejected(
            f"consultation {consultation_id!r} is not open", code="consultation_closed"
        )
    return c


def _shown_statement(
    tx: WriteTx, c: ConsultationRow, statement_id: str, ctx: Context
) -> StatementRow | None:
    """The statement, shown to people; None in a replay where it is gone (erased)."""
    found = tx.get_statement(statement_id)
    if found is None or found.consultation != c.id:
        if ctx.policy is None:
            return None
        raise EntryRejected("no such statement in this consultation", code="unknown_statement")
    if found.status not in SHOWN:
        raise EntryRejected(f"that statement is {found.status}", code="statement_not_shown")
    return found


def _check_item_free(tx: WriteTx, item: str) -> None:
    """Statements and translations share one id space (moderation names either by id)."""
    if tx.get_statement(item) is not None or tx.get_translation(item) is not None:
        raise EntryRejected("that id is taken", code="item_exists")


def _check_translation(tx: WriteTx, statement: StatementRow, item: str, lang: str) -> None:
    if lang == statement.lang:
        raise EntryRejected("a translation is into another language", code="same_language")
    _check_item_free(tx, item)


def apply_statement(
    tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context
) -> None:
    p = open_personal(tx, index, entry, ctx, StatementMeta)
    body = require_person(tx, p, ctx)
    if body is None or p.subject is None:
        p.mark(tx)
        return
    c = _open_consultation(tx, body.consultation, entry.at)
    _check_item_free(tx, body.id)
    _participant(tx, p, c.id, body.participant, ctx)
    p.mark(tx)
    status = "pending" if c.moderation == "pre" else "published"
    tx.put_statement(
        StatementRow(body.id, c.id, body.participant, body.lang, body.text, status, index, entry.at)
    )


_DELTA = {"agree": (1, 0, 0), "disagree": (0, 1, 0), "pass": (0, 0, 1)}


def apply_vote(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    """A vote, a changed vote, or its withdrawal: the participant's latest word counts."""
    p = open_personal(tx, index, entry, ctx, VoteMeta)
    body = require_person(tx, p, ctx)
    if body is None or p.subject is None:
        p.mark(tx)
        return
    c = _open_consultation(tx, body.consultation, entry.at)
    statement = _shown_statement(tx, c, body.statement, ctx)
    before = None if statement is None else tx.get_opinion_vote(statement.id, body.participant)
    if statement is not None and body.vote == "withdraw" and before is None:
        raise EntryRejected("there is no vote to withdraw", code="no_vote")
    _participant(tx, p, c.id, body.participant, ctx)
    p.mark(tx)
    if statement is None:
        return
    delta = [0, 0, 0]
    if before is not None:
        delta = [d - b for d, b in zip(delta, _DELTA[before.vote], strict=True)]
    if body.vote == "withdraw":
        tx.delete_opinion_vote(statement.id, body.participant)
    else:
        delta = [d + n for d, n in zip(delta, _DELTA[body.vote], strict=True)]
        tx.put_opinion_vote(
            OpinionVoteRow(
                statement.id, body.participant, c.id, body.vote, body.shown, index, entry.at
            )
        )
    tx.tally(statement.id, delta[0], delta[1], delta[2], 0)


def apply_flag(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    p = open_personal(tx, index, entry, ctx, FlagMeta)
    body = require_person(tx, p, ctx)
    if body is None or p.subject is None:
        p.mark(tx)
        return
    c = _open_consultation(tx, body.consultation, entry.at)
    statement = _shown_statement(tx, c, body.statement, ctx)
    if statement is not None and tx.has_flagged(statement.id, body.participant):
        raise EntryRejected("you flagged this statement already", code="already_flagged")
    _participant(tx, p, c.id, body.participant, ctx)
    p.mark(tx)
    if statement is None:
        return
    tx.add_flag(statement.id, c.id, body.participant, body.reason, index)
    tx.tally(statement.id, 0, 0, 0, 1)
    if statement.status == "published" and statement.flags + 1 >= FLAG_THRESHOLD:
        tx.put_statement(replace(statement, status="hidden", flags=statement.flags + 1))


def apply_translate(
    tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context
) -> None:
    p = open_personal(tx, index, entry, ctx, TranslateMeta)
    body = require_person(tx, p, ctx)
    if body is None or p.subject is None:
        p.mark(tx)
        return
    c = _consultation(tx, body.consultation)
    if c.closed_idx is not None:
        raise EntryRejected(f"consultation {c.id!r} is closed", code="consultation_closed")
    statement = _shown_statement(tx, c, body.statement, ctx)
    if statement is not None:
        _check_translation(tx, statement, body.id, body.lang)
    _participant(tx, p, c.id, body.participant, ctx)
    p.mark(tx)
    if statement is None:
        return
    translator = "author" if body.participant == statement.participant else "volunteer"
    tx.put_translation(
        TranslationRow(
            body.id,
            statement.id,
            c.id,
            body.lang,
            body.text,
            translator,
            body.participant,
            "proposed",
            index,
            entry.at,
        )
    )
