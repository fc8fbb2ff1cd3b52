"""The operator's reads of a person's data, logged as the person's accesses.

Every operator command that reads a person (`credo person export`, `credo score --explain`,
`credo dispute list --national-id`) names a purpose and a basis and goes through the same
decision and the same ``access.read`` entry as a member's read, written before anything is
shown: the person sees it in the portal and in their export, granted or refused. A refused
read shows nothing and raises. The basis is ``request:REF`` (the person asked: their export, an
explanation of their score, their disputes; REF is the operator's reference for the request),
or a consent or mandate like any member's.
"""

from __future__ import annotations

import hashlib
import json

from credo.errors import InputError, PermissionDenied
from credo.ledger.categories import CATEGORIES
from credo.services.people import People
from credo.services.reads import ReadRequest

__all__ = ["operator_read", "parse_basis"]


def parse_basis(text: str) -> tuple[str, str]:
    """``request:REF``, ``consent:ID`` or ``mandate:ID`` as a (type, id) pair."""
    kind, _, ref = text.partition(":")
    if kind not in ("request", "consent", "mandate") or not ref:
        raise InputError(
            "--basis is request:REF (the person's own request), consent:ID or mandate:ID",
            code="bad_basis",
        )
    return kind, ref


def operator_read(
    people: People, national_id: str, command: str, purpose: str, basis: tuple[str, str]
) -> int:
    """Judge and log the operator's read of everything held about the person; the access
    entry's log index. Raises PermissionDenied (after logging the refusal) if the basis does
    not cover it. ``command`` names what read (e.g. ``person export``): its digest, with the
    purpose, basis and time, is the entry's request digest, as a member's signed request's is.
    """
    at = people.now()
    described = json.dumps(
        {"command": command, "purpose": purpose, "basis": list(basis), "at": at},
        sort_keys=True,
    )
    request = ReadRequest(
        member=people.writer.operator,
        national_id=national_id,
        purpose=purpose,
        basis=basis,
        categories=tuple(CATEGORIES),
        request_digest="sha256:" + hashlib.sha256(described.encode()).hexdigest(),
    )
    result = people.reads.read(request)
    if not result.decision.granted:
        raise PermissionDenied(
            f"the read was refused ({result.decision.reason}) and logged at index "
            f"{result.index}, where the person sees it",
            code=result.decision.reason,
        )
    return result.index
