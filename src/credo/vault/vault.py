"""The vault: people's payloads, encrypted under per-subject keys, in a database of its own
(a SQLite file, or tables of their own in PostgreSQL: `credo.vault.rows`).

Envelope encryption (a data key per subject, wrapped by the master key) makes erasure cheap and
total: destroying one wrapped key and its lookup row shreds every payload of that person, while
the commitments already on the log stay valid. The vault is the one piece of state that must not
be rebuildable from the log, so it never shares tables with the ledger. The rows are kept by
`credo.vault.rows`; this module holds the key operations on them.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import secrets
import threading
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from credo.errors import CredoError, InputError, NotFound, StoreError, VerificationError
from credo.store import without_password
from credo.vault import _sealing
from credo.vault._ids import check_hex_id, normalize_national_id
from credo.vault.keys import KEY_BYTES, VaultKey
from credo.vault.rows import VaultRows, VaultStorage

__all__ = [
    "MAX_CONTEXT_BYTES",
    "MAX_PAYLOAD_BYTES",
    "GroupOpener",
    "OpenedMeta",
    "Sealed",
    "SealedMeta",
    "Vault",
    "canonical_meta",
    "normalize_national_id",
]

MAX_PAYLOAD_BYTES = 16384
MAX_CONTEXT_BYTES = 1024
_COMMITMENT = re.compile(r"[0-9a-f]{64}", re.ASCII)
_CHECK_KEY = "master_check"
_PARTICIPANT_TAG = b"credo-participant-v1\x00"


@dataclass(frozen=True, slots=True)
class Sealed:
    """Where a sealed payload lives (``record_key``) and what the log carries (``commitment``)."""

    record_key: str
    commitment: str


@dataclass(frozen=True, slots=True)
class SealedMeta:
    """What a personal entry's body carries: a fresh tag, the sealed metadata (base64) and
    the commitment to its plaintext."""

    tag: str
    sealed: str
    commitment: str
    plaintext: bytes
    """What was sealed (canonical JSON with its salt): the commitment is over these bytes."""


@dataclass(frozen=True, slots=True)
class OpenedMeta:
    """A personal entry as the vault reads it: whom its tag names, and its metadata's
    plaintext, or None when no key for that subject exists (erased, or a decoy)."""

    subject: str
    plaintext: bytes | None


SealedEntry = tuple[str, str, str, str, str]
"""A personal entry's sealed metadata as `Vault.open_metas` takes it: (kind, signer, tag,
sealed, commitment)."""


def canonical_meta(meta: dict[str, object]) -> bytes:
    """Compact JSON with sorted keys: the one serialisation of sealed metadata."""
    return json.dumps(meta, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


class Vault:
    """Per-subject envelope encryption over the vault's rows (`credo.vault.rows`): a SQLite
    file path or a PostgreSQL URL (``credo serve --db``), one writer at a time.

    Open it with ``Vault(location, master).open()`` (or ``with Vault(location, master) as
    vault``). Every write is one transaction under the database's writer lock, so seal,
    ensure and erase are serialized, across processes too.
    """

    def __init__(self, path: Path | str, master: VaultKey) -> None:
        """Nothing is opened or created until `open`."""
        self._rows: VaultStorage | None = None
        self._master = master
        self.path = path
        self._lock = threading.RLock()
        self._queue: list[_Seals] = []
        self._queue_lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------

    def open(self) -> Vault:
        """Open or create the vault at ``path`` (owner-only); refuse a master key other than
        the first one. A second call does nothing."""
        with self._lock:
            if self._rows is not None:
                return self
            self._rows = VaultStorage(self.path)
            try:
                self._rows.open()
                self._setup()
            except BaseException:
                self.close()
                raise
        return self

    def _setup(self) -> None:
        with self._transaction("checking the master key") as tx:
            stored = tx.meta(_CHECK_KEY)
            expected = self._master.check_value()
            if stored is None:
                tx.add_meta(_CHECK_KEY, expected)
            elif not hmac.compare_digest(stored, expected):
                raise VerificationError(
                    f"vault {self._live().db.location} was created with another master key "
                    f"than {self._master.fingerprint}",
                    code="wrong_master_key",
                )

    def close(self) -> None:
        """Close the database (SQLite then checkpoints and removes the -wal and -shm files)
        and let go of the key (an HSM session), which the vault owns once opened with it."""
        with self._lock:
            if self._rows is not None:
                self._rows.close()
                self._rows = None
                self._master.close()

    def __enter__(self) -> Vault:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Vault(path={without_password(str(self.path))!r}, master={self._master!r})"

    # -- subjects --------------------------------------------------------------------------

    def subject_ref(self, national_id: str) -> str | None:
        """The subject ref of a person, or None if the vault does not know them (or forgot them)."""
        lookup = self._master.lookup(normalize_national_id(national_id))
        with self._read("looking up a subject") as rows:
            return rows.ref_of(lookup)

    def ensure_subject(self, national_id: str) -> str:
        """The person's subject ref, reserving one with a fresh data key on first sight.

        A reservation is not knowledge: credo knows a person once an entry about them is on
        the log (the ledger's state says so), so reserving says nothing to anyone. The ref is
        16 random bytes, not derived from the id, and never leaves the operator: once the
        lookup row is destroyed, nothing leads from the ref back to the person.
        """
        lookup = self._master.lookup(normalize_national_id(national_id))
        with self._transaction("creating a subject") as rows:
            return self._ensure(rows, lookup)

    def reserve_subject(self, national_id: str) -> str:
        """`ensure_subject` doing the same work whether the vault knows the person or not,
        so that its time says nothing about which (an enrolment code's issuer must not learn
        whether a national id is on file).

        Both paths compute the lookup, read its row, unwrap one data key, wrap one, and
        commit one written row: a new person's fresh key is wrapped, checked by unwrapping
        and inserted; a known person's key is unwrapped and re-wrapped under a fresh nonce,
        and its row rewritten (lookup and wrapped key, as an insert writes them).
        """
        lookup = self._master.lookup(normalize_national_id(national_id))
        fresh_ref, fresh_key = secrets.token_hex(16), secrets.token_bytes(KEY_BYTES)
        with self._transaction("reserving a subject") as rows:
            found = rows.subject_of(lookup)
            if found is None:
                ref, wrapped = fresh_ref, self._master.wrap_data_key(fresh_ref, fresh_key)
                self._master.unwrap_data_key(ref, wrapped)
                rows.add_subject(ref, lookup, wrapped)
            else:
                ref = found[0]
                data_key = self._master.unwrap_data_key(ref, found[1])
                rows.rewrite_subject(ref, lookup, self._master.wrap_data_key(ref, data_key))
            return ref

    def _ensure(self, rows: VaultRows, lookup: bytes) -> str:
        found = rows.ref_of(lookup)
        if found is not None:
            return found
        ref = secrets.token_hex(16)
        wrapped = self._master.wrap_data_key(ref, secrets.token_bytes(KEY_BYTES))
        rows.add_subject(ref, lookup, wrapped)
        return ref

    def is_erased(self, ref: str) -> bool:
        """True if ``ref`` existed and was erased; False if it is live or was never seen."""
        tombstone = self._master.tombstone(check_hex_id(ref, "subject ref", "bad_subject_ref"))
        with self._read("checking erasure") as rows:
            return rows.is_tombstoned(tombstone)

    # -- personal entries ------------------------------------------------------------------

    def entry_tag(self, subject: str) -> str:
        """A fresh tag naming ``subject`` (a new one every call)."""
        return self._master.entry_tag(check_hex_id(subject, "subject ref", "bad_subject_ref"))

    def subject_of(self, tag: str) -> str | None:
        """The subject a tag names, or None if this vault's key did not make it."""
        return self._master.tag_subject(tag)

    def seal_meta(
        self, subject: str | None, kind: str, by: str, meta: dict[str, object]
    ) -> SealedMeta:
        """Seal an entry's metadata under the subject's data key, with a fresh tag and salt.

        ``subject=None`` makes a decoy: a tag naming a random subject id and metadata sealed
        under a random key nobody keeps. The entry for a person credo does not know (a read
        naming an unknown national id) then looks exactly like any other on the log.
        """
        return self.seal_meta_many([(subject, kind, by, meta)])[0]

    def seal_meta_many(
        self, items: Sequence[tuple[str | None, str, str, dict[str, object]]]
    ) -> list[SealedMeta]:
        """`seal_meta` for many ``(subject, kind, by, meta)``: each subject's data key read
        and unwrapped once for the whole batch (one read, under the lock once)."""
        subjects = {s for s, _, _, _ in items if s is not None}
        for subject in subjects:
            check_hex_id(subject, "subject ref", "bad_subject_ref")
        keys: dict[str, bytes] = {}
        if subjects:
            with self._read("sealing entry metadata") as rows:
                keys = {subject: self._data_key(rows, subject) for subject in subjects}
        return [self._seal_meta(s, kind, by, meta, keys) for s, kind, by, meta in items]

    def _seal_meta(
        self,
        subject: str | None,
        kind: str,
        by: str,
        meta: dict[str, object],
        keys: dict[str, bytes],
    ) -> SealedMeta:
        plaintext = canonical_meta({"salt": secrets.token_hex(_sealing.META_SALT_BYTES), **meta})
        if subject is None:
            subject, data_key = secrets.token_hex(16), secrets.token_bytes(KEY_BYTES)
        else:
            data_key = keys[subject]
        tag = self._master.entry_tag(subject)
        blob = _sealing.seal_meta(data_key, _sealing.meta_ad(kind, by, tag), plaintext)
        return SealedMeta(
            tag,
            base64.b64encode(blob).decode("ascii"),
            _sealing.meta_commitment(plaintext),
            plaintext,
        )

    def open_meta(
        self, kind: str, by: str, tag: str, sealed: str, commitment: str
    ) -> OpenedMeta | None:
        """Read a personal entry: None if the tag is not this vault's; the subject with no
        plaintext if that subject has no key (erased, or a decoy); raises VerificationError
        if the sealed metadata was tampered with or does not match its commitment."""
        return self.open_metas([(kind, by, tag, sealed, commitment)])[0]

    def open_metas(self, entries: Sequence[SealedEntry]) -> list[OpenedMeta | None]:
        """`open_meta` for many entries, in one read of the vault, each subject's data key
        read and unwrapped once: a person's export opens 76 entries of one subject, and a
        read of the key each took 2.7 ms of its 12."""
        return self.opening([tag for _, _, tag, _, _ in entries]).open_metas(entries)

    def opening(self, tags: Iterable[str]) -> GroupOpener:
        """An opener for entries whose tags are known before they are read (the sequencer's
        group commit): the subjects' data keys read in one read of the vault and unwrapped
        once each, rather than once an entry. It answers as this vault does now; other tags
        it asks the vault about."""
        subjects = {tag: self._master.tag_subject(tag) for tag in tags}
        wanted = {s for s in subjects.values() if s is not None}
        with self._read("opening entry metadata") as rows:
            wrapped = {s: rows.wrapped_key(s) for s in wanted}
        keys = {s: self._master.unwrap_data_key(s, w) for s, w in wrapped.items() if w}
        return GroupOpener(self, subjects, keys)

    def participant(self, subject: str, consultation: str) -> str | None:
        """The person's pseudonymous participant id in one public consultation: HMAC-SHA256
        of the consultation id under a key derived from the person's own data key, 32 hex.

        The same person gets the same id within a consultation (one person, one voice) and
        unrelated ids in two consultations; without the vault nobody can compute or link
        them, and once the person is erased (the data key destroyed) nobody can at all.
        None when no key is held for the subject."""
        check_hex_id(subject, "subject ref", "bad_subject_ref")
        with self._read("deriving a participant id") as rows:
            wrapped = rows.wrapped_key(subject)
        if wrapped is None:
            return None
        data_key = self._master.unwrap_data_key(subject, wrapped)
        message = _PARTICIPANT_TAG + consultation.encode("utf-8")
        return hmac.new(data_key, message, "sha256").hexdigest()[:32]

    # -- records ---------------------------------------------------------------------------

    def seal(self, ref: str, payload: bytes, context: bytes) -> Sealed:
        """Encrypt ``payload`` under the subject's data key and store it under a new record key.

        ``context`` (e.g. category and submitting member) is bound as associated data, so the
        payload only opens in the context it was sealed for.
        """
        check_hex_id(ref, "subject ref", "bad_subject_ref")
        _check_payload(payload)
        _check_context(context)
        with self._transaction("sealing a record") as rows:
            return self._seal(rows, ref, payload, context)

    def seal_for(self, national_id: str, payload: bytes, context: bytes) -> tuple[str, Sealed]:
        """`ensure_subject` and `seal` in one transaction (one wait for the disk, not two):
        the person's ref, and where their new payload lives."""
        lookup = self._master.lookup(normalize_national_id(national_id))
        _check_payload(payload)
        _check_context(context)
        return self._group_seal([(lookup, payload, context)])[0]

    def seal_many(self, items: list[tuple[str, bytes, bytes]]) -> list[tuple[str, Sealed]]:
        """`seal_for` for many ``(national_id, payload, context)`` in ONE transaction (one
        wait for the disk, not one per payload): each person's ref and their new payload's
        place, in order. Nothing is stored unless every item is sealed."""
        checked = []
        for national_id, payload, context in items:
            lookup = self._master.lookup(normalize_national_id(national_id))
            _check_payload(payload)
            _check_context(context)
            checked.append((lookup, payload, context))
        return self._group_seal(checked)

    def _group_seal(self, items: list[tuple[bytes, bytes, bytes]]) -> list[tuple[str, Sealed]]:
        """Seal checked ``(lookup, payload, context)`` items, committed together with
        whatever other threads are sealing at the same moment: group commit, as the
        ledger's sequencer does it, so N concurrent prepares wait for one fsync, not N.

        Each caller queues its items, then takes the writer lock; the first to get it
        seals everything queued so far in ONE transaction and marks each caller's share
        done; the others, getting the lock after it, find their share done (or a failure:
        then each share is sealed again alone, so one caller's failure is never another's).
        A share is answered only once its transaction committed: acknowledged is durable,
        and a share is all in or all out."""
        mine = _Seals(items)
        with self._queue_lock:
            self._queue.append(mine)
        with self._lock:
            if not mine.done:
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._commit_seals(group)
        if not mine.done:  # the thread that took it was interrupted (KeyboardInterrupt)
            raise StoreError("sealing was interrupted before it committed", code="interrupted")
        if mine.error is not None:
            raise mine.error
        return mine.sealed

    def _commit_seals(self, group: list[_Seals]) -> None:
        """Seal the group in one transaction; if it fails, each share alone. Every share
        leaves done, with its sealing or its own error: a caller whose share this thread
        took must never find it undone (it would wait for nobody)."""
        try:
            with self._transaction("sealing records") as rows:
                sealed = self._seal_shares(rows, [share.items for share in group])
        except Exception as exc:  # noqa: BLE001 - handed to its caller, or retried alone
            if len(group) == 1:
                group[0].error, group[0].done = exc, True
                return
            for share in group:  # one share's failure must not fail the others
                try:
                    with self._transaction("sealing records") as rows:
                        share.sealed = self._seal_shares(rows, [share.items])[0]
                except Exception as alone:  # noqa: BLE001 - handed to its own caller
                    share.error = alone
                share.done = True
            return
        for share, out in zip(group, sealed, strict=True):
            share.sealed, share.done = out, True

    def _seal_shares(
        self, rows: VaultRows, shares: list[list[tuple[bytes, bytes, bytes]]]
    ) -> list[list[tuple[str, Sealed]]]:
        """Seal every share's items in the open transaction ``rows``; each subject is looked
        up (or created) and its data key unwrapped once per transaction."""
        refs: dict[bytes, str] = {}
        keys: dict[str, bytes] = {}
        out = []
        for items in shares:
            sealed = []
            for lookup, payload, context in items:
                ref = refs.get(lookup)
                if ref is None:
                    ref = refs[lookup] = self._ensure(rows, lookup)
                key = keys.get(ref)
                if key is None:
                    key = keys[ref] = self._data_key(rows, ref)
                sealed.append((ref, self._seal(rows, ref, payload, context, key)))
            out.append(sealed)
        return out

    def _seal(
        self,
        rows: VaultRows,
        ref: str,
        payload: bytes,
        context: bytes,
        data_key: bytes | None = None,
    ) -> Sealed:
        record_key = secrets.token_hex(16)
        if data_key is None:
            data_key = self._data_key(rows, ref)
        ad = _sealing.record_ad(ref, record_key, context)
        blob, commitment = _sealing.seal_record(data_key, ad, payload)
        rows.add_record(record_key, ref, blob)
        return Sealed(record_key=record_key, commitment=commitment)

    def unseal(self, ref: str, record_key: str, commitment: str, context: bytes) -> bytes:
        """Decrypt a record and check it against the commitment the log carries.

        Raises NotFound if the record is absent or its subject erased, VerificationError if the
        ciphertext, context or commitment does not check out.
        """
        check_hex_id(ref, "subject ref", "bad_subject_ref")
        _check_sealed_record(record_key, commitment, context)
        with self._read("reading a record") as rows:
            found = rows.record(record_key, ref)
            if found is None:
                raise self._missing(rows, ref, f"record {record_key}")
        blob, wrapped = found
        data_key = self._master.unwrap_data_key(ref, wrapped)
        return _open_sealed_record(data_key, ref, record_key, commitment, context, blob)

    def unseal_all(
        self, ref: str, records: Sequence[tuple[str, str, bytes]]
    ) -> list[bytes | CredoError]:
        """`unseal` for many of one subject's records, given as (record key, commitment,
        context), in one read of the vault and one unwrap of the subject's key: each answer
        the payload, or the error `unseal` would raise for that record. A person's export
        opens all their records, 72 for the demo's busiest person, and a read each took 3.8
        ms of its 12."""
        check_hex_id(ref, "subject ref", "bad_subject_ref")
        with self._read("reading records") as rows:
            wrapped = rows.wrapped_key(ref)
            keys = [record_key for record_key, _, _ in records if isinstance(record_key, str)]
            blobs = rows.records_of(ref, keys) if wrapped is not None else {}
            gone = None if wrapped is not None else self._missing(rows, ref, f"subject {ref}")
        data_key = None if wrapped is None else self._master.unwrap_data_key(ref, wrapped)
        out: list[bytes | CredoError] = []
        for record_key, commitment, context in records:
            try:
                _check_sealed_record(record_key, commitment, context)
                blob = blobs.get(record_key)
                if data_key is None or blob is None:
                    raise gone or NotFound(f"record {record_key} is not in the vault")
                out.append(
                    _open_sealed_record(data_key, ref, record_key, commitment, context, blob)
                )
            except (InputError, NotFound, VerificationError) as exc:
                out.append(exc)
        return out

    # -- erasure ---------------------------------------------------------------------------

    def erase(self, *, national_id: str | None = None, ref: str | None = None) -> int:
        """Forget a person by crypto-shredding; returns how many ciphertexts were destroyed.

        Give exactly one of ``national_id`` or ``ref``. In one transaction the wrapped data key,
        the lookup row and every ciphertext go; then :meth:`scrub` rewrites the file so no old
        page survives. Erasing an already-erased ref returns 0; an unknown subject is NotFound.
        """
        if (national_id is None) == (ref is None):
            raise InputError("erase takes exactly one of national_id or ref", code="bad_erase")
        lookup = (
            None if national_id is None else self._master.lookup(normalize_national_id(national_id))
        )
        with self._transaction("erasing a subject") as rows:
            target = self._erase_target(rows, lookup, ref)
            if target is None:
                return 0
            destroyed = rows.erase(target, self._master.tombstone(target))
        self.scrub()
        return int(destroyed)

    def _erase_target(self, rows: VaultRows, lookup: bytes | None, ref: str | None) -> str | None:
        """The live ref to erase; None if ``ref`` was already erased; NotFound if unknown."""
        if lookup is not None:
            found = rows.ref_of(lookup)
            if found is None:
                raise NotFound("the vault holds no subject with that national id", code="not_found")
            return found
        ref = check_hex_id(ref or "", "subject ref", "bad_subject_ref")
        if rows.has_subject(ref):
            return ref
        missing = self._missing(rows, ref, f"subject {ref}")
        if missing.code == "erased":
            return None
        raise missing

    def scrub(self) -> None:
        """Leave no deleted byte where the database can reach it: on SQLite, in the main
        file, its free pages or the WAL (secure_delete, VACUUM, a truncated WAL); on
        PostgreSQL, in the vault's tables (VACUUM; what WAL and backups keep is in
        docs/threat-model.md). It costs a rewrite, which erasure (rare, and legally
        required) can afford."""
        with self._lock:
            self._live().scrub()

    # -- internals -------------------------------------------------------------------------

    def _live(self) -> VaultStorage:
        if self._rows is None:
            raise StoreError(f"vault {self!r} is closed", code="vault_closed")
        return self._rows

    def _read(self, action: str) -> AbstractContextManager[VaultRows]:
        return self._live().read(action)

    def _transaction(self, action: str) -> AbstractContextManager[VaultRows]:
        """One write transaction, under the database's writer lock; rolled back on any
        exception."""
        return self._live().write(action)

    def _data_key(self, rows: VaultRows, ref: str) -> bytes:
        wrapped = rows.wrapped_key(ref)
        if wrapped is None:
            raise self._missing(rows, ref, f"subject {ref}")
        return self._master.unwrap_data_key(ref, wrapped)

    def _missing(self, rows: VaultRows, ref: str, what: str) -> NotFound:
        if rows.is_tombstoned(self._master.tombstone(ref)):
            return NotFound(f"{what} was erased", code="erased")
        return NotFound(f"{what} is not in the vault", code="not_found")


def _check_payload(payload: bytes) -> None:
    if not isinstance(payload, bytes):
        raise InputError("a payload is bytes", code="bad_payload")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise InputError(
            f"payload is {len(payload)} bytes; the limit is {MAX_PAYLOAD_BYTES}",
            code="payload_too_large",
        )


def _check_context(context: bytes) -> None:
    if not isinstance(context, bytes):
        raise InputError("a context is bytes", code="bad_context")
    if len(context) > MAX_CONTEXT_BYTES:
        raise InputError(
            f"context is {len(context)} bytes; the limit is {MAX_CONTEXT_BYTES}",
            code="bad_context",
        )


class _Seals:
    """One caller's share of a group commit (`Vault._group_seal`): its checked items, and
    once ``done``, their sealing or the error that stopped it. Read and written only under
    the vault's writer lock."""

    __slots__ = ("done", "error", "items", "sealed")

    def __init__(self, items: list[tuple[bytes, bytes, bytes]]) -> None:
        self.items = items
        self.done = False
        self.error: Exception | None = None
        self.sealed: list[tuple[str, Sealed]] = []


class GroupOpener:
    """`Vault.opening`'s answer: the vault's reading of personal entries for a known set of
    tags, their subjects' keys read once (`credo.ledger.registry.Opener`)."""

    def __init__(
        self, vault: Vault, subjects: dict[str, str | None], keys: dict[str, bytes]
    ) -> None:
        self._vault = vault
        self._subjects = subjects
        self._keys = keys

    def subject_of(self, tag: str) -> str | None:
        if tag in self._subjects:
            return self._subjects[tag]
        return self._vault.subject_of(tag)

    def open_meta(
        self, kind: str, by: str, tag: str, sealed: str, commitment: str
    ) -> OpenedMeta | None:
        if tag not in self._subjects:
            return self._vault.open_meta(kind, by, tag, sealed, commitment)
        subject = self._subjects[tag]
        if subject is None:
            return None
        key = self._keys.get(subject)
        if key is None:
            return OpenedMeta(subject, None)
        return OpenedMeta(subject, _open_sealed_meta(key, kind, by, tag, sealed, commitment))

    def open_metas(self, entries: Sequence[SealedEntry]) -> list[OpenedMeta | None]:
        return [self.open_meta(*entry) for entry in entries]

    def opening(self, tags: Iterable[str]) -> GroupOpener:
        return self._vault.opening(tags)

    def participant(self, subject: str, consultation: str) -> str | None:
        return self._vault.participant(subject, consultation)


def _open_sealed_meta(
    data_key: bytes, kind: str, by: str, tag: str, sealed: str, commitment: str
) -> bytes:
    try:
        blob = base64.b64decode(sealed, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError("sealed metadata is not base64", code="bad_seal") from exc
    plaintext = _sealing.open_meta(data_key, _sealing.meta_ad(kind, by, tag), blob)
    if not hmac.compare_digest(_sealing.meta_commitment(plaintext), commitment):
        raise VerificationError(
            "sealed metadata does not match its commitment", code="commitment_mismatch"
        )
    return plaintext


def _check_sealed_record(record_key: str, commitment: str, context: bytes) -> None:
    check_hex_id(record_key, "record key", "bad_record_key")
    if not isinstance(commitment, str) or not _COMMITMENT.fullmatch(commitment):
        raise InputError("a commitment is 64 lowercase hex characters", code="bad_commitment")
    _check_context(context)


def _open_sealed_record(
    data_key: bytes, ref: str, record_key: str, commitment: str, context: bytes, blob: bytes
) -> bytes:
    ad = _sealing.record_ad(ref, record_key, context)
    salt, payload = _sealing.open_record(data_key, ad, blob)
    computed = _sealing.commitment(salt, payload)
    if not hmac.compare_digest(computed, commitment):
        raise VerificationError(
            f"record {record_key} does not match its commitment: expected {commitment}, "
            f"computed {computed}",
            code="commitment_mismatch",
        )
    return payload
