"""The people's-data service: the operations that need both the log and the vault.

Preparing a record (seal the payload, hand back the entry for the member to sign), reading a
person's records under a purpose and basis (decide, write the access entry, then decrypt),
granting and revoking consent as the consent manager, and the person's rights: export and
erasure. National ids arrive here, are normalised and looked up in the vault, and go no
further: never into an entry, a table, an error message or a log line.

Every entry about a person is sealed here (`credo.ledger.personal`): a fresh tag, the
metadata encrypted under the person's key. credo *knows* a person once an entry naming them
is accepted (`known`); a reservation made while preparing an entry is not knowledge, and a
call naming somebody credo does not know looks, on the log and in its answer, like any other.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from credo.errors import (
    Conflict,
    EntryRejected,
    InputError,
    NotFound,
    PermissionDenied,
    VerificationError,
)
from credo.ledger.categories import check_categories, check_purpose, check_recordable
from credo.ledger.categories import refuse_biometric as _refuse_biometric
from credo.ledger.dsse import payload_type_for, sign_envelope
from credo.ledger.entries import envelope_json, make_envelope, make_payload, statement_of
from credo.ledger.keys import MemberKey
from credo.ledger.kinds import SEALED
from credo.ledger.kinds.access import MAX_RECORDS_PER_READ, Decision, decide, readable_records
from credo.ledger.kinds.consent import ConsentGrantMeta, check_grant
from credo.ledger.kinds.disputes import answer_days
from credo.ledger.kinds.records import record_context
from credo.ledger.personal import open_statement
from credo.ledger.registry import first_error
from credo.ledger.schema import RFC3339_UTC, parse_utc, rfc3339, utc_now
from credo.ledger.sequencer import Accepted
from credo.ledger.text import check_json_values
from credo.services.node import Node
from credo.store import DisputeRow, MemberRow, RecordRow
from credo.vault import MAX_PAYLOAD_BYTES, SealedMeta, Vault, normalize_national_id

log = logging.getLogger(__name__)

_TIMESTAMP = re.compile(RFC3339_UTC)
_HEX32 = re.compile(r"^[0-9a-f]{32}$")


class PayloadTooLarge(InputError):
    code = "payload_too_large"
    status = 413


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
    """One record for `People.prepare_records`: what `prepare_record` takes, as data."""

    member_id: str
    national_id: str
    category: str
    type: str
    payload: Any
    effective_at: str | None = None


BATCH = 1000
"""Entries per `Node.submit` call in `People.submit_batch`."""


MEMBER_PREPARED = ("record.retract", "dispute.answer")
"""The personal kinds a member signs about an existing record or dispute, sealed for it by
`People.prepare_entry` (``record.put`` and ``record.amend`` go through `prepare_record`)."""


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
    records: list[dict[str, Any]]
    truncated: bool


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
        raise PayloadTooLarge(
            f"payload is {len(data)} bytes; the limit is {MAX_PAYLOAD_BYTES}",
        )
    return data


def _now() -> str:
    return utc_now()  # one name for tests to move the clock through


def _plus_days(ts: str, days: int) -> str:
    return rfc3339(parse_utc(ts).timestamp() + days * 86_400)


def _timestamp(value: str | None, what: str) -> str:
    if value is None:
        return utc_now()
    if isinstance(value, str) and _TIMESTAMP.match(value):
        try:
            parse_utc(value)
            return value
        except ValueError:
            pass  # a date no calendar has, such as 2026-02-30
    raise InputError(f"{what} must be RFC 3339 UTC, like 2025-01-31T12:00:00Z", code="bad_time")


def _body(sealed: SealedMeta) -> dict[str, Any]:
    """The public body of a personal entry (`credo.ledger.personal.PersonalBody`)."""
    return {"tag": sealed.tag, "sealed": sealed.sealed, "commitment": sealed.commitment}


def _hex32(value: object, what: str, code: str = "bad_id") -> str:
    if not isinstance(value, str) or not _HEX32.match(value):
        raise InputError(f"a {what} is 32 lowercase hex characters", code=code)
    return value


M = TypeVar("M", bound=BaseModel)


def _model(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        raise InputError(f"{where}: {err['msg']}", code="bad_request") from exc


class People:
    """One node and its vault; the API and the CLI hold one of these."""

    def __init__(self, ledger: Node, vault: Vault) -> None:
        self.ledger = ledger
        self.store = ledger.store
        self.vault = vault
        self._operator_key: MemberKey | None = None

    @classmethod
    def open(cls, ledger: Node) -> People:
        """The service over a node and the node's own vault (closed with the node)."""
        return cls(ledger, ledger.vault)

    def close(self) -> None:
        """Nothing of its own to close: the node owns the vault."""

    # -- people and their entries ----------------------------------------------------------

    def known(self, national_id: str) -> str | None:
        """The person's subject ref if an accepted entry names them, else None."""
        ref = self.vault.subject_ref(national_id)
        if ref is None or not self.store.is_known(ref):
            return None
        return ref

    def subject_ref(self, national_id: str) -> str | None:
        """The person's subject ref if the vault holds one (an entry or a reservation, such
        as an enrolment code), else None; nothing is created."""
        return self.vault.subject_ref(national_id)

    def enrolment_subject(self, national_id: str) -> str:
        """The subject ref a portal account (enrolment code, passkeys, sessions) is kept
        under: the person's, reserved on first sight (`credo.vault.Vault.ensure_subject`).
        Reserving is not knowledge: no entry is written, and `known` stays None. The vault
        does the same work for a known and an unknown id (`Vault.reserve_subject`), so an
        issuer cannot time the call to learn which."""
        return self.vault.reserve_subject(national_id)

    def drop_reservation(self, national_id: str) -> bool:
        """Erase a person credo holds a reservation for but does not know (an enrolment code
        was issued, no entry names them): shred the vault's key and lookup row; nothing goes
        on the log, there being nothing there. False if there is no such reservation."""
        ref = self.vault.subject_ref(national_id)
        if ref is None or self.store.is_known(ref):
            return False
        self.vault.erase(ref=ref)
        return True

    def _ref(self, national_id: str) -> str:
        ref = self.known(national_id)
        if ref is None:
            raise NotFound("no data is held about that person", code="unknown_subject")
        return ref

    def sealed_body(
        self, subject: str | None, kind: str, by: str, meta: dict[str, Any]
    ) -> dict[str, Any]:
        """A personal entry's body: ``meta`` sealed for ``subject`` (None: a decoy)."""
        return _body(self.vault.seal_meta(subject, kind, by, meta))

    def submit_personal(
        self, kind: str, subject: str | None, meta: dict[str, Any], at: str | None = None
    ) -> Accepted:
        """Seal ``meta`` and sign the entry as the operator (consent manager, recorder)."""
        body = self.sealed_body(subject, kind, self.ledger.operator, meta)
        return self.submit_as_operator(kind, body, at or _now())

    # -- writing as the operator (consent manager, access recorder) ------------------------

    def _operator(self) -> MemberKey:
        if self._operator_key is None:
            self._operator_key = MemberKey.load(self.ledger.data.member_key(self.ledger.operator))
        return self._operator_key

    def submit_as_operator(self, kind: str, body: dict[str, Any], at: str) -> Accepted:
        """Sign with the operator's key (consent manager, access recorder) and sequence."""
        return self.ledger.submit_one(kind, self.ledger.operator, body, at=at, key=self._operator())

    def _member(self, member_id: str, role: str) -> MemberRow:
        member = self.store.get_member(member_id)
        if member is None or member.status != "active":
            raise PermissionDenied(f"no active member {member_id!r}", code="unknown_member")
        if role not in member.roles:
            raise PermissionDenied(
                f"member {member_id!r} lacks the {role!r} role", code="role_not_allowed"
            )
        return member

    # -- records ---------------------------------------------------------------------------

    def prepare_record(
        self,
        member_id: str,
        national_id: str,
        category: str,
        type_: str,
        payload: Any,
        effective_at: str | None = None,
        amends: str | None = None,
    ) -> Prepared:
        """Check everything, then seal the payload and return the entry for the member to sign.

        Nothing is written until every check has passed; the log entry itself is written only
        when the member submits the signed envelope (whose handler checks it all again).
        """
        member = self._member(member_id, "recorder")
        record = None if amends is None else self._own_record(member_id, amends, category)
        check_recordable(category, type_, member.sector)
        data = encode_payload(payload)
        when = _timestamp(effective_at, "effective_at")
        normalize_national_id(national_id)
        if record is not None and self.vault.subject_ref(national_id) != record.subject:
            raise InputError(
                f"record {amends} is about another person", code="record_other_subject"
            )
        ref, sealed = self.vault.seal_for(national_id, data, record_context(category, member_id))
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

    def _prepared(
        self,
        kind: str,
        ref: str,
        member_id: str,
        meta: dict[str, Any],
        record_id: str | None,
        at: str | None = None,
    ) -> Prepared:
        sealed = self.vault.seal_meta(ref, kind, member_id, meta)
        payload = make_payload(kind, member_id, _body(sealed), at)
        return Prepared(kind, record_id, payload_type_for(kind), payload, sealed.plaintext)

    def prepare_records(self, specs: list[RecordSpec], at: str | None = None) -> list[Prepared]:
        """`prepare_record` for many new records (no amendments), the payloads sealed in one
        vault transaction: every check first, then the same sealing and the same entries.
        ``at`` is the entries' time (default now)."""
        checked: list[tuple[RecordSpec, str, bytes]] = []
        sectors: dict[str, str] = {}
        for spec in specs:
            sector = sectors.get(spec.member_id)
            if sector is None:
                sector = sectors[spec.member_id] = self._member(spec.member_id, "recorder").sector
            check_recordable(spec.category, spec.type, sector)
            data = encode_payload(spec.payload)
            when = _timestamp(spec.effective_at, "effective_at")
            checked.append((spec, when, data))
        sealed = self.vault.seal_many(
            [
                (spec.national_id, data, record_context(spec.category, spec.member_id))
                for spec, _, data in checked
            ]
        )
        out = []
        for (spec, when, _), (ref, payload) in zip(checked, sealed, strict=True):
            record_id = secrets.token_hex(16)
            meta = {
                "type": spec.type,
                "effective_at": when,
                "commitment": payload.commitment,
                "vault_key": payload.record_key,
                "record_id": record_id,
                "category": spec.category,
            }
            out.append(self._prepared("record.put", ref, spec.member_id, meta, record_id, at))
        return out

    def operator_envelope(
        self, kind: str, subject: str | None, meta: dict[str, Any], at: str | None = None
    ) -> dict[str, Any]:
        """`submit_personal`'s entry, sealed and signed by the operator but not submitted
        (for `submit_batch`)."""
        body = self.sealed_body(subject, kind, self.ledger.operator, meta)
        env = make_envelope(kind, self.ledger.operator, body, [self._operator()], at=at or _now())
        return envelope_json(env)

    def submit_batch(self, envelopes: list[dict[str, Any]], batch: int = BATCH) -> list[Accepted]:
        """Sequence signed entries through `Node.submit`, ``batch`` at a time (one group
        commit each), and raise the first refusal: every outcome is checked."""
        accepted: list[Accepted] = []
        for start in range(0, len(envelopes), batch):
            for outcome in self.ledger.submit(envelopes[start : start + batch]):
                if isinstance(outcome, EntryRejected):
                    raise outcome
                accepted.append(outcome)
        return accepted

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
        self._member(member_id, "recorder")
        try:
            SEALED[kind].model_validate({"salt": "0" * 32, **meta})
        except ValidationError as exc:
            raise EntryRejected(f"{kind} metadata: {first_error(exc)}", code="schema") from exc
        if kind == "record.retract":
            record_id = meta.get("record_id")
        else:
            dispute = self.store.get_dispute(_hex32(meta.get("id"), "dispute id"))
            record_id = None if dispute is None else dispute.record_id
        record = (
            None if record_id is None else self.store.get_record(_hex32(record_id, "record id"))
        )
        if record is None or record.member != member_id:
            raise NotFound("no such record of this member", code="unknown_record")
        return self._prepared(kind, record.subject, member_id, meta, record.record_id, at)

    def _own_record(self, member_id: str, record_id: str, category: str) -> RecordRow:
        record = self.store.get_record(_hex32(record_id, "record id", "bad_record_id"))
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

    def put_record(
        self,
        key: MemberKey,
        member_id: str,
        national_id: str,
        category: str,
        type_: str,
        payload: Any,
        effective_at: str | None = None,
    ) -> tuple[str, int]:
        """Prepare, sign with the member's key and submit in-process (the CLI's path)."""
        prepared = self.prepare_record(
            member_id, national_id, category, type_, payload, effective_at
        )
        assert prepared.record_id is not None
        return prepared.record_id, self.sign_and_submit(prepared, key).index

    def sign_and_submit(self, prepared: Prepared, key: MemberKey) -> Accepted:
        """Sign a prepared entry with the member's key and sequence it; raise if refused."""
        env = sign_envelope(prepared.payload_type, prepared.payload, [key])
        outcome = self.ledger.submit([envelope_json(env)])[0]
        if isinstance(outcome, EntryRejected):
            raise outcome
        return outcome

    # -- reads -----------------------------------------------------------------------------

    def read(self, req: ReadRequest) -> ReadResult:
        """Judge a member's read, write the access entry (granted or refused), then decrypt.

        Malformed requests (unknown purpose or category, a bad national id) are refused with
        a 4xx before anything is written; every well-formed read leaves an access entry.
        """
        ref = self._check_read(req)
        for _ in range(3):
            at = utc_now()
            decision, rows, truncated, meta = self._judge(req, ref, at)
            try:
                accepted = self.submit_personal("access.read", ref, meta, at)
            except EntryRejected as exc:
                if exc.code == "unjustified_access":  # state changed under us: judge again
                    continue
                raise
            disputed = self._disputed(ref) if ref is not None else set()
            records = [self.open_record(ref, r, disputed) for r in rows] if ref is not None else []
            return ReadResult(accepted.index, decision, records, truncated)
        raise Conflict("the person's data kept changing during the read; retry", code="retry")

    def read_envelope(self, req: ReadRequest, at: str | None = None) -> dict[str, Any]:
        """`read`'s access entry (granted or refused), judged now and sealed and signed by
        the operator but neither submitted nor decrypted: for writing many reads in one
        `submit_batch` (whose handler judges each again)."""
        when = at or utc_now()
        ref = self._check_read(req)
        meta = self._judge(req, ref, when)[3]
        return self.operator_envelope("access.read", ref, meta, when)

    def _check_read(self, req: ReadRequest) -> str | None:
        """Refuse a malformed read before anything is written; the person's ref if known."""
        check_purpose(req.purpose)
        check_categories(req.categories)
        if not req.categories:
            raise InputError("name at least one category", code="bad_request")
        if req.basis[0] not in ("consent", "mandate", "request"):
            raise InputError("basis type is consent, mandate or request", code="bad_basis")
        normalize_national_id(req.national_id)
        return self.known(req.national_id)

    def _judge(
        self, req: ReadRequest, ref: str | None, at: str
    ) -> tuple[Decision, list[RecordRow], bool, dict[str, Any]]:
        """The decision on a read at ``at``, the records it opens, whether they were cut
        to the limit, and the access entry's metadata."""
        decision = decide(self.store, req.member, ref, req.purpose, req.basis, req.categories, at)
        rows: list[RecordRow] = []
        if ref is not None and decision.granted:
            rows = readable_records(self.store.records_of(ref), decision.granted)
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

    def _disputed(self, ref: str) -> set[str]:
        """The person's records under an open dispute (frozen: not scored until answered)."""
        return {d.record_id for d in self.store.disputes_of(ref) if d.status == "open"}

    def open_record(self, ref: str, r: RecordRow, disputed: set[str]) -> dict[str, Any]:
        """A record as its person (or a granted reader) sees it: the payload opened."""
        out: dict[str, Any] = {
            "record_id": r.record_id,
            "category": r.category,
            "type": r.type,
            "effective_at": r.effective_at,
            "member": r.member,
            "status": "disputed" if r.status == "active" and r.record_id in disputed else r.status,
            "put_index": r.put_idx,
            "updated_index": r.updated_idx,
            "commitment": r.commitment,
            "payload": None,
        }
        if r.status == "erased":
            return out
        try:
            data = self.vault.unseal(
                ref, r.vault_key, r.commitment, record_context(r.category, r.member)
            )
            out["payload"] = json.loads(data)
        except (NotFound, InputError) as exc:
            out["payload_error"] = exc.code
        except VerificationError as exc:
            log.error("record %s failed its commitment check: %s", r.record_id, exc.code)
            out["payload_error"] = exc.code
        return out

    # -- consent (the operator as consent manager) -----------------------------------------

    def grant_consent(
        self,
        national_id: str,
        member: str,
        purpose: str,
        categories: list[str],
        valid_until: str,
        valid_from: str | None = None,
    ) -> tuple[str, int]:
        """Record the person's consent for ``member``; returns (consent id, log index)."""
        ref, meta = self._consent(national_id, member, purpose, categories, valid_until, valid_from)
        accepted = self.submit_personal("consent.grant", ref, meta)
        return str(meta["id"]), accepted.index

    def consent_envelope(
        self,
        national_id: str,
        member: str,
        purpose: str,
        categories: list[str],
        valid_until: str,
        valid_from: str | None = None,
        at: str | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """`grant_consent`'s entry, checked, sealed and signed but not submitted (for
        `submit_batch`): (consent id, envelope)."""
        ref, meta = self._consent(
            national_id, member, purpose, categories, valid_until, valid_from or at
        )
        return str(meta["id"]), self.operator_envelope("consent.grant", ref, meta, at)

    def _consent(
        self,
        national_id: str,
        member: str,
        purpose: str,
        categories: list[str],
        valid_until: str,
        valid_from: str | None,
    ) -> tuple[str, dict[str, Any]]:
        normalize_national_id(national_id)
        meta = self._consent_meta(member, purpose, categories, valid_until, valid_from)
        # a read first: a write transaction would wait for any other writer of the vault
        ref = self.vault.subject_ref(national_id) or self.vault.ensure_subject(national_id)
        return ref, meta

    def _consent_meta(
        self,
        member: str,
        purpose: str,
        categories: list[str],
        valid_until: str,
        valid_from: str | None,
    ) -> dict[str, Any]:
        """A consent's sealed metadata, checked against the members and purposes."""
        meta: dict[str, Any] = {
            "id": secrets.token_hex(16),
            "member": member,
            "purpose": purpose,
            "categories": list(categories),
            "valid_from": _timestamp(valid_from, "valid_from"),
            "valid_until": _timestamp(valid_until, "valid_until"),
        }
        check_grant(self.store, _model(ConsentGrantMeta, {"salt": "0" * 32, **meta}))
        return meta

    def grant_consent_for(
        self,
        subject: str,
        member: str,
        purpose: str,
        categories: list[str],
        valid_until: str,
        valid_from: str | None = None,
    ) -> tuple[str, int]:
        """`grant_consent` for a person known by their subject ref (the portal's path)."""
        meta = self._consent_meta(member, purpose, categories, valid_until, valid_from)
        accepted = self.submit_personal("consent.grant", subject, meta)
        return str(meta["id"]), accepted.index

    def revoke_consent(self, consent_id: str, reason: str = "revoked_by_person") -> int:
        if not isinstance(consent_id, str) or not _HEX32.match(consent_id):
            raise InputError("a consent id is 32 lowercase hex characters", code="bad_consent_id")
        consent = self.store.get_consent(consent_id)
        if consent is None:
            raise NotFound(f"no consent {consent_id}", code="unknown_consent")
        meta = {"id": consent_id, "reason": reason}
        return self.submit_personal("consent.revoke", consent.subject, meta).index

    # -- the person's rights ---------------------------------------------------------------

    def export(self, national_id: str) -> dict[str, Any]:
        """Everything held about a person, as one JSON document: records (decrypted), every
        access, every consent, with log positions a verifier can check against the log."""
        return self.export_of(self._ref(national_id))

    def export_of(self, ref: str) -> dict[str, Any]:
        """`export` for a person known by their subject ref."""
        checkpoint = self.store.latest_checkpoint()
        disputed = self._disputed(ref)
        return {
            "subject": ref,
            "generated_at": utc_now(),
            "log": {
                "origin": self.ledger.origin,
                "checkpoint": checkpoint.decode() if checkpoint else None,
            },
            "records": [self.open_record(ref, r, disputed) for r in self.store.records_of(ref)],
            "access": [
                {
                    "index": a.idx,
                    "at": a.at,
                    "member": a.member,
                    "purpose": a.purpose,
                    "basis": a.basis,
                    "categories_requested": list(a.categories_requested),
                    "categories_granted": list(a.categories_granted),
                    "outcome": a.outcome,
                    "reason": a.reason,
                    "record_ids": list(a.record_ids),
                }
                for a in self.store.access_of(ref)
            ],
            "consents": [
                {
                    "id": c.id,
                    "member": c.member,
                    "purpose": c.purpose,
                    "categories": list(c.categories),
                    "valid_from": c.valid_from,
                    "valid_until": c.valid_until,
                    "granted_index": c.granted_idx,
                    "status": "revoked" if c.revoked_idx is not None else "granted",
                    "revoked_index": c.revoked_idx,
                    "revoke_reason": c.revoke_reason,
                }
                for c in self.store.consents_of(ref)
            ],
            "disputes": self.dispute_views(self.store.disputes_of(ref)),
            "programme": self._programme(ref),
            "entries": self.own_entries(ref),
        }

    def own_entries(self, ref: str) -> list[dict[str, Any]]:
        """Every entry about the person with its metadata opened, so that the person can
        check each against the log: the entry is there (inclusion proof) and its commitment
        is SHA-256 of ``"credo-meta-v1" NUL`` and the canonical JSON of ``metadata``."""
        out = []
        for index in self.store.entries_of(ref):
            statement = statement_of(self.store.read_entries(index, 1)[0])
            opened = open_statement(self.vault, statement)
            out.append(
                {
                    "index": index,
                    "kind": statement["kind"],
                    "by": statement["by"],
                    "at": statement["at"],
                    "metadata": None
                    if opened is None or opened.plaintext is None
                    else json.loads(opened.plaintext),
                }
            )
        return out

    def dispute_views(self, rows: list[DisputeRow]) -> list[dict[str, Any]]:
        """Disputes as people and members read them: who must answer, and by when."""
        days = answer_days(self.store)
        return [
            {
                "id": d.id,
                "record_id": d.record_id,
                "member": self._answerer(d.record_id),
                "opened_at": d.opened_at,
                "opened_index": d.opened_idx,
                "answer_by": _plus_days(d.opened_at, days),
                "status": d.status,
                "closed_at": d.closed_at,
                "closed_index": d.closed_idx,
                "evidence": d.evidence,
            }
            for d in rows
        ]

    def _answerer(self, record_id: str) -> str | None:
        record = self.store.get_record(record_id)
        return None if record is None else record.member

    def _programme(self, ref: str) -> dict[str, Any]:
        score = self.store.get_score(ref)
        return {
            "enrolled": self.store.is_enrolled(ref),
            "score": None
            if score is None
            else {
                "score": score.score,
                "tier": score.tier,
                "rules_hash": score.rules_hash,
                "as_of": rfc3339(score.as_of),
            },
        }

    def erase(self, national_id: str) -> dict[str, int]:
        """Forget the person: destroy their keys and payloads in the vault, then log the
        erasure of their (now unlinkable) ref so no reader or scorer uses its records again."""
        return self.erase_subject(self._ref(national_id))

    def erase_subject(self, ref: str) -> dict[str, int]:
        """`erase` for a person known by their subject ref."""
        destroyed = self.vault.erase(ref=ref)
        body = {"tag": self.vault.entry_tag(ref)}
        accepted = self.submit_as_operator("subject.erase", body, utc_now())
        return {"payloads_destroyed": destroyed, "index": accepted.index}
