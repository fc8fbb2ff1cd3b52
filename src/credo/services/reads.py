"""A member's read of a person's records under a purpose and a basis (a consent or a
mandate): judge it, write the access entry (granted or refused), then open the records.

Malformed requests (unknown purpose or category, a bad national id) are refused before
anything is written; every well-formed read leaves an access entry, even one naming somebody
credo does not know (a decoy, indistinguishable on the log).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from credo.errors import Conflict, InputError, UnjustifiedAccess
from credo.ledger.categories import check_categories, check_purpose
from credo.ledger.kinds.access import MAX_RECORDS_PER_READ, Decision, decide, readable_records
from credo.services.views import RecordView
from credo.store import RecordRow
from credo.vault import normalize_national_id

if TYPE_CHECKING:
    from credo.services.people import People

ATTEMPTS = 3
"""How often a read is judged again when the person's data changed between its judgement and
its entry's sequencing (`UnjustifiedAccess`)."""


@dataclass(frozen=True, slots=True)
class ReadRequest:
    member: str
    national_id: str
    purpose: str
    basis: tuple[str, str]  # ("consent" | "mandate" | "request", id)
    categories: tuple[str, ...]
    request_digest: str  # "sha256:<hex>" of the member's signed request


@dataclass(frozen=True, slots=True)
class ReadResult:
    index: int  # the access entry's position on the log
    decision: Decision
    records: list[RecordView]
    truncated: bool


class Reads:
    """Members' reads, through `People` (reached as ``people.reads``)."""

    def __init__(self, people: People) -> None:
        self.people = people

    def read(self, req: ReadRequest) -> ReadResult:
        """Judge a member's read, write the access entry (granted or refused), then open the
        records it grants."""
        people = self.people
        ref = self._check(req)
        for _ in range(ATTEMPTS):
            at = people.now()
            decision, rows, truncated, meta = self._judge(req, ref, at)
            try:
                accepted = people.submit_personal("access.read", ref, meta, at)
            except UnjustifiedAccess:  # the state changed under us: judge again
                continue
            records: list[RecordView] = []
            if ref is not None:
                disputed = people.records.disputed(ref)
                records = [people.records.open(ref, r, disputed) for r in rows]
            return ReadResult(accepted.index, decision, records, truncated)
        raise Conflict("the person's data kept changing during the read; retry", code="retry")

    def envelope(self, req: ReadRequest, at: str | None = None) -> dict[str, Any]:
        """`read`'s access entry (granted or refused), judged now and sealed and signed by
        the operator but neither submitted nor opened: for writing many reads in one
        `People.submit_batch` (whose handler judges each again)."""
        when = at or self.people.now()
        ref = self._check(req)
        meta = self._judge(req, ref, when)[3]
        return self.people.operator_envelope("access.read", ref, meta, when)

    def _check(self, req: ReadRequest) -> str | None:
        """Refuse a malformed read before anything is written; the person's ref if known."""
        check_purpose(req.purpose)
        check_categories(req.categories)
        if not req.categories:
            raise InputError("name at least one category", code="bad_request")
        if req.basis[0] not in ("consent", "mandate", "request"):
            raise InputError("basis type is consent, mandate or request", code="bad_basis")
        normalize_national_id(req.national_id)
        return self.people.known(req.national_id)

    def _judge(
        self, req: ReadRequest, ref: str | None, at: str
    ) -> tuple[Decision, list[RecordRow], bool, dict[str, Any]]:
        """The decision on a read at ``at``, the records it opens, whether they were cut
        to the limit, and the access entry's metadata."""
        store = self.people.store
        decision = decide(store, req.member, ref, req.purpose, req.basis, req.categories, at)
        rows: list[RecordRow] = []
        if ref is not None and decision.granted:
            rows = readable_records(store.records_of(ref), decision.granted)
        truncated = len(rows) > MAX_RECORDS_PER_READ
        rows = rows[:MAX_RECORDS_PER_READ]
        meta = {
            "member": req.member,
            "purpose": req.purpose,
            "basis": {"type": req.basis[0], "id": req.basis[1]},
            "categories_requested": list(req.categories),
            "categories_granted": list(decision.granted),
            "outcome": decision.outcome,
            "reason": decision.reason,
            "record_ids": [r.record_id for r in rows],
            "request_digest": req.request_digest,
        }
        return decision, rows, truncated, meta
