"""Public consultations, as the operator runs them (`credo.ledger.kinds.consultations`).

Conveners and moderators sign their own entries (open, close, moderate, translate). For a
person signed in to the portal, by subject ref only, the operator seals and signs what they
say: statements, votes, flags and proposed translations, each a personal entry carrying
the person's participant id for that consultation, which only the vault derives.

What people say is a political opinion. Nothing here logs a vote, a statement's author or a
participant id, and nothing here is reachable from a member's endpoint except the texts a
moderator must read to decide (never their authors). Checks that can refuse run before the
entry is made: a refused statement or vote writes nothing.
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from statistics import median
from typing import Any

import regex

from credo.errors import EntryRejected, InputError, NotFound, PermissionDenied, RateLimited
from credo.ledger.entries import envelope_json, make_envelope
from credo.ledger.keys import MemberKey
from credo.ledger.kinds.consultations import (
    ACCEPT_REASON,
    FLAG_REASONS,
    LANGS,
    REJECT_REASONS,
    VOTES,
    is_open,
    moderators_of,
)
from credo.ledger.schema import parse_utc, utc_now
from credo.ledger.sequencer import Accepted
from credo.services.people import People
from credo.store import SHOWN, ConsultationRow, StatementRow, TranslationRow

LIMITS = {"en": 280, "th": 200, "zh-Hans": 140, "zh-Hant": 140}
"""A statement's length limit in grapheme clusters (what a reader counts as characters),
per language. 280 for English, as the long-standing microblog limit; 140 for Chinese, where
one character carries about a word (microblogs count a CJK character as two Latin ones for
the same reason); 200 for Thai, whose clusters (a consonant with its vowel and tone marks)
carry more than a Latin letter and less than a Chinese character."""

VISIT_CAP = 20
"""Statements shown in one visit before the person is asked whether they want more."""

RATE = (5, timedelta(hours=1))
"""At most 5 statements per person per consultation in any hour."""

_GRAPHEME = regex.compile(r"\X")
_VISIBLE = {"L", "N", "P", "S"}
"""Letters, numbers, punctuation and symbols: a mark alone (a lone Thai vowel sign or
combining accent) or a format character (zero-width space, joiner) shows nothing."""
_OPENCC = {("zh-Hans", "zh-Hant"): "s2twp", ("zh-Hant", "zh-Hans"): "tw2sp"}


def graphemes(text: str) -> int:
    """User-perceived characters (Unicode extended grapheme clusters, UAX #29)."""
    return len(_GRAPHEME.findall(text))


def clean_text(text: object, lang: str) -> str:
    """A statement or translation as stored: NFC, trimmed, within its language's limit;
    refuses empty, over-long, control-character and invisible-only text."""
    if lang not in LIMITS:
        raise InputError(f"language is one of {', '.join(LANGS)}", code="bad_language")
    if not isinstance(text, str):
        raise InputError("a statement is text", code="empty_statement")
    text = unicodedata.normalize("NFC", text).strip()
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n" for ch in text):
        raise InputError("a statement holds no control characters", code="bad_statement")
    if not any(unicodedata.category(ch)[0] in _VISIBLE for ch in text):
        raise InputError("a statement needs some visible text", code="empty_statement")
    count, limit = graphemes(text), LIMITS[lang]
    if count > limit:
        raise InputError(
            f"a statement in {lang} is at most {limit} characters; this one is {count}",
            code="statement_too_long",
        )
    return text


@lru_cache(maxsize=2)
def _converter(config: str) -> Any:
    import opencc  # imported on first use: only zh-Hans <-> zh-Hant readers need it

    return opencc.OpenCC(config)


def convert_chinese(text: str, source: str, target: str) -> str:
    """zh-Hans <-> zh-Hant by OpenCC (with Taiwan phrases): the automatic translation."""
    return str(_converter(_OPENCC[(source, target)]).convert(text))


def lang_of_portal(code: str) -> str:
    """The portal's catalog code (``zh_Hans``) as the consultation's language tag."""
    return code.replace("_", "-")


@dataclass(frozen=True, slots=True)
class Shown:
    """A statement as one reader sees it: in their language where possible, with who
    translated it, and the original always at hand."""

    id: str
    lang: str
    text: str
    original_lang: str
    original: str
    translator: str | None  # None: the original; author | volunteer | moderator | automatic
    status: str
    counts: tuple[int, int, int]


class Consultations:
    """The consultation services over one node (through the people's-data service)."""

    def __init__(self, people: People) -> None:
        self.people = people
        self.store = people.store
        self.vault = people.vault

    # -- the consortium's side ---------------------------------------------------------------

    def _submit(
        self, kind: str, by: str, body: dict[str, Any], *, at: str | None, key: MemberKey
    ) -> Accepted:
        """Sign one of the consortium's own consultation entries with ``key`` and sequence
        it; raise if it is refused."""
        envelope = make_envelope(kind, by, body, [key], at=at)
        outcome = self.people.writer.submit([envelope_json(envelope)])[0]
        if isinstance(outcome, EntryRejected):
            raise outcome
        return outcome

    def open(
        self,
        convener: str,
        key: MemberKey,
        consultation_id: str,
        question: dict[str, str],
        *,
        description: dict[str, str] | None = None,
        opens_at: str | None = None,
        closes_at: str,
        moderation: str = "post",
        proposal: str | None = None,
        moderators: list[str] | None = None,
        at: str | None = None,
    ) -> Accepted:
        body: dict[str, Any] = {
            "id": consultation_id,
            "question": question,
            "description": description or {},
            "opens_at": opens_at or at or utc_now(),
            "closes_at": closes_at,
            "moderation": moderation,
            "moderators": moderators or [],
        }
        if proposal is not None:
            body["proposal"] = proposal
        return self._submit("consultation.open", convener, body, at=at, key=key)

    def close(
        self, convener: str, key: MemberKey, consultation_id: str, at: str | None = None
    ) -> Accepted:
        body = {"id": consultation_id, "reason": "ended"}
        return self._submit("consultation.close", convener, body, at=at, key=key)

    def moderate(
        self,
        moderator: str,
        key: MemberKey,
        consultation_id: str,
        item: str,
        decision: str,
        reason: str | None = None,
        at: str | None = None,
    ) -> Accepted:
        """Accept (reason ``meets_guidelines``) or reject with a reason from the fixed list."""
        body = {
            "consultation": consultation_id,
            "item": item,
            "decision": decision,
            "reason": reason or (ACCEPT_REASON if decision == "accept" else "off_topic"),
        }
        return self._submit("consultation.moderate", moderator, body, at=at, key=key)

    def translate_as_moderator(
        self,
        moderator: str,
        key: MemberKey,
        consultation_id: str,
        statement_id: str,
        lang: str,
        text: str,
        at: str | None = None,
    ) -> str:
        item = secrets.token_hex(16)
        body = {
            "consultation": consultation_id,
            "statement": statement_id,
            "id": item,
            "lang": lang,
            "text": clean_text(text, lang),
        }
        self._submit("consultation.translation", moderator, body, at=at, key=key)
        return item

    def review_queue(self, moderator: str, consultation_id: str) -> list[dict[str, Any]]:
        """What a moderator decides on: waiting, published-unreviewed and hidden statements
        and proposed translations, by id, language and text: never who wrote them."""
        c = self.consultation(consultation_id)
        if moderator not in moderators_of(c):
            raise PermissionDenied("you do not moderate this consultation", code="not_moderator")
        out: list[dict[str, Any]] = [
            {"item": s.id, "kind": "statement", "lang": s.lang, "text": s.text, "status": s.status}
            for s in self.store.statements_in(c.id)
            if s.status in ("pending", "published", "hidden")
        ]
        out += [
            {
                "item": t.id,
                "kind": "translation",
                "lang": t.lang,
                "text": t.text,
                "status": "proposed",
            }
            for t in self.store.translations_in(c.id)
            if t.status == "proposed"
        ]
        return out

    # -- what anyone may see ---------------------------------------------------------------

    def consultation(self, consultation_id: str) -> ConsultationRow:
        found = (
            self.store.get_consultation(consultation_id)
            if isinstance(consultation_id, str)
            else None
        )
        if found is None:
            raise NotFound("no such consultation", code="unknown_consultation")
        return found

    def summary(
        self, c: ConsultationRow, reader_lang: str, now: str | None = None
    ) -> dict[str, Any]:
        """A consultation for a page: the question in the reader's language where it was
        asked in it (else the first asked), its window, and whether it is open now."""
        question: dict[str, str] = json.loads(c.question)
        description: dict[str, str] = json.loads(c.description)
        lang = reader_lang if reader_lang in question else next(iter(question))
        shown = self.store.statements_in(c.id)
        return {
            "id": c.id,
            "question": question[lang],
            "question_lang": lang,
            "description": description.get(lang, ""),
            "opens_at": c.opens_at,
            "closes_at": c.closes_at,
            "closed_at": c.closed_at,
            "open": is_open(c, now or utc_now()),
            "moderation": c.moderation,
            "proposal": c.proposal,
            "statements": sum(1 for s in shown if s.status in SHOWN),
            "votes": sum(s.agree + s.disagree + s.passes for s in shown),
        }

    def listing(self, reader_lang: str = "en") -> list[dict[str, Any]]:
        return [self.summary(c, reader_lang) for c in reversed(self.store.list_consultations())]

    def for_proposal(self, proposal_id: str) -> list[ConsultationRow]:
        """The consultations that inform a governance proposal."""
        return [c for c in self.store.list_consultations() if c.proposal == proposal_id]

    def shown(self, s: StatementRow, reader: str, translations: list[TranslationRow]) -> Shown:
        counts = (s.agree, s.disagree, s.passes)
        if reader != s.lang:
            accepted = [
                t
                for t in translations
                if t.statement == s.id and t.lang == reader and t.status == "accepted"
            ]
            if accepted:
                t = accepted[-1]
                return Shown(s.id, reader, t.text, s.lang, s.text, t.translator, s.status, counts)
            if (s.lang, reader) in _OPENCC:
                text = convert_chinese(s.text, s.lang, reader)
                return Shown(s.id, reader, text, s.lang, s.text, "automatic", s.status, counts)
        return Shown(s.id, s.lang, s.text, s.lang, s.text, None, s.status, counts)

    def statements(self, consultation_id: str, reader: str) -> list[Shown]:
        c = self.consultation(consultation_id)
        translations = self.store.translations_in(c.id)
        return [
            self.shown(s, reader, translations)
            for s in self.store.statements_in(c.id)
            if s.status in SHOWN
        ]

    def moderation_log(self, consultation_id: str) -> dict[str, Any]:
        """The public moderation log: decisions counted by decision and reason, and how long
        statements waited for one; never a rejected statement's text, nor anyone's id."""
        c = self.consultation(consultation_id)
        decisions = self.store.decisions_in(c.id)
        counts = Counter((d.decision, d.reason) for d in decisions)
        submitted = {s.id: s.submitted_at for s in self.store.statements_in(c.id)}
        waits = [
            (parse_utc(d.at) - parse_utc(submitted[d.item])).total_seconds() / 3600
            for d in decisions
            if d.item in submitted
        ]
        waiting = Counter(s.status for s in self.store.statements_in(c.id))
        return {
            "counts": [
                {"decision": d, "reason": r, "count": n} for (d, r), n in sorted(counts.items())
            ],
            "decided": len(decisions),
            "waiting": waiting.get("pending", 0) + waiting.get("hidden", 0),
            "median_hours": round(median(waits), 1) if waits else None,
            "max_hours": round(max(waits), 1) if waits else None,
        }

    # -- a person's side -------------------------------------------------------------------

    def participant(self, subject: str, consultation_id: str) -> str:
        found = self.vault.participant(subject, consultation_id)
        if found is None:
            raise NotFound("no key is held for you", code="unknown_subject")
        return found

    def _open_now(self, consultation_id: str, at: str) -> ConsultationRow:
        c = self.consultation(consultation_id)
        if not is_open(c, at):
            raise InputError("this consultation is not open", code="consultation_closed")
        return c

    def _personal(self, kind: str, subject: str, meta: dict[str, Any], at: str) -> Accepted:
        return self.people.submit_personal(kind, subject, meta, at)

    def next_statement(
        self, subject: str, consultation_id: str, reader: str, seen_this_visit: int
    ) -> tuple[Shown | None, bool]:
        """The next statement for the person, and whether the visit's cap was reached (then
        no statement until they ask for more)."""
        c = self.consultation(consultation_id)
        if seen_this_visit >= VISIT_CAP:
            return None, True
        me = self.participant(subject, c.id)
        found = self.store.next_statements(c.id, me, 1)
        if not found:
            return None, False
        return self.shown(found[0], reader, self.store.translations_of(found[0].id)), False

    def _statement(self, c: ConsultationRow, statement_id: str) -> StatementRow:
        s = self.store.get_statement(statement_id) if isinstance(statement_id, str) else None
        if s is None or s.consultation != c.id:
            raise NotFound("no such statement", code="unknown_statement")
        if s.status not in SHOWN:
            raise InputError(f"that statement is {s.status}", code="statement_not_shown")
        return s

    def vote(
        self,
        subject: str,
        consultation_id: str,
        statement_id: str,
        vote: str,
        shown: str,
        at: str | None = None,
    ) -> int:
        """Vote agree / disagree / pass, change a vote, or ``withdraw`` it: the log index of
        the entry (durable once this returns)."""
        at = at or utc_now()
        if vote not in (*VOTES, "withdraw"):
            raise InputError("a vote is agree, disagree or pass", code="bad_vote")
        if shown not in LANGS:
            raise InputError(f"language is one of {', '.join(LANGS)}", code="bad_language")
        c = self._open_now(consultation_id, at)
        s = self._statement(c, statement_id)
        me = self.participant(subject, c.id)
        if vote == "withdraw" and self.store.get_opinion_vote(s.id, me) is None:
            raise InputError("there is no vote to withdraw", code="no_vote")
        meta = {
            "consultation": c.id,
            "participant": me,
            "statement": s.id,
            "vote": vote,
            "shown": shown,
        }
        return self._personal("consultation.vote", subject, meta, at).index

    def vote_envelope(
        self,
        subject: str,
        consultation_id: str,
        statement_id: str,
        vote: str,
        shown: str,
        at: str,
    ) -> dict[str, Any]:
        """A vote sealed and signed but not submitted (the demo's batches): no checks but
        the ledger's."""
        meta = {
            "consultation": consultation_id,
            "participant": self.participant(subject, consultation_id),
            "statement": statement_id,
            "vote": vote,
            "shown": shown,
        }
        return self.people.operator_envelope("consultation.vote", subject, meta, at)

    def submit_statement(
        self, subject: str, consultation_id: str, lang: str, text: str, at: str | None = None
    ) -> str:
        """Write a statement; its id. Refused (nothing written) if empty, too long, the
        consultation is not open, or the person wrote too many in the last hour."""
        at = at or utc_now()
        text = clean_text(text, lang)
        c = self._open_now(consultation_id, at)
        me = self.participant(subject, c.id)
        most, window = RATE
        since = parse_utc(at) - window
        recent = [
            s for s in self.store.statements_by(c.id, me) if parse_utc(s.submitted_at) > since
        ]
        if len(recent) >= most:
            raise RateLimited(
                f"at most {most} statements an hour in one consultation; try again later"
            )
        item = secrets.token_hex(16)
        meta = {"consultation": c.id, "participant": me, "id": item, "lang": lang, "text": text}
        self._personal("consultation.statement", subject, meta, at)
        return item

    def statement_envelope(
        self, subject: str, consultation_id: str, lang: str, text: str, at: str
    ) -> tuple[str, dict[str, Any]]:
        item = secrets.token_hex(16)
        meta = {
            "consultation": consultation_id,
            "participant": self.participant(subject, consultation_id),
            "id": item,
            "lang": lang,
            "text": clean_text(text, lang),
        }
        return item, self.people.operator_envelope("consultation.statement", subject, meta, at)

    def flag(
        self,
        subject: str,
        consultation_id: str,
        statement_id: str,
        reason: str,
        at: str | None = None,
    ) -> None:
        at = at or utc_now()
        if reason not in FLAG_REASONS:
            raise InputError(f"a flag is one of {', '.join(FLAG_REASONS)}", code="bad_flag")
        c = self._open_now(consultation_id, at)
        s = self._statement(c, statement_id)
        me = self.participant(subject, c.id)
        if self.store.has_flagged(s.id, me):
            raise InputError("you flagged this statement already", code="already_flagged")
        meta = {"consultation": c.id, "participant": me, "statement": s.id, "reason": reason}
        self._personal("consultation.flag", subject, meta, at)

    def propose_translation(
        self,
        subject: str,
        consultation_id: str,
        statement_id: str,
        lang: str,
        text: str,
        at: str | None = None,
    ) -> str:
        at = at or utc_now()
        text = clean_text(text, lang)
        c = self.consultation(consultation_id)
        if c.closed_idx is not None:
            raise InputError("this consultation is closed", code="consultation_closed")
        s = self._statement(c, statement_id)
        if lang == s.lang:
            raise InputError("a translation is into another language", code="same_language")
        item = secrets.token_hex(16)
        meta = {
            "consultation": c.id,
            "participant": self.participant(subject, c.id),
            "statement": s.id,
            "id": item,
            "lang": lang,
            "text": text,
        }
        self._personal("consultation.translate", subject, meta, at)
        return item

    def mine(self, subject: str, consultation_id: str, reader: str) -> dict[str, Any]:
        """The person's own votes (with the statement as they would see it now) and
        statements with their fates: waiting, published, or rejected with the reason."""
        c = self.consultation(consultation_id)
        me = self.participant(subject, c.id)
        translations = self.store.translations_in(c.id)
        votes = []
        for v in self.store.votes_by(c.id, me):
            s = self.store.get_statement(v.statement)
            if s is None:
                continue
            votes.append(
                {
                    "vote": v.vote,
                    "shown": v.shown,
                    "index": v.idx,
                    "at": v.at,
                    "statement": self.shown(s, reader, translations),
                }
            )
        statements = [
            {
                "id": s.id,
                "lang": s.lang,
                "text": s.text,
                "index": s.submitted_idx,
                "at": s.submitted_at,
                "fate": _fate(s.status),
                "reason": s.reason,
                "counts": (s.agree, s.disagree, s.passes),
            }
            for s in self.store.statements_by(c.id, me)
        ]
        return {"votes": votes, "statements": statements}


def _fate(status: str) -> str:
    """What a person is told about their statement."""
    return {"pending": "waiting", "hidden": "waiting", "accepted": "published"}.get(status, status)


def moment(days: float = 0.0) -> str:
    """Now plus ``days``, RFC 3339 (for opening and closing times)."""
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


__all__ = [
    "LIMITS",
    "REJECT_REASONS",
    "VISIT_CAP",
    "Consultations",
    "Shown",
    "clean_text",
    "convert_chinese",
    "graphemes",
    "lang_of_portal",
]
