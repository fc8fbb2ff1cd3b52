"""People's sign-in state for the portal, in a SQLite file of its own (``DIR/accounts.db``):
enrolment codes (invites), passkeys (WebAuthn credentials), WebAuthn ceremonies in progress,
and sessions.

This is NOT log-derived state. Like the vault, nothing here is on the log or can be rebuilt
from it: ``credo rebuild`` and ``credo verify`` never touch it, and losing the file only
means people enrol their passkeys again. It never shares a database with the ledger.

What would let somebody act as a person is stored only as its SHA-256: enrolment codes,
session tokens and ceremony ids. Challenges are stored as they are (a ceremony must be
checked against its own), and live five minutes. Rows are keyed by the person's subject ref
(`credo.vault`), never by a national id; `forget` deletes every row of a subject (erasure),
with ``secure_delete`` zeroing the freed cells and a WAL checkpoint cutting the journal.

Times are Unix seconds (integers); the service formats them. Every method takes ``now`` from
its caller, so tests inject a clock. One connection, guarded by a lock: thread-safe.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from credo.errors import StoreError
from credo.sqlite import connect, errors, transaction

__all__ = ["AccountStore", "CeremonyRow", "CredentialRow", "InviteRow", "SessionRow"]

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA secure_delete=ON",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA busy_timeout=5000",
)

_WHAT = "the accounts database"

SCHEMA = """
CREATE TABLE IF NOT EXISTS invites (
    code_hash  TEXT PRIMARY KEY,   -- hex SHA-256 of the normalised code; the code is never stored
    subject    TEXT NOT NULL,
    issued_by  TEXT NOT NULL,
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS invites_subject ON invites (subject);
CREATE INDEX IF NOT EXISTS invites_expiry ON invites (expires_at);

CREATE TABLE IF NOT EXISTS credentials (
    credential_id BLOB PRIMARY KEY,
    subject       TEXT NOT NULL,
    public_key    BLOB NOT NULL,   -- COSE_Key, as the authenticator gave it
    sign_count    INTEGER NOT NULL,
    transports    TEXT NOT NULL,   -- JSON list
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS credentials_subject ON credentials (subject);

CREATE TABLE IF NOT EXISTS ceremonies (
    id         TEXT PRIMARY KEY,   -- hex SHA-256 of the ceremony id handed to the browser
    kind       TEXT NOT NULL CHECK (kind IN ('register', 'authenticate')),
    challenge  BLOB NOT NULL,
    subject    TEXT,
    code_hash  TEXT,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ceremonies_expiry ON ceremonies (expires_at);
CREATE INDEX IF NOT EXISTS ceremonies_subject ON ceremonies (subject);

CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,   -- hex SHA-256 of the session token
    subject    TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL    -- the absolute limit; the idle one is last_seen + idle
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_subject ON sessions (subject);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_at);
"""


@dataclass(frozen=True, slots=True)
class InviteRow:
    code_hash: str
    subject: str
    issued_by: str
    issued_at: int
    expires_at: int
    used_at: int | None


@dataclass(frozen=True, slots=True)
class CredentialRow:
    credential_id: bytes
    subject: str
    public_key: bytes
    sign_count: int
    transports: str
    created_at: int
    last_used_at: int | None


@dataclass(frozen=True, slots=True)
class CeremonyRow:
    id: str
    kind: str
    challenge: bytes
    subject: str | None
    code_hash: str | None
    expires_at: int


@dataclass(frozen=True, slots=True)
class SessionRow:
    token_hash: str
    subject: str
    csrf: str
    created_at: int
    last_seen: int
    expires_at: int


class AccountStore:
    """Sign-in state over one SQLite file; one connection, one writer at a time.

    Open it with ``AccountStore(path).open()`` (or ``AccountStore(":memory:")`` in tests);
    nothing is opened or created before. Every write is a ``BEGIN IMMEDIATE`` transaction
    under the lock.
    """

    def __init__(self, path: Path | str) -> None:
        self._conn: sqlite3.Connection | None = None
        self._memory = str(path) == ":memory:"
        self.path = None if self._memory else Path(path)
        self._lock = threading.RLock()

    # -- lifecycle -------------------------------------------------------------------------

    def open(self) -> AccountStore:
        """Open or create the store (owner-only, the schema created); a second call does
        nothing."""
        with self._lock:
            if self._conn is not None:
                return self
            where = ":memory:" if self.path is None else self.path
            self._conn = connect(where, pragmas=_PRAGMAS, private=True, what=_WHAT)
            try:
                with errors("configuring the database", _WHAT):
                    mode = self._conn.execute("PRAGMA journal_mode").fetchone()[0]
                    if not self._memory and mode != "wal":
                        raise StoreError(f"{_WHAT} needs journal_mode=wal, got {mode}")
                    self._conn.executescript(SCHEMA)
            except BaseException:
                self.close()
                raise
        return self

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with errors("closing", _WHAT):
                    self._conn.close()
                self._conn = None

    def __enter__(self) -> AccountStore:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AccountStore(path={str(self.path)!r})"

    def _errors(self, action: str) -> AbstractContextManager[None]:
        return errors(action, _WHAT)

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"{_WHAT} is closed", code="closed")
        return self._conn

    @contextmanager
    def _tx(self, action: str) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE), committed unless the body raises."""
        with self._lock, transaction(self._live(), action, _WHAT) as conn:
            yield conn

    # -- invites ---------------------------------------------------------------------------

    def add_invite(self, row: InviteRow) -> None:
        """Store a new invite; the subject's older unused invites are deleted (superseded)."""
        with self._tx("issuing an invite") as conn:
            conn.execute(
                "DELETE FROM invites WHERE subject = ? AND used_at IS NULL", (row.subject,)
            )
            conn.execute(
                "INSERT INTO invites (code_hash, subject, issued_by, issued_at, "
                "expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    row.code_hash,
                    row.subject,
                    row.issued_by,
                    row.issued_at,
                    row.expires_at,
                    row.used_at,
                ),
            )

    def invite(self, code_hash: str) -> InviteRow | None:
        with self._lock, self._errors("reading an invite"):
            found = (
                self._live()
                .execute(
                    "SELECT code_hash, subject, issued_by, issued_at, expires_at, used_at "
                    "FROM invites WHERE code_hash = ?",
                    (code_hash,),
                )
                .fetchone()
            )
        return None if found is None else InviteRow(*found)

    # -- ceremonies ------------------------------------------------------------------------

    def add_ceremony(self, row: CeremonyRow) -> None:
        with self._tx("starting a ceremony") as conn:
            conn.execute(
                "INSERT INTO ceremonies (id, kind, challenge, subject, code_hash, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (row.id, row.kind, row.challenge, row.subject, row.code_hash, row.expires_at),
            )

    def take_ceremony(self, ceremony_hash: str, kind: str, now: int) -> CeremonyRow | None:
        """Delete and return a live ceremony of ``kind`` (single use); None if there is none
        (unknown, of another kind, expired or already taken)."""
        with self._tx("finishing a ceremony") as conn:
            found = conn.execute(
                "DELETE FROM ceremonies WHERE id = ? "
                "RETURNING id, kind, challenge, subject, code_hash, expires_at",
                (ceremony_hash,),
            ).fetchone()
        if found is None:
            return None
        row = CeremonyRow(*found)
        if row.kind != kind or row.expires_at <= now:
            return None
        return row

    # -- credentials -----------------------------------------------------------------------

    def register(self, code_hash: str, credential: CredentialRow, now: int) -> bool:
        """In one transaction, use the invite ``code_hash`` (still unused and unexpired, for
        the credential's subject) and store the credential; False (nothing written) if the
        invite is no longer usable or the credential id is already registered."""
        with self._tx("registering a passkey") as conn:
            taken = conn.execute(
                "SELECT 1 FROM credentials WHERE credential_id = ?", (credential.credential_id,)
            ).fetchone()
            if taken is not None:
                return False
            used = conn.execute(
                "UPDATE invites SET used_at = ? WHERE code_hash = ? AND subject = ? "
                "AND used_at IS NULL AND expires_at > ?",
                (now, code_hash, credential.subject, now),
            ).rowcount
            if used != 1:
                return False
            conn.execute(
                "INSERT INTO credentials (credential_id, subject, public_key, sign_count, "
                "transports, created_at, last_used_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    credential.credential_id,
                    credential.subject,
                    credential.public_key,
                    credential.sign_count,
                    credential.transports,
                    credential.created_at,
                    credential.last_used_at,
                ),
            )
        return True

    def credential(self, credential_id: bytes) -> CredentialRow | None:
        with self._lock, self._errors("reading a passkey"):
            found = (
                self._live()
                .execute(
                    "SELECT credential_id, subject, public_key, sign_count, transports, "
                    "created_at, last_used_at "
                    "FROM credentials WHERE credential_id = ?",
                    (credential_id,),
                )
                .fetchone()
            )
        return None if found is None else CredentialRow(*found)

    def credentials_of(self, subject: str) -> list[CredentialRow]:
        with self._lock, self._errors("listing passkeys"):
            rows = (
                self._live()
                .execute(
                    "SELECT credential_id, subject, public_key, sign_count, transports, "
                    "created_at, last_used_at "
                    "FROM credentials WHERE subject = ? "
                    "ORDER BY created_at, credential_id",
                    (subject,),
                )
                .fetchall()
            )
        return [CredentialRow(*r) for r in rows]

    def use_credential(
        self, credential_id: bytes, seen_count: int, new_count: int, now: int
    ) -> bool:
        """Record a use: the sign count moves from ``seen_count`` to ``new_count`` only if no
        other use moved it meanwhile (compare and swap); False if one did."""
        with self._tx("recording a passkey's use") as conn:
            changed = conn.execute(
                "UPDATE credentials SET sign_count = ?, last_used_at = ? "
                "WHERE credential_id = ? AND sign_count = ?",
                (new_count, now, credential_id, seen_count),
            ).rowcount
        return bool(changed == 1)

    # -- sessions --------------------------------------------------------------------------

    def add_session(self, row: SessionRow) -> None:
        with self._tx("starting a session") as conn:
            conn.execute(
                "INSERT INTO sessions (token_hash, subject, csrf, created_at, last_seen, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    row.token_hash,
                    row.subject,
                    row.csrf,
                    row.created_at,
                    row.last_seen,
                    row.expires_at,
                ),
            )

    def touch_session(self, token_hash: str, now: int, idle_seconds: int) -> SessionRow | None:
        """The live session ``token_hash`` with ``last_seen`` moved to ``now``; None (and the
        row deleted) if it is unknown, idle longer than ``idle_seconds`` or past its
        absolute expiry."""
        with self._tx("reading a session") as conn:
            found = conn.execute(
                "SELECT token_hash, subject, csrf, created_at, last_seen, expires_at "
                "FROM sessions WHERE token_hash = ?",
                (token_hash,),
            ).fetchone()
            if found is None:
                return None
            row = SessionRow(*found)
            if row.expires_at <= now or row.last_seen + idle_seconds <= now:
                conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))
                return None
            conn.execute(
                "UPDATE sessions SET last_seen = ? WHERE token_hash = ?", (now, token_hash)
            )
        return SessionRow(
            row.token_hash, row.subject, row.csrf, row.created_at, now, row.expires_at
        )

    def end_session(self, token_hash: str) -> None:
        with self._tx("ending a session") as conn:
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    # -- housekeeping and erasure ----------------------------------------------------------

    def purge(self, now: int, idle_seconds: int) -> int:
        """Delete what has expired: invites (used or not), ceremonies, sessions past their
        absolute or idle limit. Returns how many rows went."""
        with self._tx("purging expired sign-in state") as conn:
            gone = conn.execute("DELETE FROM invites WHERE expires_at <= ?", (now,)).rowcount
            gone += conn.execute("DELETE FROM ceremonies WHERE expires_at <= ?", (now,)).rowcount
            gone += conn.execute(
                "DELETE FROM sessions WHERE expires_at <= ? OR last_seen + ? <= ?",
                (now, idle_seconds, now),
            ).rowcount
        return int(gone)

    def forget(self, subject: str) -> int:
        """Delete every row of ``subject`` (erasure): invites, passkeys, ceremonies, sessions;
        then cut the WAL so no deleted page lingers there. Returns how many rows went."""
        with self._tx("forgetting a subject") as conn:
            gone = 0
            for table in ("invites", "credentials", "ceremonies", "sessions"):
                gone += conn.execute(
                    f"DELETE FROM {table} WHERE subject = ?",  # noqa: S608 (fixed table names)
                    (subject,),
                ).rowcount
        with self._lock, self._errors("checkpointing after erasure"):
            self._live().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(gone)
