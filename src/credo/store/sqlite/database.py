"""`credo.store.database.Database` in a SQLite file of its own (owner-only), or in memory:
one connection under a lock, every write a ``BEGIN IMMEDIATE`` transaction (`credo.sqlite`)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from credo.errors import StoreError
from credo.sqlite import connect, errors, transaction
from credo.store.database import Row
from credo.store.sql.schema import Types
from credo.store.sqlite.store import TYPES


class _Statements:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def rows(self, sql: str, args: Sequence[object] = ()) -> list[Row]:
        return list(self.conn.execute(sql, tuple(args)).fetchall())

    def one(self, sql: str, args: Sequence[object] = ()) -> Row | None:
        # Every row fetched: a write's RETURNING then completes the statement (and, outside
        # a transaction, commits it) here, not whenever the cursor is dropped.
        rows = self.conn.execute(sql, tuple(args)).fetchall()
        return tuple(rows[0]) if rows else None

    def exec(self, sql: str, args: Sequence[object] = ()) -> int:
        return int(self.conn.execute(sql, tuple(args)).rowcount)


class SqliteDatabase:
    is_postgres = False

    def __init__(self, path: str | Path, *, what: str, pragmas: Sequence[str] = ()) -> None:
        self.memory = str(path) == ":memory:"
        self.path = None if self.memory else Path(path)
        self.location = str(path)
        self.what = what
        self._pragmas = tuple(pragmas)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    @property
    def types(self) -> Types:
        return TYPES

    def open(self, schema: str, renamed: Mapping[str, str] | None = None) -> None:
        with self._lock:
            if self._conn is not None:
                return
            where = ":memory:" if self.path is None else self.path
            self._conn = connect(where, pragmas=self._pragmas, private=True, what=self.what)
            try:
                with errors("configuring the database", self.what):
                    mode = self._conn.execute("PRAGMA journal_mode").fetchone()[0]
                    if not self.memory and mode != "wal":
                        raise StoreError(f"{self.what} needs journal_mode=wal, got {mode}")
                    for old, new in (renamed or {}).items():
                        _rename(self._conn, old, new)
                    self._conn.executescript(schema.format_map(asdict(TYPES)))
            except BaseException:
                self.close()
                raise

    @property
    def connection(self) -> sqlite3.Connection:
        """The one connection (for SQLite-only upkeep: pragmas, migrations)."""
        if self._conn is None:
            raise StoreError(f"{self.what} is closed", code="closed")
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with errors("closing", self.what):
                    self._conn.close()
                self._conn = None

    @contextmanager
    def read(self, action: str) -> Iterator[_Statements]:
        with self._lock, errors(action, self.what):
            yield _Statements(self.connection)

    @contextmanager
    def write(self, action: str) -> Iterator[_Statements]:
        with self._lock, transaction(self.connection, action, self.what) as conn:
            yield _Statements(conn)

    def scrub(self, tables: Iterable[str]) -> None:
        """secure_delete (the caller's pragma) has zeroed deleted cells; VACUUM rebuilds the
        file from live rows only, and ``wal_checkpoint(TRUNCATE)`` copies the result home and
        cuts the WAL to zero bytes (https://sqlite.org/pragma.html#pragma_wal_checkpoint).
        ``tables`` are all of them: VACUUM rewrites the whole file."""
        with self._lock, errors("scrubbing after erasure", self.what):
            conn = self.connection
            conn.execute("VACUUM")
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise StoreError(
                "erasure committed, but another reader kept the WAL from being truncated; "
                "old pages may survive until scrub() succeeds",
                code="scrub_incomplete",
            )


def _rename(conn: sqlite3.Connection, old: str, new: str) -> None:
    """Rename table ``old`` of an older file to ``new`` (references to it follow), and drop
    its indexes (the schema creates them again under their new names)."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    if old not in tables or new in tables:
        return
    indexes = conn.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (old,),
    ).fetchall()
    conn.execute("BEGIN IMMEDIATE")
    try:
        for (index,) in indexes:
            conn.execute(f'DROP INDEX "{index}"')
        conn.execute(f'ALTER TABLE "{old}" RENAME TO "{new}"')
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
