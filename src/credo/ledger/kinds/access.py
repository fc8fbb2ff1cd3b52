"""Access entries: every read of a person's records by a member, granted or refused
(docs/design.md, Access), and the one decision function that judges a read against its legal basis.

``decide`` is pure: it reads consents, mandates and members as of a log position and takes the
time from the entry itself, so the ``access.read`` handler re-runs it and a replay refuses any
access entry that claims a grant its basis did not give. The operator signs access entries as
the consortium's access recorder; ``request_digest`` binds the member's own signed request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, Protocol

from pydantic import Field

from credo.errors import EntryRejected, UnjustifiedAccess
from credo.ledger.categories import CATEGORIES, PURPOSES, readable
from credo.ledger.kinds.consent import MandateId, PurposeName
from credo.ledger.kinds.records import CategoryName, RecordId
from credo.ledger.personal import Meta, open_personal
from credo.ledger.registry import Context
from credo.ledger.schema import Body, Digest, MemberId, parse_utc
from credo.ledger.validate import Decoded
from credo.store import AccessRow, ConsentRow, MandateRow, MemberRow, RecordRow, WriteTx

MAX_RECORDS_PER_READ = 200
ReasonCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
CategoryList = Annotated[list[CategoryName], Field(max_length=len(CATEGORIES))]


class Basis(Body):
    type: Literal["consent", "mandate", "request"]
    id: MandateId  # a consent id (32 hex) and a request reference also match this pattern


REQUEST_PURPOSES = frozenset({"subject_access", "dispute_resolution"})
"""What a ``request`` basis covers: the operator's reads done because the person asked (their
export, an explanation of their score, their disputes). Only the operator (an ``admin``
member) reads on such a basis, and the person sees each read like any member's."""


class AccessReadMeta(Meta):
    """Sealed in an ``access.read`` entry. A read naming a person credo does not know is a
    decoy: its tag names nobody and no key opens it, so it looks like any other read."""

    member: MemberId
    purpose: PurposeName
    basis: Basis
    categories_requested: Annotated[list[CategoryName], Field(min_length=1, max_length=16)]
    categories_granted: CategoryList
    outcome: Literal["granted", "refused"]
    reason: ReasonCode
    record_ids: Annotated[list[RecordId], Field(max_length=MAX_RECORDS_PER_READ)]
    request_digest: Digest


class PolicyReader(Protocol):
    """What a decision reads: satisfied by a committed store and by the write transaction."""

    def get_member(self, member_id: str) -> MemberRow | None: ...

    def get_consent(self, consent_id: str) -> ConsentRow | None: ...

    def get_mandate(self, mandate_id: str) -> MandateRow | None: ...


@dataclass(frozen=True, slots=True)
class Decision:
    granted: tuple[str, ...]
    reason: str  # "ok" when granted, else why not

    @property
    def outcome(self) -> Literal["granted", "refused"]:
        return "granted" if self.granted else "refused"


def _refused(reason: str) -> Decision:
    return Decision((), reason)


def _in_window(at: str, valid_from: str, valid_until: str | None) -> str | None:
    now = parse_utc(at)
    if now < parse_utc(valid_from):
        return "not_yet_valid"
    if valid_until is not None and now >= parse_utc(valid_until):
        return "expired"
    return None


def _consent_covers(
    c: ConsentRow | None, member: MemberRow, subject: str | None, purpose: str, at: str
) -> tuple[str, ...] | str:
    if c is None:
        return "unknown_consent"
    if c.member != member.id:
        return "consent_other_member"
    if subject is None or c.subject != subject:
        return "consent_other_subject"
    if c.revoked_idx is not None:
        return "consent_revoked"
    window = _in_window(at, c.valid_from, c.valid_until)
    if window is not None:
        return f"consent_{window}"
    if c.purpose != purpose:
        return "purpose_not_covered"
    return c.categories


def _mandate_covers(
    m: MandateRow | None, member: MemberRow, purpose: str, at: str
) -> tuple[str, ...] | str:
    if m is None:
        return "unknown_mandate"
    if member.id not in m.members and member.sector not in m.sectors:
        return "mandate_other_member"
    if m.repealed_idx is not None:
        return "mandate_repealed"
    window = _in_window(at, m.valid_from, m.valid_until)
    if window is not None:
        return f"mandate_{window}"
    if m.purpose != purpose:
        return "purpose_not_covered"
    return m.categories


def decide(
    state: PolicyReader,
    member_id: str,
    subject: str | None,
    purpose: str,
    basis: tuple[str, str],
    categories: list[str] | tuple[str, ...],
    at: str,
) -> Decision:
    """Judge one read: which of ``categories`` may ``member_id`` read about ``subject`` now?

    A member gets only the categories its basis covers (and never a special category for a
    scoring purpose, nor one its sector does not hold lawfully). No category left: refused.
    """
    member = state.get_member(member_id)
    if member is None or member.status != "active":
        return _refused("unknown_member")
    kind, basis_id = basis
    if kind == "request":
        return _request_covers(member, purpose, categories)
    if "reader" not in member.roles:
        return _refused("role_not_allowed")
    if purpose not in PURPOSES:
        return _refused("unknown_purpose")
    if kind == "consent":
        covered = _consent_covers(state.get_consent(basis_id), member, subject, purpose, at)
    else:
        covered = _mandate_covers(state.get_mandate(basis_id), member, purpose, at)
    if isinstance(covered, str):
        return _refused(covered)
    wanted = [c for c in categories if c in covered]
    if not wanted:
        return _refused("categories_not_covered")
    allowed = tuple(c for c in wanted if readable(c, purpose, member.sector))
    if not allowed:
        return _refused("special_category_refused")
    return Decision(allowed, "ok")


def _request_covers(
    member: MemberRow, purpose: str, categories: list[str] | tuple[str, ...]
) -> Decision:
    """The operator's read at the person's own request (`credo person export`, `credo score
    --explain`, `credo dispute list`): every category asked for, special ones included, since
    what is read goes back to the person; never by another member, never for another purpose."""
    if "admin" not in member.roles:
        return _refused("request_not_operator")
    if purpose not in REQUEST_PURPOSES:
        return _refused("purpose_not_covered")
    allowed = tuple(c for c in categories if c in CATEGORIES)
    return Decision(allowed, "ok") if allowed else _refused("categories_not_covered")


def readable_records(records: list[RecordRow], granted: tuple[str, ...]) -> list[RecordRow]:
    """The records a granted read returns: active, in a granted category, oldest first."""
    return [r for r in records if r.status == "active" and r.category in granted]


def apply_read(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    p = open_personal(tx, index, entry, ctx, AccessReadMeta)
    body = p.meta
    if body is None or p.subject is None:  # a stranger's replay, an erased person, a decoy
        p.mark(tx)
        return
    if tx.get_member(body.member) is None:
        raise EntryRejected(f"no member {body.member!r}", code="unknown_member")
    if body.outcome == "granted":
        decision = decide(
            tx,
            body.member,
            p.subject,
            body.purpose,
            (body.basis.type, body.basis.id),
            body.categories_requested,
            entry.at,
        )
        if decision.granted != tuple(body.categories_granted):
            raise UnjustifiedAccess(
                f"access entry grants {body.categories_granted} but its basis gives "
                f"{list(decision.granted)} ({decision.reason})"
            )
        for record_id in body.record_ids:
            found = tx.get_record(record_id)
            if (
                found is None
                or found.subject != p.subject
                or found.status != "active"
                or found.category not in decision.granted
            ):
                raise UnjustifiedAccess(f"record {record_id} is not readable under this grant")
    elif body.categories_granted or body.record_ids or body.reason == "ok":
        raise EntryRejected(
            "a refused access returns no categories and no records, and says why",
            code="schema",
        )
    p.mark(tx)
    tx.add_access(
        AccessRow(
            index,
            entry.at,
            p.subject,
            body.member,
            body.purpose,
            f"{body.basis.type}:{body.basis.id}",
            tuple(body.categories_requested),
            tuple(body.categories_granted),
            body.outcome,
            body.reason,
            tuple(body.record_ids),
            body.request_digest,
        )
    )
