"""People's sign-in state for the portal, in a SQLite file of its own (``DIR/accounts.db``)
or, with ``--db``, in tables of their own in the PostgreSQL schema the ledger uses (so any API
process signs anyone in): enrolment codes (invites), passkeys (WebAuthn credentials), WebAuthn
ceremonies in progress, sessions and frozen accounts. The SQL is written once for both
(`credo.store.database`).

This is NOT log-derived state. Like the vault, nothing here is on the log or can be rebuilt
from it: ``credo rebuild`` and ``credo verify`` never touch it, and losing the file only
means people enrol their passkeys again. It never shares a database with the ledger.

What would let somebody act as a person is stored only as its SHA-256: enrolment codes,
session tokens and ceremony ids. Challenges are stored as they are (a ceremony must be
checked against its own), and live five minutes. Rows are keyed by the person's subject ref
(`credo.vault`), never by a national id; `forget` deletes every row of a subject (erasure),
then scrubs (SQLite: ``secure_delete`` zeroes the freed cells, VACUUM and a WAL checkpoint
cut the journal; PostgreSQL: VACUUM, see docs/threat-model.md).

Columns added after the first release (a passkey's name, state and the code it came with;
a session's public id, device and passkey; a code's kind) are in ``_ADDED`` and added to an
older SQLite file when it is opened (a new database has them from the start). A passkey is
never deleted but by erasure: removed, refused and replaced ones stay, so the person sees
every passkey ever added and by which code.

Times are Unix seconds (integers); the service formats them. Every method takes ``now`` from
its caller, so tests inject a clock. Thread-safe; every write is one transaction under the
database's writer lock (one writer at a time, across processes on PostgreSQL).
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from credo.errors import StoreError
from credo.sqlite import transaction
from credo.store.database import Database, Statements, database_at
from credo.store.sqlite.database import SqliteDatabase

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
    code_hash  {text} PRIMARY KEY,   -- hex SHA-256 of the normalised code; never the code
    subject    {text} NOT NULL,
    issued_by  {text} NOT NULL,
    issued_at  {int} NOT NULL,
    expires_at {int} NOT NULL,
    used_at    {int},
    kind       {text} NOT NULL DEFAULT 'enrolment',  -- enrolment | recovery | device
    code_id    {text},                               -- the id the log entry names
    log_index  {int}                                 -- the account.code entry
){without_rowid};
CREATE INDEX IF NOT EXISTS invites_subject ON invites (subject);
CREATE INDEX IF NOT EXISTS invites_expiry ON invites (expires_at);

CREATE TABLE IF NOT EXISTS credentials (
    credential_id {bytes} PRIMARY KEY,
    subject       {text} NOT NULL,
    public_key    {bytes} NOT NULL,   -- COSE_Key, as the authenticator gave it
    sign_count    {int} NOT NULL,
    transports    {text} NOT NULL,   -- JSON list
    created_at    {int} NOT NULL,
    last_used_at  {int},
    name          {text},
    state         {text} NOT NULL DEFAULT 'active',
    pending_until {int},
    recovery      {int} NOT NULL DEFAULT 0,
    code_id       {text},
    code_kind     {text},
    issued_by     {text},
    code_index    {int},
    ended_at      {int}
){without_rowid};
CREATE INDEX IF NOT EXISTS credentials_subject ON credentials (subject);

CREATE TABLE IF NOT EXISTS ceremonies (
    id         {text} PRIMARY KEY,   -- hex SHA-256 of the ceremony id handed to the browser
    kind       {text} NOT NULL CHECK (kind IN ('register', 'authenticate')),
    challenge  {bytes} NOT NULL,
    subject    {text},
    code_hash  {text},
    expires_at {int} NOT NULL
){without_rowid};
CREATE INDEX IF NOT EXISTS ceremonies_expiry ON ceremonies (expires_at);
CREATE INDEX IF NOT EXISTS ceremonies_subject ON ceremonies (subject);

CREATE TABLE IF NOT EXISTS sessions (
    token_hash    {text} PRIMARY KEY,   -- hex SHA-256 of the session token
    subject       {text} NOT NULL,
    csrf          {text} NOT NULL,
    created_at    {int} NOT NULL,
    last_seen     {int} NOT NULL,
    expires_at    {int} NOT NULL,    -- the absolute limit; the idle one is last_seen + idle
    id            {text},
    device        {text},
    credential_id {bytes}
){without_rowid};
CREATE INDEX IF NOT EXISTS sessions_subject ON sessions (subject);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_at);

CREATE TABLE IF NOT EXISTS frozen (
    subject {text} PRIMARY KEY,    -- an account frozen for a human review (a recovery objected to)
    at      {int} NOT NULL,
    code_id {text}                 -- the recovery code's id
){without_rowid};
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
"""Columns added to the first release's tables (in `SCHEMA` now), each added to an older
SQLite file on open."""
TABLES = ("invites", "credentials", "ceremonies", "sessions", "frozen")

_INVITE = "code_hash, subject, issued_by, issued_at, expires_at, used_at, kind, code_id, log_index"
_CREDENTIAL = (
    "credential_id, subject, public_key, sign_count, transports, created_at, last_used_at, "
    "name, state, pending_until, recovery, code_id, code_kind, issued_by, code_index, ended_at"
)
_SESSION = "token_hash, subject, csrf, created_at, last_seen, expires_at, id, device, credential_id"
TOUCH_EVERY = 60
"""Seconds between two moves of a session's ``last_seen``: a page within a minute of the last
move only reads the session. Moving it on every page was a write transaction, with its
fsync, per page; a session now idles out up to a minute before ``idle_seconds`` after its
last page (docs/architecture.md, "Fast paths")."""
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
    """Sign-in state over a SQLite file (``":memory:"`` in tests) or a PostgreSQL URL; one
    writer at a time.

    Open it with ``AccountStore(location).open()``; nothing is opened or created before.
    """

    def __init__(self, path: Path | str) -> None:
        self._db: Database | None = None
        self._memory = str(path) == ":memory:"
        self.location = str(path)
        self.path: Path | None = None
        if not self._memory and not _is_postgres(str(path)):
            self.path = Path(path)
        self._lock = threading.RLock()

    # -- lifecycle -------------------------------------------------------------------------

    def open(self) -> AccountStore:
        """Open or create the store (owner-only, the schema created); a second call does
        nothing."""
        with self._lock:
            if self._db is not None:
                return self
            db = database_at(self.location, what=_WHAT, lock="accounts", pragmas=_PRAGMAS)
            db.open(SCHEMA)
            self._db = db
            try:
                if isinstance(db, SqliteDatabase):
                    # One writer at a time: processes starting together (credo serve
                    # --processes) would otherwise each add the same missing column.
                    with transaction(db.connection, "configuring the database", _WHAT):
                        _add_columns(db.connection)
            except BaseException:
                self.close()
                raise
        return self

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

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
        from credo.store import without_password

        return f"AccountStore(path={without_password(self.location)!r})"

    def _live(self) -> Database:
        if self._db is None:
            raise StoreError(f"{_WHAT} is closed", code="closed")
        return self._db

    def _read(self, action: str) -> AbstractContextManager[Statements]:
        return self._live().read(action)

    def _tx(self, action: str) -> AbstractContextManager[Statements]:
        """One write transaction under the writer lock, committed unless the body raises."""
        return self._live().write(action)

    # -- invites ---------------------------------------------------------------------------

    def add_invite(self, row: InviteRow) -> None:
        """Store a new invite; the subject's older unused invites of its kind are deleted
        (superseded): a device link never cancels a registrar's recovery code."""
        with self._tx("issuing an invite") as tx:
            tx.exec(
                "DELETE FROM invites WHERE subject = ? AND used_at IS NULL AND kind = ?",
                (row.subject, row.kind),
            )
            tx.exec(
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
        with self._read("reading an invite") as st:
            found = st.one(
                f"SELECT {_INVITE} FROM invites WHERE code_hash = ?",  # noqa: S608
                (code_hash,),
            )
        return None if found is None else InviteRow(*found)

    # -- ceremonies ------------------------------------------------------------------------

    def add_ceremony(self, row: CeremonyRow) -> None:
        with self._tx("starting a ceremony") as tx:
            tx.exec(
                "INSERT INTO ceremonies (id, kind, challenge, subject, code_hash, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (row.id, row.kind, row.challenge, row.subject, row.code_hash, row.expires_at),
            )

    def take_ceremony(self, ceremony_hash: str, kind: str, now: int) -> CeremonyRow | None:
        """Delete and return a live ceremony of ``kind`` (single use); None if there is none
        (unknown, of another kind, expired or already taken)."""
        with self._tx("finishing a ceremony") as tx:
            found = tx.one(
                "DELETE FROM ceremonies WHERE id = ? "
                "RETURNING id, kind, challenge, subject, code_hash, expires_at",
                (ceremony_hash,),
            )
        if found is None:
            return None
        row = _ceremony(found)
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
        with self._tx("registering a passkey") as tx:
            taken = tx.one(
                "SELECT 1 FROM credentials WHERE credential_id = ?", (credential.credential_id,)
            )
            if taken is not None:
                return None
            used = tx.exec(
                "UPDATE invites SET used_at = ? WHERE code_hash = ? AND subject = ? "
                "AND used_at IS NULL AND expires_at > ?",
                (now, code_hash, credential.subject, now),
            )
            if used != 1:
                return None
            pending_until = credential.pending_until
            if hold_until is not None and self._has_working(tx, credential.subject):
                state, pending_until = "pending", hold_until
            tx.exec(
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
    def _has_working(tx: Statements, subject: str) -> bool:
        found = tx.one(
            "SELECT 1 FROM credentials WHERE subject = ? AND state = 'active' LIMIT 1",
            (subject,),
        )
        return found is not None

    def credential(self, credential_id: bytes) -> CredentialRow | None:
        with self._read("reading a passkey") as st:
            found = st.one(
                f"SELECT {_CREDENTIAL} FROM credentials WHERE credential_id = ?",  # noqa: S608
                (credential_id,),
            )
        return None if found is None else _credential(found)

    def credentials_of(self, subject: str) -> list[CredentialRow]:
        with self._read("listing passkeys") as st:
            rows = st.rows(
                f"SELECT {_CREDENTIAL} FROM credentials WHERE subject = ? "  # noqa: S608
                "ORDER BY created_at, credential_id",
                (subject,),
            )
        return [_credential(r) for r in rows]

    def use_credential(
        self, credential_id: bytes, seen_count: int, new_count: int, now: int
    ) -> bool:
        """Record a use: the sign count moves from ``seen_count`` to ``new_count`` only if no
        other use moved it meanwhile (compare and swap); False if one did."""
        with self._tx("recording a passkey's use") as tx:
            changed = tx.exec(
                "UPDATE credentials SET sign_count = ?, last_used_at = ? "
                "WHERE credential_id = ? AND sign_count = ? AND state = 'active'",
                (new_count, now, credential_id, seen_count),
            )
        return changed == 1

    # -- sessions --------------------------------------------------------------------------

    def add_session(self, row: SessionRow) -> None:
        with self._tx("starting a session") as tx:
            tx.exec(
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
        """The live session ``token_hash``, its ``last_seen`` moved to ``now`` if that is
        TOUCH_EVERY seconds or more after the last move; None (and the row deleted) if it is
        unknown, idle longer than ``idle_seconds`` or past its absolute expiry.

        Every page a person opens asks this, so it takes no writer lock, and most pages only
        read: the move is one UPDATE, atomic on its row, and a session that is not live
        costs a second statement, the DELETE."""
        with self._read("reading a session") as st:
            found = st.one(
                f"SELECT {_SESSION} FROM sessions WHERE token_hash = ?",  # noqa: S608
                (token_hash,),
            )
            if found is None:
                return None
            row = _session(found)
            if row.expires_at > now and row.last_seen > now - idle_seconds:
                if now - row.last_seen < TOUCH_EVERY:
                    return row
                moved = st.one(
                    f"UPDATE sessions SET last_seen = ? WHERE token_hash = ? "  # noqa: S608
                    f"AND expires_at > ? AND last_seen > ? RETURNING {_SESSION}",
                    (now, token_hash, now, now - idle_seconds),
                )
                if moved is not None:
                    return _session(moved)
            st.exec(
                "DELETE FROM sessions WHERE token_hash = ? AND (expires_at <= ? OR last_seen <= ?)",
                (token_hash, now, now - idle_seconds),
            )
            return None

    def end_session(self, token_hash: str) -> None:
        with self._tx("ending a session") as tx:
            tx.exec("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def sessions_of(self, subject: str) -> list[SessionRow]:
        with self._read("listing sessions") as st:
            rows = st.rows(
                f"SELECT {_SESSION} FROM sessions WHERE subject = ? "  # noqa: S608
                "ORDER BY created_at, id",
                (subject,),
            )
        return [_session(r) for r in rows]

    def end_session_id(self, subject: str, session_id: str) -> bool:
        """End the session with public id ``session_id`` if it is ``subject``'s; False (and
        nothing ended) otherwise."""
        with self._tx("ending a session") as tx:
            gone = tx.exec(
                "DELETE FROM sessions WHERE subject = ? AND id = ?", (subject, session_id)
            )
        return gone == 1

    def end_sessions(self, subject: str, keep: str | None = None) -> int:
        """End every session of ``subject`` but the one whose token hash is ``keep``."""
        with self._tx("ending sessions") as tx:
            if keep is None:
                return tx.exec("DELETE FROM sessions WHERE subject = ?", (subject,))
            return tx.exec(
                "DELETE FROM sessions WHERE subject = ? AND token_hash <> ?", (subject, keep)
            )

    # -- a person's passkeys: names, states, cooling-off, recovery -------------------------

    def rename(self, credential_id: bytes, subject: str, name: str) -> bool:
        with self._tx("naming a passkey") as tx:
            changed = tx.exec(
                "UPDATE credentials SET name = ? WHERE credential_id = ? AND subject = ?",
                (name, credential_id, subject),
            )
        return changed == 1

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
        gone = to in GONE
        with self._tx("changing a passkey") as tx:
            changed = tx.exec(
                "UPDATE credentials SET state = ?, pending_until = NULL, "  # noqa: S608
                "ended_at = ? "
                f"WHERE credential_id = ? AND subject = ? AND state IN ({marks})",
                (to, now, credential_id, subject, *states)
                if gone
                else (to, None, credential_id, subject, *states),
            )
            if changed == 1 and gone:
                tx.exec("DELETE FROM sessions WHERE credential_id = ?", (credential_id,))
        return changed == 1

    def settle(self, subject: str, now: int) -> list[CredentialRow]:
        """Let ``subject``'s pending passkeys whose cooling-off has ended work, unless the
        account is frozen. One registered with a recovery code then replaces every other
        passkey, and every session ends. The passkeys that now work."""
        with self._read("reading a cooling-off") as st:  # every page asks: no writer lock
            if not st.one(
                "SELECT 1 FROM credentials WHERE subject = ? AND state = 'pending' "
                "AND pending_until <= ? LIMIT 1",
                (subject, now),
            ):
                return []
        with self._tx("ending a cooling-off") as tx:
            if tx.one("SELECT 1 FROM frozen WHERE subject = ?", (subject,)):
                return []
            due = [
                _credential(r)
                for r in tx.rows(
                    f"SELECT {_CREDENTIAL} FROM credentials "  # noqa: S608
                    "WHERE subject = ? AND state = 'pending' AND pending_until <= ? "
                    "ORDER BY recovery, pending_until, credential_id",  # a recovery last
                    (subject, now),
                )
            ]
            for row in due:
                if row.recovery:
                    self._replace_all_but(tx, subject, row.credential_id, now)
                tx.exec(
                    "UPDATE credentials SET state = 'active', pending_until = NULL "
                    "WHERE credential_id = ?",
                    (row.credential_id,),
                )
        return due

    @staticmethod
    def _replace_all_but(tx: Statements, subject: str, credential_id: bytes, now: int) -> None:
        tx.exec(
            "UPDATE credentials SET state = 'replaced', pending_until = NULL, ended_at = ? "
            "WHERE subject = ? AND credential_id <> ? AND state IN ('active', 'pending')",
            (now, subject, credential_id),
        )
        tx.exec("DELETE FROM sessions WHERE subject = ?", (subject,))

    def recover_now(self, subject: str, credential_id: bytes, now: int) -> bool:
        """A review's outcome: the pending recovery passkey works at once and replaces every
        other (and every session ends); the freeze is lifted."""
        with self._tx("completing a recovery") as tx:
            changed = tx.exec(
                "UPDATE credentials SET state = 'active', pending_until = NULL "
                "WHERE credential_id = ? AND subject = ? AND state = 'pending' AND recovery = 1",
                (credential_id, subject),
            )
            if changed != 1:
                return False
            self._replace_all_but(tx, subject, credential_id, now)
            tx.exec("DELETE FROM frozen WHERE subject = ?", (subject,))
        return True

    # -- frozen accounts -------------------------------------------------------------------

    def freeze(self, subject: str, now: int, code_id: str | None) -> bool:
        """Freeze the account for a human review: nothing signs in, every session ends.
        False if it was frozen already."""
        with self._tx("freezing an account") as tx:
            added = tx.exec(
                "INSERT INTO frozen (subject, at, code_id) VALUES (?, ?, ?) "
                "ON CONFLICT (subject) DO NOTHING",
                (subject, now, code_id),
            )
            tx.exec("DELETE FROM sessions WHERE subject = ?", (subject,))
        return added == 1

    def frozen(self, subject: str) -> FrozenRow | None:
        with self._read("reading a freeze") as st:
            found = st.one("SELECT subject, at, code_id FROM frozen WHERE subject = ?", (subject,))
        return None if found is None else FrozenRow(*found)

    def unfreeze(self, subject: str) -> bool:
        with self._tx("lifting a freeze") as tx:
            gone = tx.exec("DELETE FROM frozen WHERE subject = ?", (subject,))
        return gone == 1

    # -- housekeeping and erasure ----------------------------------------------------------

    def purge(self, now: int, idle_seconds: int) -> int:
        """Delete what has expired: invites (used or not), ceremonies, sessions past their
        absolute or idle limit. Returns how many rows went."""
        with self._tx("purging expired sign-in state") as tx:
            gone = tx.exec("DELETE FROM invites WHERE expires_at <= ?", (now,))
            gone += tx.exec("DELETE FROM ceremonies WHERE expires_at <= ?", (now,))
            gone += tx.exec(
                "DELETE FROM sessions WHERE expires_at <= ? OR last_seen <= ?",
                (now, now - idle_seconds),
            )
        return gone

    def forget(self, subject: str) -> int:
        """Delete every row of ``subject`` (erasure): invites, passkeys, ceremonies, sessions
        and a freeze; then scrub, so no deleted page lingers (`Database.scrub`). Returns how
        many rows went."""
        with self._tx("forgetting a subject") as tx:
            gone = 0
            for table in TABLES:
                gone += tx.exec(
                    f"DELETE FROM {table} WHERE subject = ?",  # noqa: S608 (fixed table names)
                    (subject,),
                )
        self._live().scrub(TABLES)
        return gone


def _is_postgres(location: str) -> bool:
    from credo.store import is_postgres

    return is_postgres(location)


def _bytes(value: object) -> bytes | None:
    return None if value is None else bytes(value)  # type: ignore[call-overload]


def _credential(row: tuple[object, ...]) -> CredentialRow:
    values = list(row)
    values[0], values[2] = _bytes(values[0]), _bytes(values[2])
    return CredentialRow(*values)  # type: ignore[arg-type]


def _session(row: tuple[object, ...]) -> SessionRow:
    values = list(row)
    values[8] = _bytes(values[8])
    return SessionRow(*values)  # type: ignore[arg-type]


def _ceremony(row: tuple[object, ...]) -> CeremonyRow:
    values = list(row)
    values[2] = _bytes(values[2])
    return CeremonyRow(*values)  # type: ignore[arg-type]
