"""People's portal accounts on the log: every enrolment code a registrar issues, and what the
person did about a device they did not expect.

Issuing a code (`credo.services.accounts.issue_code`, from ``POST /v1/people/invitations``
or ``credo person invite``) lets whoever holds it register a passkey in the person's name, so
it is an access to the person like a read: a personal entry, sealed and unlinkable, naming
the issuing member, which the person sees in their portal and export. A device event records
the person refusing a pending passkey ("this was not me"), objecting to a recovery (which
freezes the account for review), and the operator's review that ends the freeze. Both kinds
are signed by the operator, the consortium's access recorder, acting for the member or the
person; the code itself is never on the log, only a random id that the person's passkey list
names too.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from credo.errors import EntryRejected
from credo.ledger.personal import Meta, open_personal, require_person
from credo.ledger.registry import Context
from credo.ledger.schema import MemberId
from credo.ledger.validate import Decoded
from credo.store import MemberRow, WriteTx

CodeId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]

ISSUING_ROLES = frozenset({"registrar", "admin"})
"""Who may issue an enrolment code: a registrar member, or the operator (``admin``)."""


class CodeIssued(Meta):
    """Sealed in an ``account.code`` entry: who issued which kind of code, valid until when.
    ``code`` is ``enrolment`` (a first or an additional passkey) or ``recovery`` (after
    in-person proofing: the new passkey replaces every other once the cooling-off ends)."""

    member: MemberId
    code: Literal["enrolment", "recovery"]
    code_id: CodeId
    expires_at: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")]


class DeviceEvent(Meta):
    """Sealed in an ``account.device`` entry: ``refused`` (the person removed a pending
    passkey as not theirs), ``objected`` (the person objected to a recovery: the account is
    frozen), ``kept`` or ``recovered`` (the operator's review of a frozen account: the
    recovery passkey removed, or put in place of the others)."""

    event: Literal["refused", "objected", "kept", "recovered"]
    code_id: CodeId | None


def apply_code(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    p = open_personal(tx, index, entry, ctx, CodeIssued)
    meta = require_person(tx, p, ctx)
    if meta is not None:
        issuer = tx.get_member(meta.member)
        if issuer is None or issuer.status != "active":
            raise EntryRejected(f"no active member {meta.member!r}", code="unknown_member")
        if not ISSUING_ROLES & set(issuer.roles):
            raise EntryRejected(
                f"{meta.member!r} may not issue enrolment codes", code="role_not_allowed"
            )
    p.mark(tx)


def apply_device(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    p = open_personal(tx, index, entry, ctx, DeviceEvent)
    require_person(tx, p, ctx)
    p.mark(tx)
