"""Consents, recorded by the operator as the person's consent manager: grant (by national id,
or by subject ref from the portal), revoke, and the grant's entry unsent for a batch.

A consent is checked against the members and purposes before anything is written
(`credo.ledger.kinds.consent.check_grant`, which the entry's handler runs again); how it
reads to its person later (active, future, expired, revoked) is `credo.services.views`.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from credo.errors import InputError, NotFound
from credo.ledger.kinds.consent import ConsentGrantMeta, check_grant
from credo.services.records import hex32
from credo.vault import normalize_national_id

if TYPE_CHECKING:
    from credo.services.people import People

M = TypeVar("M", bound=BaseModel)


def _model(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        raise InputError(f"{where}: {err['msg']}", code="bad_request") from exc


class Consents:
    """People's consents, through `People` (reached as ``people.consents``)."""

    def __init__(self, people: People) -> None:
        self.people = people

    def grant(
        self,
        national_id: str,
        member: str,
        purpose: str,
        categories: list[str],
        valid_until: str,
        valid_from: str | None = None,
    ) -> tuple[str, int]:
        """Record the person's consent for ``member``; returns (consent id, log index)."""
        ref, meta = self._checked(national_id, member, purpose, categories, valid_until, valid_from)
        accepted = self.people.submit_personal("consent.grant", ref, meta)
        return str(meta["id"]), accepted.index

    def grant_for(
        self,
        subject: str,
        member: str,
        purpose: str,
        categories: list[str],
        valid_until: str,
        valid_from: str | None = None,
    ) -> tuple[str, int]:
        """`grant` for a person known by their subject ref (the portal's path)."""
        meta = self._meta(member, purpose, categories, valid_until, valid_from)
        accepted = self.people.submit_personal("consent.grant", subject, meta)
        return str(meta["id"]), accepted.index

    def envelope(
        self,
        national_id: str,
        member: str,
        purpose: str,
        categories: list[str],
        valid_until: str,
        valid_from: str | None = None,
        at: str | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """`grant`'s entry, checked, sealed and signed but not submitted (for
        `People.submit_batch`): (consent id, envelope)."""
        ref, meta = self._checked(
            national_id, member, purpose, categories, valid_until, valid_from or at
        )
        return str(meta["id"]), self.people.operator_envelope("consent.grant", ref, meta, at)

    def revoke(self, consent_id: str, reason: str = "revoked_by_person") -> int:
        """Revoke a consent; its log index."""
        consent = self.people.store.get_consent(hex32(consent_id, "consent id", "bad_consent_id"))
        if consent is None:
            raise NotFound(f"no consent {consent_id}", code="unknown_consent")
        meta = {"id": consent_id, "reason": reason}
        return self.people.submit_personal("consent.revoke", consent.subject, meta).index

    def _checked(
        self,
        national_id: str,
        member: str,
        purpose: str,
        categories: list[str],
        valid_until: str,
        valid_from: str | None,
    ) -> tuple[str, dict[str, Any]]:
        normalize_national_id(national_id)
        meta = self._meta(member, purpose, categories, valid_until, valid_from)
        vault = self.people.vault
        # a read first: a write transaction would wait for any other writer of the vault
        ref = vault.subject_ref(national_id) or vault.ensure_subject(national_id)
        return ref, meta

    def _meta(
        self,
        member: str,
        purpose: str,
        categories: list[str],
        valid_until: str,
        valid_from: str | None,
    ) -> dict[str, Any]:
        """A consent's sealed metadata, checked against the members and purposes."""
        people = self.people
        meta: dict[str, Any] = {
            "id": secrets.token_hex(16),
            "member": member,
            "purpose": purpose,
            "categories": list(categories),
            "valid_from": people.timestamp(valid_from, "valid_from"),
            "valid_until": people.timestamp(valid_until, "valid_until"),
        }
        check_grant(people.store, _model(ConsentGrantMeta, {"salt": "0" * 32, **meta}))
        return meta
