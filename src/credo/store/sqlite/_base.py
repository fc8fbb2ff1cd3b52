"""The SQLite side of `credo.store.sql.base.Queries`: statements on this thread's (or the
write transaction's) connection, ``?`` parameters as SQLite takes them, and every `sqlite3`
error mapped by `credo.sqlite.translate` (`credo.store.protocols` says to which)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from credo.sqlite import translate
from credo.store._fencing import lease_sql
from credo.store.sql.base import Queries, Row


class SqliteQueries(Queries):
    """Base of the SQLite store and its write transaction."""

    conn: sqlite3.Connection
    # The database's clock in seconds since 1970, to the millisecond.
    _lease = lease_sql("((julianday('now') - 2440587.5) * 86400.0)")

    def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[Row]:
        try:
            return list(self.conn.execute(sql, args).fetchall())
        except sqlite3.Error as exc:
            raise translate(exc, "read") from exc

    def _one(self, sql: str, args: tuple[object, ...] = ()) -> Row | None:
        try:
            row: Row | None = self.conn.execute(sql, args).fetchone()
        except sqlite3.Error as exc:
            raise translate(exc, "read") from exc
        return row

    def _exec(self, sql: str, args: tuple[object, ...] = ()) -> int:
        try:
            count = self.conn.execute(sql, args).rowcount
        except sqlite3.Error as exc:
            raise translate(exc, "write") from exc
        self._changes += max(count, 0)
        return count

    def _exec_many(self, sql: str, rows: Iterable[tuple[object, ...]]) -> None:
        try:
            count = self.conn.executemany(sql, rows).rowcount
        except sqlite3.Error as exc:
            raise translate(exc, "write") from exc
        self._changes += max(count, 0)
