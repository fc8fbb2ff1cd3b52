"""What a signed-in person sees and does about themselves, by their subject ref.

The portal holds a session's subject ref and nothing else: it never sees a national id. Every
method here answers only about that subject; an identifier of anyone else's record, consent
or dispute is answered exactly as an identifier that does not exist (`NotFound`), so a person
cannot even learn that someone else's record exists.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from credo.errors import NotFound
from credo.ledger.categories import SPECIAL_CATEGORIES
from credo.ledger.entries import statement_of
from credo.ledger.personal import open_statements
from credo.ledger.schema import rfc3339
from credo.scoring import score_subject
from credo.scoring.model import ScoringRecord
from credo.services import scores
from credo.services.people import People
from credo.services.programme import Programme
from credo.services.views import (
    AccessView,
    ConsentView,
    DisputeView,
    EntryView,
    Export,
    OwnRecord,
    RecordView,
    record_view,
)
from credo.store import DisputeRow, RecordRow, RulesRow, Store

NAME_TYPE = "identity.registered"
"""The registry's record that carries a person's name (its payload's ``name``)."""

HISTORY_MONTHS = 12

ACCOUNT_KINDS = ("account.code", "account.device")
"""The log's entries about a person's portal account (`credo.ledger.kinds.accounts`)."""


def _stamp(moment: datetime) -> str:
    return rfc3339(moment.timestamp())


T = TypeVar("T")


class _PageReads:
    """A store whose reads of a person's records and disputes (and of the rules and their
    enrolment) are kept while the log does not grow. One page asks for them up to five
    times (the name in its header, the score, its explanation, the history, the list): the
    busiest person's dashboard read and decoded their 72 records five times. A record or
    dispute changes only with an entry on the log, so the log's size says when what was
    kept is stale (a page that writes and then reads sees its own write). One is made per
    `Person`, that is per request."""

    def __init__(self, store: Store, *, snapshot: bool = False) -> None:
        """``snapshot``: the log's size is read once, for a page that writes nothing to the
        log (a GET): each later check was a query, 7% of the score page's time."""
        self._store = store
        self._kept: dict[tuple[str, ...], tuple[int, Any]] = {}
        self._snapshot = snapshot
        self._size: int | None = None

    def _tree_size(self) -> int:
        if self._size is None or not self._snapshot:
            self._size = self._store.tree_size()
        return self._size

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def _read(self, what: str, *args: str) -> Any:
        size = self._tree_size()
        kept = self._kept.get((what, *args))
        if kept is not None and kept[0] == size:
            return kept[1]
        found = getattr(self._store, what)(*args)
        self._kept[(what, *args)] = (size, found)
        return found

    def derived(self, what: str, make: Callable[[], T]) -> T:
        """A value worked out from this page's reads, kept as they are."""
        size = self._tree_size()
        kept = self._kept.get(("derived", what))
        if kept is not None and kept[0] == size:
            return cast(T, kept[1])
        value = make()
        self._kept[("derived", what)] = (size, value)
        return value

    def records_of(self, subject: str) -> list[RecordRow]:
        rows: list[RecordRow] = self._read("records_of", subject)
        return list(rows)

    def disputes_of(self, subject: str) -> list[DisputeRow]:
        rows: list[DisputeRow] = self._read("disputes_of", subject)
        return list(rows)

    # The score page asks for the rules and the enrolment up to six times each.

    def rules_history(self) -> list[RulesRow]:
        rows: list[RulesRow] = self._read("rules_history")
        return list(rows)

    def serving_rules(self) -> str | None:
        serving: str | None = self._read("serving_rules")
        return serving

    def current_rules(self) -> RulesRow | None:
        current: RulesRow | None = self._read("current_rules")
        return current

    def is_enrolled(self, subject: str) -> bool:
        return bool(self._read("is_enrolled", subject))


class Person:
    """One person's own data, through the people's-data service and the programme."""

    def __init__(self, people: People, subject: str, *, reading: bool = False) -> None:
        """``reading``: for a request that writes nothing to the log (a page's GET), whose
        reads may then all be of the log's size at the first."""
        self.people = people
        self.store = cast(Store, _PageReads(people.store, snapshot=reading))
        self.subject = subject
        self.programme = Programme(people)

    # -- records ---------------------------------------------------------------------------

    def records(self) -> list[RecordView]:
        """Every record held about the person, newest first, without payloads."""
        disputed = self.people.records.disputed(self.subject)
        rows = sorted(
            self.store.records_of(self.subject),
            key=lambda r: (r.effective_at, r.put_idx),
            reverse=True,
        )
        return [record_view(r, disputed) for r in rows]

    def record(self, record_id: str) -> OwnRecord:
        """One of the person's records with its payload opened, and its disputes."""
        row = self.store.get_record(record_id) if isinstance(record_id, str) else None
        if row is None or row.subject != self.subject:
            raise NotFound("no such record about you", code="unknown_record")
        records = self.people.records
        opened = records.open(self.subject, row, records.disputed(self.subject))
        disputes = tuple(d for d in self.disputes() if d.record_id == record_id)
        disputable = row.status == "active" and not any(d.status == "open" for d in disputes)
        fields = {f.name: getattr(opened, f.name) for f in dataclasses.fields(opened)}
        return OwnRecord(**fields, disputes=disputes, disputable=disputable)

    def name(self) -> str | None:
        """The name the registry recorded for the person, if it did."""
        for row in self.store.records_of_type(self.subject, NAME_TYPE):
            if row.status == "active":
                payload = self.people.records.open(self.subject, row, set()).payload
                name = None if payload is None else payload.get("name")
                if isinstance(name, str):
                    return name
        return None

    # -- disputes --------------------------------------------------------------------------

    def disputes(self) -> list[DisputeView]:
        return self.people.rights.disputes(self.store.disputes_of(self.subject))

    def dispute(self, dispute_id: str) -> DisputeView:
        for d in self.disputes():
            if d.id == dispute_id:
                return d
        raise NotFound("no such dispute of yours", code="unknown_dispute")

    def open_dispute(self, record_id: str, statement: str) -> DisputeView:
        """Contest one of the person's records; the dispute as the person will follow it."""
        self.record(record_id)  # theirs, or NotFound
        return self.dispute(self.programme.open_dispute_for(self.subject, record_id, statement))

    # -- accesses and consents -------------------------------------------------------------

    def access(self) -> list[AccessView]:
        """Every access to the person's data, granted and refused, newest first, each with
        its basis spelt out: the consent it relied on or the mandate's legal ground."""
        return sorted(self.people.rights.access_of(self.subject), key=lambda a: -a.index)

    def consents(self) -> list[ConsentView]:
        """The person's consents, in force first, newest first within each group."""
        found = self.people.rights.consents_of(self.subject)
        return sorted(found, key=lambda c: (c.status != "active", -c.granted_index))

    def consent(self, consent_id: str) -> ConsentView:
        for c in self.consents():
            if c.id == consent_id:
                return c
        raise NotFound("no such consent of yours", code="unknown_consent")

    def grant_consent(
        self, member: str, purpose: str, categories: list[str], days: int
    ) -> ConsentView:
        until = rfc3339(self.people.clock() + days * 86_400)
        consent_id, _ = self.people.consents.grant_for(
            self.subject, member, purpose, categories, until
        )
        return self.consent(consent_id)

    def revoke_consent(self, consent_id: str) -> ConsentView:
        consent = self.consent(consent_id)  # theirs, or NotFound
        if consent.status == "revoked":
            return consent
        self.people.consents.revoke(consent_id)
        return self.consent(consent_id)

    # -- the programme ---------------------------------------------------------------------

    def enrolled(self) -> bool:
        return self.store.is_enrolled(self.subject)

    def enrol(self) -> None:
        if not self.enrolled():
            self.programme.enrol_subject(self.subject)
            scores.rescore(self.store, self.subject, int(self.people.clock()))

    def withdraw(self) -> None:
        if self.enrolled():
            self.programme.withdraw_subject(self.subject)

    def score(self) -> dict[str, Any] | None:
        """The explained score (`credo.services.scores.explain`), with what would earn more;
        None when the person has not enrolled. `monthly` is its history, apart: only the
        score page draws it, and it costs a scoring a month."""
        if not self.enrolled() or self.store.current_rules() is None:
            return None
        now = int(self.people.clock())
        explained = scores.explain(self.store, self.subject, now, self._scoring_records())
        explained["improvements"] = self._improvements(explained)
        return explained

    def _scoring_records(self) -> list[ScoringRecord]:
        """What scoring sees of the person, worked out once for a page that scores them
        now and at each of the last twelve months."""
        reads = cast(_PageReads, self.store)
        return reads.derived("scoring", lambda: scores.scoring_records(self.store, self.subject))

    def _improvements(self, explained: dict[str, Any]) -> list[dict[str, Any]]:
        """The rule lines that would earn the person more: every line with a positive weight
        that is not already among the four principal reasons at its cap."""
        rules, _ = scores.rules_in_force(self.store)
        earned = {(r["scorecard"], r["line"]): r for r in explained["reasons"]}
        out: list[dict[str, Any]] = []
        for card in rules.scorecards:
            for line in card.lines:
                if line.points <= 0 or line.category in SPECIAL_CATEGORIES:
                    continue
                if (card.id, line.id) in earned and line.cap is None:
                    continue
                out.append(
                    {
                        "scorecard": card.id,
                        "category": line.category,
                        "type": line.type,
                        "points": line.points,
                        "half_life_days": line.half_life_days,
                        "cap": None if line.cap is None else line.cap.model_dump(mode="json"),
                    }
                )
        out.sort(key=lambda i: -i["points"])
        return out[:4]

    def monthly(self) -> list[tuple[str, int]]:
        """The score at the end of each of the last twelve months and now, computed from the
        records under the rules in force (so the line shows how the records built it up)."""
        rules, digest = scores.rules_in_force(self.store)
        records = self._scoring_records()
        today = datetime.fromtimestamp(self.people.clock(), UTC)
        first = today.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        points = []
        for back in range(HISTORY_MONTHS, 0, -1):
            year, month = divmod(first.month - back - 1 + first.year * 12, 12)
            moment = datetime(month=month + 1, year=year, day=1, tzinfo=UTC) - timedelta(seconds=1)
            points.append(moment)
        points.append(today)
        return [
            (_stamp(m), score_subject(rules, digest, records, int(m.timestamp())).score)
            for m in points
        ]

    def benefits(self) -> list[dict[str, Any]]:
        """Every benefit in the rules in force: whether the person has earned it, and which
        kinds of record it looks at (the lines of its scorecard)."""
        if self.store.current_rules() is None:
            return []
        rules, _ = scores.rules_in_force(self.store)
        earned: set[str] = set()
        explained = self.score()
        if explained is not None:
            earned = {b["id"] for b in explained["benefits"]}
        cards = {c.id: c for c in rules.scorecards}
        return [
            {
                "id": b.id,
                "provider": b.provider,
                "description": b.description,
                "min_tier": b.min_tier,
                "eligible": b.id in earned,
                "looks_at": [(ln.category, ln.type) for ln in cards[b.scorecard].lines],
            }
            for b in rules.benefits
        ]

    # -- the person's rights ---------------------------------------------------------------

    def export(self) -> Export:
        return self.people.rights.export_of(self.subject)

    def export_bytes(self) -> bytes:
        return json.dumps(self.export().to_json(), ensure_ascii=False, indent=2).encode()

    def entries(self, start: int = 0, count: int | None = None) -> tuple[list[EntryView], int]:
        """The log entries about the person, newest first (``count`` of them from the
        ``start``-th), and how many there are in all, for the in-browser proof check: each
        entry's kind, signer and time (what is public), its sealed metadata left unopened."""
        indices = sorted(self.store.entries_of(self.subject), reverse=True)
        chosen = indices[start:] if count is None else indices[start : start + count]
        out = []
        for index, entry in zip(chosen, self.store.entries_at(chosen), strict=True):
            statement = statement_of(entry)
            out.append(EntryView(index, statement["kind"], statement["by"], statement["at"]))
        return out, len(indices)

    def account_entries(self) -> list[dict[str, Any]]:
        """The log's entries about the person's portal account, newest first, opened: every
        enrolment or recovery code a member issued for them (who, when, valid until when, and
        the code's id their passkeys name) and every device event (a passkey refused as not
        theirs, a recovery objected to, a review's outcome)."""
        out = []
        indexes = sorted(self.store.entries_of(self.subject), reverse=True)
        entries = self.store.entries_at(indexes)
        found = [(i, statement_of(e)) for i, e in zip(indexes, entries, strict=True)]
        account = [(i, s) for i, s in found if s["kind"] in ACCOUNT_KINDS]
        opened_all = open_statements(self.people.vault, [s for _, s in account])
        for (index, statement), opened in zip(account, opened_all, strict=True):
            meta = (
                {} if opened is None or opened.plaintext is None else json.loads(opened.plaintext)
            )
            meta.pop("salt", None)
            out.append({"index": index, "kind": statement["kind"], "at": statement["at"], **meta})
        return out

    def erase(self) -> dict[str, int]:
        return self.people.rights.erase_subject(self.subject)
