"""The credit programme's membership entries: enrolment, withdrawal, and the benefit checks
providers make about enrolled people.

Enrolment is written by the operator acting for the person (the person has no consortium
key). All three are personal entries (`credo.ledger.personal`). A benefit check's answer
is not logged, only the question, as an access to the
person's data that the person sees in their export.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from credo.errors import EntryRejected
from credo.ledger.personal import Meta, open_personal, require_person
from credo.ledger.registry import Context
from credo.ledger.validate import Decoded
from credo.store import AccessRow, MemberRow, WriteTx


class Enrol(Meta):
    """Sealed in a ``programme.enrol`` entry: nothing but the salt (who enrolled is the tag)."""


class Withdraw(Meta):
    """Sealed in a ``programme.withdraw`` entry."""


class BenefitCheck(Meta):
    """A provider asked whether a person is eligible for one of its benefits. The answer is
    not logged (only the provider learns it); the question is, sealed, as an access to the
    person's data that the person sees in their export. A question naming somebody who never
    enrolled is a decoy, like a read naming an unknown person."""

    member: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]
    benefit: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")]
    context: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
    outcome: Literal["answered", "refused"]
    reason: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
    request_digest: Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]


def apply_enrol(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    p = open_personal(tx, index, entry, ctx, Enrol)
    if require_person(tx, p, ctx) is None or p.subject is None:
        p.mark(tx)
        return
    if tx.is_enrolled(p.subject):
        raise EntryRejected("already enrolled", code="already_enrolled")
    p.mark(tx)
    tx.enrol(p.subject, index, entry.at)


def apply_withdraw(
    tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context
) -> None:
    p = open_personal(tx, index, entry, ctx, Withdraw)
    if require_person(tx, p, ctx) is None or p.subject is None:
        p.mark(tx)
        return
    if not tx.is_enrolled(p.subject):
        raise EntryRejected("not enrolled", code="not_enrolled")
    p.mark(tx)
    tx.withdraw(p.subject)


def apply_benefit_check(
    tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context
) -> None:
    p = open_personal(tx, index, entry, ctx, BenefitCheck)
    body = p.meta
    if body is None or p.subject is None:  # a stranger's replay, an erased person, a decoy
        p.mark(tx)
        return
    asker = tx.get_member(body.member)
    if asker is None:
        raise EntryRejected(f"no member {body.member!r}", code="unknown_member")
    # A refused question is logged whoever asked it, so the person sees the attempt; only
    # a provider's question is ever answered.
    if body.outcome == "answered" and "provider" not in asker.roles:
        raise EntryRejected(f"{body.member!r} provides no benefits", code="not_provider")
    p.mark(tx)
    tx.add_access(
        AccessRow(
            index,
            entry.at,
            p.subject,
            body.member,
            f"benefit:{body.benefit}",
            "enrolment",
            (body.context,),
            (body.context,) if body.outcome == "answered" else (),
            "granted" if body.outcome == "answered" else "refused",
            body.reason,
            (),
            body.request_digest,
        )
    )
