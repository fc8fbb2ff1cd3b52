"""The vault: people's payloads, encrypted under per-subject keys, in a SQLite file of its own.

Envelope encryption (a data key per subject, wrapped by the master key) makes erasure cheap and
total: destroying one wrapped key and its lookup row shreds every payload of that person, while
the commitments already on the log stay valid. The vault is the one piece of state that must not
be rebuildable from the log, so it never shares a database with the ledger.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import TracebackType

from credo.errors import InputError, NotFound, StoreError, VerificationError
from credo.sqlite import connect, errors, transaction
from credo.vault import _sealing
from credo.vault._ids import check_hex_id, normalize_national_id
from credo.vault.keys import KEY_BYTES, MasterKey

__all__ = [
    "MAX_CONTEXT_BYTES",
    "MAX_PAYLOAD_BYTES",
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
_WHAT = "the vault database"

# secure_delete zeroes deleted cells and freed pages (https://sqlite.org/pragma.html#pragma_secure_delete);
# temp_store=MEMORY keeps VACUUM's scratch copy of the database off the disk.
_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA secure_delete=ON",
    "PRAGMA foreign_keys=ON",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA busy_timeout=5000",
)


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


def canonical_meta(meta: dict[str, object]) -> bytes:
    """Compact JSON with sorted keys: the one serialisation of sealed metadata."""
    return json.dumps(meta, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


class Vault:
    """Per-subject envelope encryption over one SQLite file; one connection, one writer at a time.

    Open it with ``Vault(path, master).open()`` (or ``with Vault(path, master) as vault``).
    Every write is a ``BEGIN IMMEDIATE`` transaction under a lock, so seal, ensure and erase
    are serialized (datasette's single-writer habit).
    """

    def __init__(self, path: Path, master: MasterKey) -> None:
        """Nothing is opened or created until `open`."""
        self._conn: sqlite3.Connection | None = None
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
            if self._conn is not None:
                return self
            self._conn = connect(self.path, pragmas=_PRAGMAS, private=True, what=_WHAT)
            try:
                self._setup()
            except BaseException:
                self.close()
                raise
        return self

    def _setup(self) -> None:
        schema = resources.files("credo.vault").joinpath("vault_schema.sql").read_text("utf-8")
        conn = self._live()
        with errors("configuring the database", _WHAT):
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            secure = conn.execute("PRAGMA secure_delete").fetchone()[0]
            if mode != "wal" or secure != 1:
                raise StoreError(
                    f"vault needs journal_mode=wal and secure_delete=1, got {mode} and {secure}"
                )
            conn.executescript(schema)
        with self._transaction("checking the master key") as tx:
            row = tx.execute("SELECT value FROM vault_meta WHERE key = ?", (_CHECK_KEY,)).fetchone()
            expected = self._master.check_value()
            if row is None:
                tx.execute(
                    "INSERT INTO vault_meta (key, value) VALUES (?, ?)", (_CHECK_KEY, expected)
                )
            elif not hmac.compare_digest(bytes(row[0]), expected):
                raise VerificationError(
                    f"vault {self.path} was created with another master key than "
                    f"{self._master.fingerprint}",
                    code="wrong_master_key",
                )

    def close(self) -> None:
        """Close the connection; SQLite then checkpoints and removes the -wal and -shm files."""
        with self._lock:
            if self._conn is not None:
                with errors("closing", _WHAT):
                    self._conn.close()
                self._conn = None

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
        return f"Vault(path={str(self.path)!r}, master={self._master!r})"

    # -- subjects --------------------------------------------------------------------------

    def subject_ref(self, national_id: str) -> str | None:
        """The subject ref of a person, or None if the vault does not know them (or forgot them)."""
        lookup = self._master.lookup(normalize_national_id(national_id))
        with self._read("looking up a subject") as conn:
            row = conn.execute("SELECT ref FROM subjects WHERE lookup = ?", (lookup,)).fetchone()
        return None if row is None else str(row[0])

    def ensure_subject(self, national_id: str) -> str:
        """The person's subject ref, reserving one with a fresh data key on first sight.

        A reservation is not knowledge: credo knows a person once an entry about them is on
        the log (the ledger's state says so), so reserving says nothing to anyone. The ref is
        16 random bytes, not derived from the id, and never leaves the operator: once the
        lookup row is destroyed, nothing leads from the ref back to the person.
        """
        lookup = self._master.lookup(normalize_national_id(national_id))
        with self._transaction("creating a subject") as conn:
            return self._ensure(conn, lookup)

    def _ensure(self, conn: sqlite3.Connection, lookup: bytes) -> str:
        row = conn.execute("SELECT ref FROM subjects WHERE lookup = ?", (lookup,)).fetchone()
        if row is not None:
            return str(row[0])
        ref = secrets.token_hex(16)
        wrapped = self._master.wrap_data_key(ref, secrets.token_bytes(KEY_BYTES))
        conn.execute(
            "INSERT INTO subjects (ref, lookup, wrapped_key) VALUES (?, ?, ?)",
            (ref, lookup, wrapped),
        )
        return ref

    def is_erased(self, ref: str) -> bool:
        """True if ``ref`` existed and was erased; False if it is live or was never seen."""
        tombstone = self._master.tombstone(check_hex_id(ref, "subject ref", "bad_subject_ref"))
        with self._read("checking erasure") as conn:
            row = conn.execute("SELECT 1 FROM erased WHERE tombstone = ?", (tombstone,)).fetchone()
        return row is not None

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
            with self._read("sealing entry metadata") as conn:
                keys = {subject: self._data_key(conn, subject) for subject in subjects}
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
        subject = self._master.tag_subject(tag)
        if subject is None:
            return None
        with self._read("opening entry metadata") as conn:
            row = conn.execute(
                "SELECT wrapped_key FROM subjects WHERE ref = ?", (subject,)
            ).fetchone()
        if row is None:
            return OpenedMeta(subject, None)
        data_key = self._master.unwrap_data_key(subject, bytes(row[0]))
        try:
            blob = base64.b64decode(sealed, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise VerificationError("sealed metadata is not base64", code="bad_seal") from exc
        plaintext = _sealing.open_meta(data_key, _sealing.meta_ad(kind, by, tag), blob)
        if not hmac.compare_digest(_sealing.meta_commitment(plaintext), commitment):
            raise VerificationError(
                "sealed metadata does not match its commitment", code="commitment_mismatch"
            )
        return OpenedMeta(subject, plaintext)

    # -- records ---------------------------------------------------------------------------

    def seal(self, ref: str, payload: bytes, context: bytes) -> Sealed:
        """Encrypt ``payload`` under the subject's data key and store it under a new record key.

        ``context`` (e.g. category and submitting member) is bound as associated data, so the
        payload only opens in the context it was sealed for.
        """
        check_hex_id(ref, "subject ref", "bad_subject_ref")
        _check_payload(payload)
        _check_context(context)
        with self._transaction("sealing a record") as conn:
            return self._seal(conn, ref, payload, context)

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
            with self._transaction("sealing records") as conn:
                sealed = self._seal_shares(conn, [share.items for share in group])
        except Exception as exc:  # noqa: BLE001 - handed to its caller, or retried alone
            if len(group) == 1:
                group[0].error, group[0].done = exc, True
                return
            for share in group:  # one share's failure must not fail the others
                try:
                    with self._transaction("sealing records") as conn:
                        share.sealed = self._seal_shares(conn, [share.items])[0]
                except Exception as alone:  # noqa: BLE001 - handed to its own caller
                    share.error = alone
                share.done = True
            return
        for share, out in zip(group, sealed, strict=True):
            share.sealed, share.done = out, True

    def _seal_shares(
        self, conn: sqlite3.Connection, shares: list[list[tuple[bytes, bytes, bytes]]]
    ) -> list[list[tuple[str, Sealed]]]:
        """Seal every share's items in the open transaction ``conn``; each subject is looked
        up (or created) and its data key unwrapped once per transaction."""
        refs: dict[bytes, str] = {}
        keys: dict[str, bytes] = {}
        out = []
        for items in shares:
            sealed = []
            for lookup, payload, context in items:
                ref = refs.get(lookup)
                if ref is None:
                    ref = refs[lookup] = self._ensure(conn, lookup)
                key = keys.get(ref)
                if key is None:
                    key = keys[ref] = self._data_key(conn, ref)
                sealed.append((ref, self._seal(conn, ref, payload, context, key)))
            out.append(sealed)
        return out

    def _seal(
        self,
        conn: sqlite3.Connection,
        ref: str,
        payload: bytes,
        context: bytes,
        data_key: bytes | None = None,
    ) -> Sealed:
        record_key = secrets.token_hex(16)
        if data_key is None:
            data_key = self._data_key(conn, ref)
        ad = _sealing.record_ad(ref, record_key, context)
        blob, commitment = _sealing.seal_record(data_key, ad, payload)
        conn.execute(
            "INSERT INTO records (record_key, ref, blob) VALUES (?, ?, ?)",
            (record_key, ref, blob),
        )
        return Sealed(record_key=record_key, commitment=commitment)

    def unseal(self, ref: str, record_key: str, commitment: str, context: bytes) -> bytes:
        """Decrypt a record and check it against the commitment the log carries.

        Raises NotFound if the record is absent or its subject erased, VerificationError if the
        ciphertext, context or commitment does not check out.
        """
        check_hex_id(ref, "subject ref", "bad_subject_ref")
        check_hex_id(record_key, "record key", "bad_record_key")
        if not isinstance(commitment, str) or not _COMMITMENT.fullmatch(commitment):
            raise InputError("a commitment is 64 lowercase hex characters", code="bad_commitment")
        _check_context(context)
        with self._read("reading a record") as conn:
            row = conn.execute(
                "SELECT r.blob, s.wrapped_key FROM records AS r JOIN subjects AS s USING (ref) "
                "WHERE r.record_key = ? AND r.ref = ?",
                (record_key, ref),
            ).fetchone()
            if row is None:
                raise self._missing(conn, ref, f"record {record_key}")
        data_key = self._master.unwrap_data_key(ref, bytes(row[1]))
        ad = _sealing.record_ad(ref, record_key, context)
        salt, payload = _sealing.open_record(data_key, ad, bytes(row[0]))
        computed = _sealing.commitment(salt, payload)
        if not hmac.compare_digest(computed, commitment):
            raise VerificationError(
                f"record {record_key} does not match its commitment: expected {commitment}, "
                f"computed {computed}",
                code="commitment_mismatch",
            )
        return payload

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
        with self._transaction("erasing a subject") as conn:
            target = self._erase_target(conn, lookup, ref)
            if target is None:
                return 0
            destroyed = conn.execute("DELETE FROM records WHERE ref = ?", (target,)).rowcount
            conn.execute("DELETE FROM subjects WHERE ref = ?", (target,))
            conn.execute(
                "INSERT OR IGNORE INTO erased (tombstone) VALUES (?)",
                (self._master.tombstone(target),),
            )
        self.scrub()
        return int(destroyed)

    def _erase_target(
        self, conn: sqlite3.Connection, lookup: bytes | None, ref: str | None
    ) -> str | None:
        """The live ref to erase; None if ``ref`` was already erased; NotFound if unknown."""
        if lookup is not None:
            row = conn.execute("SELECT ref FROM subjects WHERE lookup = ?", (lookup,)).fetchone()
            if row is None:
                raise NotFound("the vault holds no subject with that national id", code="not_found")
            return str(row[0])
        ref = check_hex_id(ref or "", "subject ref", "bad_subject_ref")
        if conn.execute("SELECT 1 FROM subjects WHERE ref = ?", (ref,)).fetchone() is not None:
            return ref
        missing = self._missing(conn, ref, f"subject {ref}")
        if missing.code == "erased":
            return None
        raise missing

    def scrub(self) -> None:
        """Leave no deleted byte in the main file, its free pages or the WAL.

        secure_delete has already zeroed deleted cells; VACUUM rebuilds the file from live rows
        only, and ``wal_checkpoint(TRUNCATE)`` copies the result home and cuts the WAL to zero
        bytes (https://sqlite.org/pragma.html#pragma_wal_checkpoint). It costs a full rewrite of
        the vault, which erasure (rare, and legally required) can afford.
        """
        with self._lock, errors("scrubbing after erasure", _WHAT):
            conn = self._live()
            conn.execute("VACUUM")
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise StoreError(
                "erasure committed, but another reader kept the WAL from being truncated; "
                "old pages may survive until scrub() succeeds",
                code="scrub_incomplete",
            )

    # -- internals -------------------------------------------------------------------------

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"vault {self.path} is closed", code="vault_closed")
        return self._conn

    @contextmanager
    def _read(self, action: str) -> Iterator[sqlite3.Connection]:
        with self._lock, errors(action, _WHAT):
            yield self._live()

    @contextmanager
    def _transaction(self, action: str) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` write transaction; rolled back on any exception."""
        with self._lock, transaction(self._live(), action, _WHAT) as conn:
            yield conn

    def _data_key(self, conn: sqlite3.Connection, ref: str) -> bytes:
        row = conn.execute("SELECT wrapped_key FROM subjects WHERE ref = ?", (ref,)).fetchone()
        if row is None:
            raise self._missing(conn, ref, f"subject {ref}")
        return self._master.unwrap_data_key(ref, bytes(row[0]))

    def _missing(self, conn: sqlite3.Connection, ref: str, what: str) -> NotFound:
        tombstone = self._master.tombstone(ref)
        if conn.execute("SELECT 1 FROM erased WHERE tombstone = ?", (tombstone,)).fetchone():
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
