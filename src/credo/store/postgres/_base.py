"""The PostgreSQL side of `credo.store.sql.base.Queries`: where statements run, ``?``
parameters rewritten as psycopg's ``%s`` (`pg`, the one place), and the one mapping from
`psycopg` errors to credo's (`credo.store.protocols` says which)."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from functools import lru_cache

import psycopg

from credo.errors import Conflict, CredoError, InputError, StoreError
from credo.store._fencing import lease_sql
from credo.store.sql.base import Queries, Row

Connection = psycopg.Connection[Row]

DISK_FULL = "53100"  # SQLSTATE disk_full


@lru_cache(maxsize=1024)
def pg(sql: str) -> str:
    """``sql`` as psycopg takes it: ``%s`` for each ``?`` (no statement of credo's has a ``?``
    or ``%`` of its own, in a literal or elsewhere; a ``%`` would be doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


def translate(exc: psycopg.Error, action: str) -> CredoError:
    """The credo error for a failed PostgreSQL ``action`` ("read", "write", ...)."""
    if isinstance(exc, psycopg.IntegrityError):
        return Conflict(f"PostgreSQL {action} conflicts with stored state: {exc}")
    if exc.sqlstate == DISK_FULL:
        return StoreError(f"PostgreSQL {action} failed: the disk is full", code="disk_full")
    if isinstance(exc, psycopg.DataError) and exc.sqlstate is None:
        # Refused by psycopg before it was sent (a NUL in a text value): no row could hold
        # it, and the transaction is still usable.
        return InputError(f"PostgreSQL cannot store this value: {exc}", code="bad_value")
    return StoreError(f"PostgreSQL {action} failed: {exc}")


class PostgresQueries(Queries):
    """Base of the PostgreSQL store and its write transaction.

    The store lends a pooled connection per statement (committed reads, autocommit); the
    write transaction always its own, and counts the rows its writes change.
    """

    # clock_timestamp(), not now(): now() is the transaction's start, and a fence is checked
    # at its end.
    _lease = lease_sql("extract(epoch FROM clock_timestamp())::float8")

    def _connection(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[Row]:
        try:
            with self._connection() as conn:
                return conn.execute(pg(sql), args).fetchall()
        except psycopg.Error as exc:
            raise translate(exc, "read") from exc

    def _one(self, sql: str, args: tuple[object, ...] = ()) -> Row | None:
        try:
            with self._connection() as conn:
                return conn.execute(pg(sql), args).fetchone()
        except psycopg.Error as exc:
            raise translate(exc, "read") from exc

    def _exec(self, sql: str, args: tuple[object, ...] = ()) -> int:
        try:
            with self._connection() as conn:
                count = conn.execute(pg(sql), args).rowcount
        except psycopg.Error as exc:
            raise translate(exc, "write") from exc
        self._changes += max(count, 0)
        return count

    def _exec_many(self, sql: str, rows: Iterable[tuple[object, ...]]) -> None:
        """In one pipeline (one wait for the server)."""
        batch = list(rows)
        if not batch:
            return
        try:
            with self._connection() as conn, conn.cursor() as cur:
                cur.executemany(pg(sql), batch)
        except psycopg.Error as exc:
            raise translate(exc, "write") from exc
        self._changes += len(batch)
