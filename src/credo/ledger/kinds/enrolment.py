"""The credit programme's membership entries: enrolment, withdrawal, and the benefit checks
providers make about enrolled people.

Enrolment is written by the operator acting for the person (the person has no consortium
key). A benefit check's answer is not logged, only the question, as an access to the
person's data that the person sees in their export.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from credo.errors import EntryRejected
from credo.ledger.registry import Context
from credo.ledger.schema import Body
from credo.ledger.validate import Decoded
from credo.store import AccessRow, MemberRow, WriteTx

SubjectRef = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]


class Enrol(Body):
    subject: SubjectRef


class Withdraw(Body):
    subject: SubjectRef


class BenefitCheck(Body):
    """A provider asked whether a person is eligible for one of its benefits. The answer is
    not logged (only the provider learns it); the question is, as an access to the person's
    data that the person sees in their export."""

    subject: SubjectRef | None  # None: nobody by that identifier has enrolled
    member: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]
    benefit: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")]
    context: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
    outcome: Literal["answered", "refused"]
    reason: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
    request_digest: Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]


def apply_enrol(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    body = Enrol.model_validate(entry.body)
    if tx.is_enrolled(body.subject):
        raise EntryRejected("already enrolled", code="already_enrolled")
    tx.enrol(body.subject, index, entry.at)


def apply_withdraw(
    tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context
) -> None:
    body = Withdraw.model_validate(entry.body)
    if not tx.is_enrolled(body.subject):
        raise EntryRejected("not enrolled", code="not_enrolled")
    tx.withdraw(body.subject)


def apply_benefit_check(
    tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context
) -> None:
    body = BenefitCheck.model_validate(entry.body)
    asker = tx.get_member(body.member)
    if asker is None:
        raise EntryRejected(f"no member {body.member!r}", code="unknown_member")
    # A refused question is logged whoever asked it, so the person sees the attempt; only
    # a provider's question is ever answered.
    if body.outcome == "answered" and "provider" not in asker.roles:
        raise EntryRejected(f"{body.member!r} provides no benefits", code="not_provider")
    tx.add_access(
        AccessRow(
            index,
            entry.at,
            body.subject,
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
