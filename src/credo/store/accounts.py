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

Columns added after the first release (a passkey's name, state and the code it came with;
a session's public id, device and passkey; a code's kind) are in ``_ADDED`` and added to an
older file when it is opened. A passkey is never deleted but by erasure: removed, refused and
replaced ones stay, so the person sees every passkey ever added and by which code.

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

__all__ = [
    "AccountStore",
    "CeremonyRow",
    "CredentialRow",
    "FrozenRow",
    "InviteRow",
    "SessionRow",
]

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

CREATE TABLE IF NOT EXISTS frozen (
    subject TEXT PRIMARY KEY,      -- an account frozen for a human review (a recovery objected to)
    at      INTEGER NOT NULL,
    code_id TEXT                   -- the recovery code's id
) WITHOUT ROWID;
"""

_ADDED: tuple[tuple[str, str, str], ...] = (
    ("invites", "kind", "TEXT NOT NULL DEFAULT 'enrolment'"),  # enrolment | recovery | device
    ("invites", "code_id", "TEXT"),  # the id the log entry names (never the code)
    ("invites", "log_index", "INTEGER"),  # the account.code entry
    ("credentials", "name", "TEXT"),  # the person's name for it
    # active | pending | removed (by the person) | refused (not theirs) | replaced (recovery)
    ("credentials", "state", "TEXT NOT NULL DEFAULT 'active'"),
    ("credentials", "pending_until", "INTEGER"),  # a pending passkey's end of cooling-off
    ("credentials", "recovery", "INTEGER NOT NULL DEFAULT 0"),  # registered with a recovery code
    ("credentials", "code_id", "TEXT"),
    ("credentials", "code_kind", "TEXT"),
    ("credentials", "issued_by", "TEXT"),  # the member that issued its code ('' for a device)
    ("credentials", "code_index", "INTEGER"),
    ("credentials", "ended_at", "INTEGER"),  # when it stopped working
    ("sessions", "id", "TEXT"),  # a public handle, to end it from another session
    ("sessions", "device", "TEXT"),  # a coarse description from the User-Agent
    ("sessions", "credential_id", "BLOB"),  # the passkey it was started with
)
"""Columns added to the first release's tables, each added to an older file on open."""

_INVITE = "code_hash, subject, issued_by, issued_at, expires_at, used_at, kind, code_id, log_index"
_CREDENTIAL = (
    "credential_id, subject, public_key, sign_count, transports, created_at, last_used_at, "
    "name, state, pending_until, recovery, code_id, code_kind, issued_by, code_index, ended_at"
)
_SESSION = "token_hash, subject, csrf, created_at, last_seen, expires_at, id, device, credential_id"
GONE = ("removed", "refused", "replaced")
"""The states of a passkey that no longer works."""


def _add_columns(conn: sqlite3.Connection) -> None:
    """Bring an older accounts file up to ``_ADDED`` (columns with defaults: instant)."""
    for table, column, decl in _ADDED:
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")


@dataclass(frozen=True, slots=True)
class InviteRow:
    code_hash: str
    subject: str
    issued_by: str
    issued_at: int
    expires_at: int
    used_at: int | None
    kind: str = "enrolment"
    code_id: str | None = None
    log_index: int | None = None


@dataclass(frozen=True, slots=True)
class CredentialRow:
    credential_id: bytes
    subject: str
    public_key: bytes
    sign_count: int
    transports: str
    created_at: int
    last_used_at: int | None
    name: str | None = None
    state: str = "active"
    pending_until: int | None = None
    recovery: int = 0
    code_id: str | None = None
    code_kind: str | None = None
    issued_by: str | None = None
    code_index: int | None = None
    ended_at: int | None = None


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
    id: str | None = None
    device: str | None = None
    credential_id: bytes | None = None


@dataclass(frozen=True, slots=True)
class FrozenRow:
    subject: str
    at: int
    code_id: str | None


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
                # One writer at a time: processes starting together (credo serve
                # --processes) would otherwise each add the same missing column.
                with transaction(self._conn, "configuring the database", _WHAT):
                    _add_columns(self._conn)
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
        """Store a new invite; the subject's older unused invites of its kind are deleted
        (superseded): a device link never cancels a registrar's recovery code."""
        with self._tx("issuing an invite") as conn:
            conn.execute(
                "DELETE FROM invites WHERE subject = ? AND used_at IS NULL AND kind = ?",
                (row.subject, row.kind),
            )
            conn.execute(
                f"INSERT INTO invites ({_INVITE}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                (
                    row.code_hash,
                    row.subject,
                    row.issued_by,
                    row.issued_at,
                    row.expires_at,
                    row.used_at,
                    row.kind,
                    row.code_id,
                    row.log_index,
                ),
            )

    def invite(self, code_hash: str) -> InviteRow | None:
        with self._lock, self._errors("reading an invite"):
            found = (
                self._live()
                .execute(
                    f"SELECT {_INVITE} FROM invites WHERE code_hash = ?",  # noqa: S608
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

    def register(
        self,
        code_hash: str,
        credential: CredentialRow,
        now: int,
        hold_until: int | None = None,
    ) -> str | None:
        """In one transaction, use the invite ``code_hash`` (still unused and unexpired, for
        the credential's subject) and store the credential: ``pending`` until ``hold_until``
        if that is given and the subject has a working passkey already, else as it comes.
        The state it was stored in; None (nothing written) if the invite is no longer usable
        or the credential id is already registered."""
        state = credential.state
        with self._tx("registering a passkey") as conn:
            taken = conn.execute(
                "SELECT 1 FROM credentials WHERE credential_id = ?", (credential.credential_id,)
            ).fetchone()
            if taken is not None:
                return None
            used = conn.execute(
                "UPDATE invites SET used_at = ? WHERE code_hash = ? AND subject = ? "
                "AND used_at IS NULL AND expires_at > ?",
                (now, code_hash, credential.subject, now),
            ).rowcount
            if used != 1:
                return None
            pending_until = credential.pending_until
            if hold_until is not None and self._has_working(conn, credential.subject):
                state, pending_until = "pending", hold_until
            conn.execute(
                f"INSERT INTO credentials ({_CREDENTIAL}) "  # noqa: S608
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    credential.credential_id,
                    credential.subject,
                    credential.public_key,
                    credential.sign_count,
                    credential.transports,
                    credential.created_at,
                    credential.last_used_at,
                    credential.name,
                    state,
                    pending_until,
                    credential.recovery,
                    credential.code_id,
                    credential.code_kind,
                    credential.issued_by,
                    credential.code_index,
                    credential.ended_at,
                ),
            )
        return state

    @staticmethod
    def _has_working(conn: sqlite3.Connection, subject: str) -> bool:
        found = conn.execute(
            "SELECT 1 FROM credentials WHERE subject = ? AND state = 'active' LIMIT 1",
            (subject,),
        ).fetchone()
        return found is not None

    def credential(self, credential_id: bytes) -> CredentialRow | None:
        with self._lock, self._errors("reading a passkey"):
            found = (
                self._live()
                .execute(
                    f"SELECT {_CREDENTIAL} FROM credentials WHERE credential_id = ?",  # noqa: S608
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
                    f"SELECT {_CREDENTIAL} FROM credentials WHERE subject = ? "  # noqa: S608
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
                "WHERE credential_id = ? AND sign_count = ? AND state = 'active'",
                (new_count, now, credential_id, seen_count),
            ).rowcount
        return bool(changed == 1)

    # -- sessions --------------------------------------------------------------------------

    def add_session(self, row: SessionRow) -> None:
        with self._tx("starting a session") as conn:
            conn.execute(
                f"INSERT INTO sessions ({_SESSION}) "  # noqa: S608
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row.token_hash,
                    row.subject,
                    row.csrf,
                    row.created_at,
                    row.last_seen,
                    row.expires_at,
                    row.id,
                    row.device,
                    row.credential_id,
                ),
            )

    def touch_session(self, token_hash: str, now: int, idle_seconds: int) -> SessionRow | None:
        """The live session ``token_hash`` with ``last_seen`` moved to ``now``; None (and the
        row deleted) if it is unknown, idle longer than ``idle_seconds`` or past its
        absolute expiry."""
        with self._tx("reading a session") as conn:
            found = conn.execute(
                f"SELECT {_SESSION} FROM sessions WHERE token_hash = ?",  # noqa: S608
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
            row.token_hash,
            row.subject,
            row.csrf,
            row.created_at,
            now,
            row.expires_at,
            row.id,
            row.device,
            row.credential_id,
        )

    def end_session(self, token_hash: str) -> None:
        with self._tx("ending a session") as conn:
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def sessions_of(self, subject: str) -> list[SessionRow]:
        with self._lock, self._errors("listing sessions"):
            rows = (
                self._live()
                .execute(
                    f"SELECT {_SESSION} FROM sessions WHERE subject = ? "  # noqa: S608
                    "ORDER BY created_at, id",
                    (subject,),
                )
                .fetchall()
            )
        return [SessionRow(*r) for r in rows]

    def end_session_id(self, subject: str, session_id: str) -> bool:
        """End the session with public id ``session_id`` if it is ``subject``'s; False (and
        nothing ended) otherwise."""
        with self._tx("ending a session") as conn:
            gone = conn.execute(
                "DELETE FROM sessions WHERE subject = ? AND id = ?", (subject, session_id)
            ).rowcount
        return bool(gone == 1)

    def end_sessions(self, subject: str, keep: str | None = None) -> int:
        """End every session of ``subject`` but the one whose token hash is ``keep``."""
        with self._tx("ending sessions") as conn:
            gone = conn.execute(
                "DELETE FROM sessions WHERE subject = ? AND token_hash IS NOT ?",
                (subject, keep),
            ).rowcount
        return int(gone)

    # -- a person's passkeys: names, states, cooling-off, recovery -------------------------

    def rename(self, credential_id: bytes, subject: str, name: str) -> bool:
        with self._tx("naming a passkey") as conn:
            changed = conn.execute(
                "UPDATE credentials SET name = ? WHERE credential_id = ? AND subject = ?",
                (name, credential_id, subject),
            ).rowcount
        return bool(changed == 1)

    def set_state(
        self,
        credential_id: bytes,
        subject: str,
        states: tuple[str, ...],
        to: str,
        now: int,
    ) -> bool:
        """Move ``subject``'s passkey from one of ``states`` to ``to``; a passkey that stops
        working (``to`` in `GONE`) ends the sessions started with it. False (nothing changed)
        if it is not the subject's or not in one of ``states``."""
        marks = ",".join("?" * len(states))
        with self._tx("changing a passkey") as conn:
            changed = conn.execute(
                "UPDATE credentials SET state = ?, pending_until = NULL, "  # noqa: S608
                "ended_at = CASE WHEN ? THEN ? ELSE ended_at END "
                f"WHERE credential_id = ? AND subject = ? AND state IN ({marks})",
                (to, to in GONE, now, credential_id, subject, *states),
            ).rowcount
            if changed == 1 and to in GONE:
                conn.execute("DELETE FROM sessions WHERE credential_id = ?", (credential_id,))
        return bool(changed == 1)

    def settle(self, subject: str, now: int) -> list[CredentialRow]:
        """Let ``subject``'s pending passkeys whose cooling-off has ended work, unless the
        account is frozen. One registered with a recovery code then replaces every other
        passkey, and every session ends. The passkeys that now work."""
        with self._tx("ending a cooling-off") as conn:
            if conn.execute("SELECT 1 FROM frozen WHERE subject = ?", (subject,)).fetchone():
                return []
            due = [
                CredentialRow(*r)
                for r in conn.execute(
                    f"SELECT {_CREDENTIAL} FROM credentials "  # noqa: S608
                    "WHERE subject = ? AND state = 'pending' AND pending_until <= ? "
                    "ORDER BY recovery, pending_until, credential_id",  # a recovery last
                    (subject, now),
                ).fetchall()
            ]
            for row in due:
                if row.recovery:
                    self._replace_all_but(conn, subject, row.credential_id, now)
                conn.execute(
                    "UPDATE credentials SET state = 'active', pending_until = NULL "
                    "WHERE credential_id = ?",
                    (row.credential_id,),
                )
        return due

    @staticmethod
    def _replace_all_but(
        conn: sqlite3.Connection, subject: str, credential_id: bytes, now: int
    ) -> None:
        conn.execute(
            "UPDATE credentials SET state = 'replaced', pending_until = NULL, ended_at = ? "
            "WHERE subject = ? AND credential_id != ? AND state IN ('active', 'pending')",
            (now, subject, credential_id),
        )
        conn.execute("DELETE FROM sessions WHERE subject = ?", (subject,))

    def recover_now(self, subject: str, credential_id: bytes, now: int) -> bool:
        """A review's outcome: the pending recovery passkey works at once and replaces every
        other (and every session ends); the freeze is lifted."""
        with self._tx("completing a recovery") as conn:
            changed = conn.execute(
                "UPDATE credentials SET state = 'active', pending_until = NULL "
                "WHERE credential_id = ? AND subject = ? AND state = 'pending' AND recovery = 1",
                (credential_id, subject),
            ).rowcount
            if changed != 1:
                return False
            self._replace_all_but(conn, subject, credential_id, now)
            conn.execute("DELETE FROM frozen WHERE subject = ?", (subject,))
        return True

    # -- frozen accounts -------------------------------------------------------------------

    def freeze(self, subject: str, now: int, code_id: str | None) -> bool:
        """Freeze the account for a human review: nothing signs in, every session ends.
        False if it was frozen already."""
        with self._tx("freezing an account") as conn:
            added = conn.execute(
                "INSERT INTO frozen (subject, at, code_id) VALUES (?, ?, ?) "
                "ON CONFLICT (subject) DO NOTHING",
                (subject, now, code_id),
            ).rowcount
            conn.execute("DELETE FROM sessions WHERE subject = ?", (subject,))
        return bool(added == 1)

    def frozen(self, subject: str) -> FrozenRow | None:
        with self._lock, self._errors("reading a freeze"):
            found = (
                self._live()
                .execute("SELECT subject, at, code_id FROM frozen WHERE subject = ?", (subject,))
                .fetchone()
            )
        return None if found is None else FrozenRow(*found)

    def unfreeze(self, subject: str) -> bool:
        with self._tx("lifting a freeze") as conn:
            gone = conn.execute("DELETE FROM frozen WHERE subject = ?", (subject,)).rowcount
        return bool(gone == 1)

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
        """Delete every row of ``subject`` (erasure): invites, passkeys, ceremonies, sessions
        and a freeze;
        then cut the WAL so no deleted page lingers there. Returns how many rows went."""
        with self._tx("forgetting a subject") as conn:
            gone = 0
            for table in ("invites", "credentials", "ceremonies", "sessions", "frozen"):
                gone += conn.execute(
                    f"DELETE FROM {table} WHERE subject = ?",  # noqa: S608 (fixed table names)
                    (subject,),
                ).rowcount
        with self._lock, self._errors("checkpointing after erasure"):
            self._live().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(gone)
