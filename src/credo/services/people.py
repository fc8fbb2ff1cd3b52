"""The people's-data service: the operations that need both the log and the vault.

`People` holds what every job about people shares: knowing a person (their subject ref in
the vault, known once an entry naming them is accepted), sealing an entry about them, and
writing as the operator (consent manager, access recorder). The jobs are in their own rooms,
each reached from here: records (`people.records`, `credo.services.records`), reads under a
purpose and basis (`people.reads`), consents (`people.consents`) and the person's rights,
export and erasure (`people.rights`). What a person is shown is typed once, in
`credo.services.views`.

National ids arrive here, are normalised and looked up in the vault, and go no further: never
into an entry, a table, an error message or a log line. Every entry about a person is sealed
(`credo.ledger.personal`): a fresh tag, the metadata encrypted under the person's key. A
reservation made while preparing an entry is not knowledge, and a call naming somebody credo
does not know looks, on the log and in its answer, like any other.
"""

from __future__ import annotations

import re
import time
from typing import Any, Protocol

from credo.errors import EntryRejected, InputError, NotFound, PermissionDenied
from credo.ledger.entries import envelope_json, make_envelope
from credo.ledger.keys import MemberKey
from credo.ledger.schema import RFC3339_UTC, Clock, parse_utc, rfc3339
from credo.ledger.sequencer import Accepted, Outcome
from credo.services.consents import Consents
from credo.services.reads import Reads
from credo.services.records import Records
from credo.services.rights import Rights
from credo.store import MemberRow, Store
from credo.vault import SealedMeta, Vault

_TIMESTAMP = re.compile(RFC3339_UTC)

BATCH = 1000
"""Entries per `LogWriter.submit` call in `People.submit_batch`."""


class LogWriter(Protocol):
    """What the people's services need of a node (`credo.services.node.Node`): the log's
    origin, the operator and its key, and a way to submit signed entries."""

    @property
    def origin(self) -> str: ...

    @property
    def operator(self) -> str: ...

    def operator_key(self) -> MemberKey: ...

    def submit(self, envelopes: list[dict[str, Any]]) -> list[Outcome]: ...


class _Node(LogWriter, Protocol):
    """A node as `People.open` takes it: a writer with its store, vault and clock."""

    @property
    def store(self) -> Store: ...

    @property
    def vault(self) -> Vault: ...

    @property
    def clock(self) -> Clock: ...


def _body(sealed: SealedMeta) -> dict[str, Any]:
    """The public body of a personal entry (`credo.ledger.personal.PersonalBody`)."""
    return {"tag": sealed.tag, "sealed": sealed.sealed, "commitment": sealed.commitment}


class People:
    """One node's store, vault and log; the API, the CLI and the portal hold one of these.

    ``clock`` (Unix seconds) is the one the node's sequencer judges entries by: every time
    this service writes or shows ("now", a consent's status) is read from it.
    """

    def __init__(self, store: Store, vault: Vault, writer: LogWriter, clock: Clock = time.time):
        self.store = store
        self.vault = vault
        self.writer = writer
        self.clock = clock
        self.records = Records(self)
        self.reads = Reads(self)
        self.consents = Consents(self)
        self.rights = Rights(self)

    @classmethod
    def open(cls, node: _Node) -> People:
        """The service over a node: its store, its own vault and its clock (all closed with
        the node)."""
        return cls(node.store, node.vault, node, node.clock)

    def close(self) -> None:
        """Nothing of its own to close: the node owns the store and the vault."""

    def now(self) -> str:
        """The clock's time, as entries carry it."""
        return rfc3339(self.clock())

    def timestamp(self, value: str | None, what: str) -> str:
        """``value`` checked as RFC 3339 UTC; None is now."""
        if value is None:
            return self.now()
        if isinstance(value, str) and _TIMESTAMP.match(value):
            try:
                parse_utc(value)
                return value
            except ValueError:
                pass  # a date no calendar has, such as 2026-02-30
        raise InputError(f"{what} must be RFC 3339 UTC, like 2025-01-31T12:00:00Z", code="bad_time")

    # -- knowing people --------------------------------------------------------------------

    def known(self, national_id: str) -> str | None:
        """The person's subject ref if an accepted entry names them, else None."""
        ref = self.vault.subject_ref(national_id)
        if ref is None or not self.store.is_known(ref):
            return None
        return ref

    def ref_of(self, national_id: str) -> str:
        """`known`, or NotFound: the same answer for anyone credo holds nothing about."""
        ref = self.known(national_id)
        if ref is None:
            raise NotFound("no data is held about that person", code="unknown_subject")
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

    def member(self, member_id: str, role: str) -> MemberRow:
        """An active member with ``role``, or PermissionDenied."""
        member = self.store.get_member(member_id)
        if member is None or member.status != "active":
            raise PermissionDenied(f"no active member {member_id!r}", code="unknown_member")
        if role not in member.roles:
            raise PermissionDenied(
                f"member {member_id!r} lacks the {role!r} role", code="role_not_allowed"
            )
        return member

    # -- sealing, and writing as the operator (consent manager, access recorder) -----------

    def sealed_body(
        self, subject: str | None, kind: str, by: str, meta: dict[str, Any]
    ) -> dict[str, Any]:
        """A personal entry's body: ``meta`` sealed for ``subject`` (None: a decoy)."""
        return _body(self.vault.seal_meta(subject, kind, by, meta))

    def submit_personal(
        self, kind: str, subject: str | None, meta: dict[str, Any], at: str | None = None
    ) -> Accepted:
        """Seal ``meta`` and sign the entry as the operator (consent manager, recorder)."""
        body = self.sealed_body(subject, kind, self.writer.operator, meta)
        return self.submit_as_operator(kind, body, at or self.now())

    def submit_as_operator(self, kind: str, body: dict[str, Any], at: str) -> Accepted:
        """Sign with the operator's key (consent manager, access recorder) and sequence;
        raise if refused."""
        operator = self.writer.operator
        envelope = make_envelope(kind, operator, body, [self.writer.operator_key()], at=at)
        return self.submit_signed(envelope_json(envelope))

    def submit_signed(self, envelope: dict[str, Any]) -> Accepted:
        """Sequence one signed entry; raise if it is refused."""
        outcome = self.writer.submit([envelope])[0]
        if isinstance(outcome, EntryRejected):
            raise outcome
        return outcome

    def operator_envelope(
        self, kind: str, subject: str | None, meta: dict[str, Any], at: str | None = None
    ) -> dict[str, Any]:
        """`submit_personal`'s entry, sealed and signed by the operator but not submitted
        (for `submit_batch`)."""
        operator = self.writer.operator
        body = self.sealed_body(subject, kind, operator, meta)
        key = self.writer.operator_key()
        return envelope_json(make_envelope(kind, operator, body, [key], at=at or self.now()))

    def submit_batch(self, envelopes: list[dict[str, Any]], batch: int = BATCH) -> list[Accepted]:
        """Sequence signed entries ``batch`` at a time (one group commit each), and raise the
        first refusal: every outcome is checked."""
        accepted: list[Accepted] = []
        for start in range(0, len(envelopes), batch):
            for outcome in self.writer.submit(envelopes[start : start + batch]):
                if isinstance(outcome, EntryRejected):
                    raise outcome
                accepted.append(outcome)
        return accepted
