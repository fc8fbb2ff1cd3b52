"""People's records, as their members write them: prepare (check, then seal the payload and
hand back the entry for the member to sign), sign and submit in process, and open a record
for its person or a granted reader.

Nothing is written until every check has passed; the log entry itself is written only when
the member submits the signed envelope, whose handler checks it all again.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from credo.errors import (
    Conflict,
    CredoError,
    EntryRejected,
    InputError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    VerificationError,
)
from credo.ledger.categories import check_recordable
from credo.ledger.categories import refuse_biometric as _refuse_biometric
from credo.ledger.dsse import payload_type_for, sign_envelope
from credo.ledger.entries import envelope_json, make_payload
from credo.ledger.keys import MemberKey
from credo.ledger.kinds import SEALED
from credo.ledger.kinds.records import record_context
from credo.ledger.registry import first_error
from credo.ledger.sequencer import Accepted
from credo.ledger.text import check_json_values
from credo.services.views import RecordView, record_view
from credo.store import RecordRow
from credo.vault import MAX_PAYLOAD_BYTES, SealedMeta, normalize_national_id

if TYPE_CHECKING:
    from credo.services.people import People

log = logging.getLogger(__name__)

_HEX32 = re.compile(r"^[0-9a-f]{32}$")

MEMBER_PREPARED = ("record.retract", "dispute.answer")
"""The personal kinds a member signs about an existing record or dispute, sealed for it by
`Records.prepare_entry` (``record.put`` and ``record.amend`` go through `Records.prepare`)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """An entry ready for the member to sign: sign ``payload`` under ``payload_type``.
    ``record_id`` is the member's handle on its record (never on the log in clear)."""

    kind: str
    record_id: str | None
    payload_type: str
    payload: bytes
    metadata: bytes
    """The sealed metadata's plaintext: the member checks the entry's commitment against it
    before signing what it cannot read."""


@dataclass(frozen=True, slots=True)
class RecordSpec:
    """One record for `Records.prepare_many`: what `Records.prepare` takes, as data."""

    member_id: str
    national_id: str
    category: str
    type: str
    payload: Any
    effective_at: str | None = None


def encode_payload(payload: Any) -> bytes:
    """A record's payload: a JSON object, stored as compact sorted JSON, at most 16 KiB."""
    if not isinstance(payload, dict):
        raise InputError("a record's payload is a JSON object", code="bad_payload")
    problem = check_json_values(payload)
    if problem:  # NaN would make the person's export invalid JSON; bidi would mislead
        raise InputError(f"the {problem}", code="bad_payload")
    _refuse_biometric(payload)
    data = json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    if len(data) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(f"payload is {len(data)} bytes; the limit is {MAX_PAYLOAD_BYTES}")
    return data


def hex32(value: object, what: str, code: str = "bad_id") -> str:
    """``value`` if it is an id (32 lowercase hex characters), else InputError."""
    if not isinstance(value, str) or not _HEX32.match(value):
        raise InputError(f"a {what} is 32 lowercase hex characters", code=code)
    return value


class Records:
    """Records about people, through `People` (reached as ``people.records``)."""

    def __init__(self, people: People) -> None:
        self.people = people

    def prepare(
        self,
        member_id: str,
        national_id: str,
        category: str,
        type_: str,
        payload: Any,
        effective_at: str | None = None,
        amends: str | None = None,
    ) -> Prepared:
        """Check everything, then seal the payload and return the entry for the member to
        sign: a new record, or an amendment of the member's own record ``amends``."""
        people = self.people
        member = people.member(member_id, "recorder")
        record = None if amends is None else self._own_record(member_id, amends, category)
        check_recordable(category, type_, member.sector)
        data = encode_payload(payload)
        when = people.timestamp(effective_at, "effective_at")
        normalize_national_id(national_id)
        if record is not None and people.vault.subject_ref(national_id) != record.subject:
            raise InputError(
                f"record {amends} is about another person", code="record_other_subject"
            )
        context = record_context(category, member_id)
        ref, sealed = people.vault.seal_for(national_id, data, context)
        meta: dict[str, Any] = {
            "type": type_,
            "effective_at": when,
            "commitment": sealed.commitment,
            "vault_key": sealed.record_key,
        }
        if amends is None:
            kind, record_id = "record.put", secrets.token_hex(16)
            meta |= {"record_id": record_id, "category": category}
        else:
            kind, record_id = "record.amend", amends
            meta["record_id"] = record_id
        return self._prepared(kind, ref, member_id, meta, record_id)

    def prepare_many(self, specs: list[RecordSpec], at: str | None = None) -> list[Prepared]:
        """`prepare` for many new records (no amendments), the payloads sealed in one vault
        transaction: every check first, then the same sealing and the same entries. ``at`` is
        the entries' time (default now)."""
        people = self.people
        checked: list[tuple[RecordSpec, str, bytes]] = []
        sectors: dict[str, str] = {}
        for spec in specs:
            sector = sectors.get(spec.member_id)
            if sector is None:
                sector = sectors[spec.member_id] = people.member(spec.member_id, "recorder").sector
            check_recordable(spec.category, spec.type, sector)
            data = encode_payload(spec.payload)
            when = people.timestamp(spec.effective_at, "effective_at")
            checked.append((spec, when, data))
        sealed = people.vault.seal_many(
            [
                (spec.national_id, data, record_context(spec.category, spec.member_id))
                for spec, _, data in checked
            ]
        )
        asked = []
        for (spec, when, _), (ref, payload) in zip(checked, sealed, strict=True):
            meta: dict[str, object] = {
                "type": spec.type,
                "effective_at": when,
                "commitment": payload.commitment,
                "vault_key": payload.record_key,
                "record_id": secrets.token_hex(16),
                "category": spec.category,
            }
            asked.append((ref, "record.put", spec.member_id, meta))
        metas = people.vault.seal_meta_many(asked)  # each person's key unwrapped once
        when = at or people.now()
        return [
            self._entry(kind, member_id, sealed_meta, str(meta["record_id"]), when)
            for (_, kind, member_id, meta), sealed_meta in zip(asked, metas, strict=True)
        ]

    def prepare_entry(
        self, member_id: str, kind: str, meta: dict[str, Any], at: str | None = None
    ) -> Prepared:
        """Seal a member's retraction of its record or answer to a dispute about one.

        The subject is the record's; only the record's submitting member may ask, so nobody
        learns anything about a record that is not theirs (``unknown_record`` either way).
        """
        if kind not in MEMBER_PREPARED:
            raise InputError(
                f"prepare seals {' and '.join(MEMBER_PREPARED)} entries", code="bad_kind"
            )
        store = self.people.store
        self.people.member(member_id, "recorder")
        try:
            SEALED[kind].model_validate({"salt": "0" * 32, **meta})
        except ValidationError as exc:
            raise EntryRejected(f"{kind} metadata: {first_error(exc)}", code="schema") from exc
        if kind == "record.retract":
            record_id = meta.get("record_id")
        else:
            dispute = store.get_dispute(hex32(meta.get("id"), "dispute id"))
            record_id = None if dispute is None else dispute.record_id
        record = None if record_id is None else store.get_record(hex32(record_id, "record id"))
        if record is None or record.member != member_id:
            raise NotFound("no such record of this member", code="unknown_record")
        return self._prepared(kind, record.subject, member_id, meta, record.record_id, at)

    def _prepared(
        self,
        kind: str,
        ref: str,
        member_id: str,
        meta: dict[str, Any],
        record_id: str | None,
        at: str | None = None,
    ) -> Prepared:
        sealed = self.people.vault.seal_meta(ref, kind, member_id, meta)
        return self._entry(kind, member_id, sealed, record_id, at or self.people.now())

    @staticmethod
    def _entry(
        kind: str, member_id: str, sealed: SealedMeta, record_id: str | None, at: str
    ) -> Prepared:
        body = {"tag": sealed.tag, "sealed": sealed.sealed, "commitment": sealed.commitment}
        payload = make_payload(kind, member_id, body, at)
        return Prepared(kind, record_id, payload_type_for(kind), payload, sealed.plaintext)

    def _own_record(self, member_id: str, record_id: str, category: str) -> RecordRow:
        record = self.people.store.get_record(hex32(record_id, "record id", "bad_record_id"))
        if record is None:
            raise NotFound(f"no record {record_id}", code="unknown_record")
        if record.member != member_id:
            raise PermissionDenied(
                f"only {record.member!r} may amend record {record_id}", code="not_submitter"
            )
        if record.status != "active":
            raise Conflict(f"record {record_id} is {record.status}", code="record_not_active")
        if record.category != category:
            raise InputError(
                f"record {record_id} is {record.category!r}; an amendment keeps its category",
                code="category_mismatch",
            )
        return record

    def put(
        self,
        key: MemberKey,
        member_id: str,
        national_id: str,
        category: str,
        type_: str,
        payload: Any,
        effective_at: str | None = None,
    ) -> tuple[str, int]:
        """Prepare, sign with the member's key and submit in process (the CLI's path): the
        new record's id and its entry's index."""
        prepared = self.prepare(member_id, national_id, category, type_, payload, effective_at)
        if prepared.record_id is None:  # `prepare` names every new record
            raise InputError("a new record was prepared without an id", code="no_record_id")
        return prepared.record_id, self.sign_and_submit(prepared, key).index

    def sign_and_submit(self, prepared: Prepared, key: MemberKey) -> Accepted:
        """Sign a prepared entry with the member's key and sequence it; raise if refused."""
        envelope = sign_envelope(prepared.payload_type, prepared.payload, [key])
        return self.people.submit_signed(envelope_json(envelope))

    # -- opening records -------------------------------------------------------------------

    def disputed(self, ref: str) -> set[str]:
        """The person's records under an open dispute (frozen: not scored until answered)."""
        return {d.record_id for d in self.people.store.disputes_of(ref) if d.status == "open"}

    def open(self, ref: str, row: RecordRow, disputed: set[str]) -> RecordView:
        """A record as its person (or a granted reader) sees it: the payload opened."""
        return self.open_all(ref, [row], disputed)[0]

    def open_all(self, ref: str, rows: list[RecordRow], disputed: set[str]) -> list[RecordView]:
        """`open` for many of one person's records, in one read of the vault."""
        held = [r for r in rows if r.status != "erased"]
        sealed = [(r.vault_key, r.commitment, record_context(r.category, r.member)) for r in held]
        answers = iter(self.people.vault.unseal_all(ref, sealed))
        return [_view(r, disputed, None if r.status == "erased" else next(answers)) for r in rows]


def _view(row: RecordRow, disputed: set[str], opened: bytes | CredoError | None) -> RecordView:
    """A record's view from what the vault answered for it (None: erased, nothing asked)."""
    if opened is None:
        return record_view(row, disputed)
    if isinstance(opened, VerificationError):
        log.error("record %s failed its commitment check: %s", row.record_id, opened.code)
    if isinstance(opened, CredoError):
        return record_view(row, disputed, payload_error=opened.code)
    payload = json.loads(opened)
    return record_view(row, disputed, payload if isinstance(payload, dict) else None)
