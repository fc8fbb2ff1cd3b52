"""What every PostgreSQL query mixin shares: where statements run, the statement helpers, and
the one mapping from `psycopg` errors to credo's (`credo.store.protocols` says which).

A write inside the writer's transaction never relies on a failing statement to find a
duplicate: PostgreSQL aborts the whole transaction on any error, and the sequencer goes on
after a refused entry. Inserts that may collide are ``ON CONFLICT DO NOTHING`` (or ``WHERE NOT
EXISTS``, safe under the writer's lock) and a row count of 0 raises `Conflict`.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

import psycopg

from credo.errors import Conflict, CredoError, InputError, StoreError

Row = tuple[Any, ...]
Connection = psycopg.Connection[Row]

DISK_FULL = "53100"  # SQLSTATE disk_full


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


def select(table: str, cols: Iterable[str], where: str = "", order: str = "") -> str:
    """A SELECT naming its columns (never ``*``), so rows are filled by name."""
    sql = f"SELECT {', '.join(cols)} FROM {table}"  # noqa: S608 (names are ours, not input)
    if where:
        sql += f" WHERE {where}"
    if order:
        sql += f" ORDER BY {order}"
    return sql


def insert(table: str, cols: Iterable[str], *, upsert: tuple[str, ...] = ()) -> str:
    """An INSERT; with ``upsert`` (the primary key's columns) one that replaces the row with
    that key, as SQLite's ``INSERT OR REPLACE`` does; without, one that inserts nothing on a
    duplicate (the caller checks the row count)."""
    names = tuple(cols)
    marks = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})"  # noqa: S608
    if not upsert:
        return sql + " ON CONFLICT DO NOTHING"
    rest = [c for c in names if c not in upsert]
    sets = ", ".join(f"{c} = excluded.{c}" for c in rest)
    return sql + f" ON CONFLICT ({', '.join(upsert)}) DO UPDATE SET {sets}"


class Queries:
    """Base of every query mixin: statements on `_connection` with errors translated.

    The store lends a pooled connection per statement (committed reads, autocommit); the
    write transaction always its own, and counts the rows its writes change.
    """

    _changes: int = 0

    def _connection(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[Row]:
        try:
            with self._connection() as conn:
                return conn.execute(sql, args).fetchall()
        except psycopg.Error as exc:
            raise translate(exc, "read") from exc

    def _one(self, sql: str, args: tuple[object, ...] = ()) -> Row | None:
        try:
            with self._connection() as conn:
                return conn.execute(sql, args).fetchone()
        except psycopg.Error as exc:
            raise translate(exc, "read") from exc

    def _exec(self, sql: str, args: tuple[object, ...] = ()) -> int:
        """Run one write; the number of rows it changed."""
        try:
            with self._connection() as conn:
                count = conn.execute(sql, args).rowcount
        except psycopg.Error as exc:
            raise translate(exc, "write") from exc
        self._changes += max(count, 0)
        return count

    def _exec_many(self, sql: str, rows: Iterable[tuple[object, ...]]) -> None:
        """Run one write for each of ``rows``, in one pipeline (one wait for the server)."""
        batch = list(rows)
        if not batch:
            return
        try:
            with self._connection() as conn, conn.cursor() as cur:
                cur.executemany(sql, batch)
        except psycopg.Error as exc:
            raise translate(exc, "write") from exc
        self._changes += len(batch)

    def _insert_new(self, sql: str, args: tuple[object, ...], what: str) -> None:
        """Run an insert that inserts nothing on a duplicate, and raise `Conflict` if so."""
        if self._exec(sql, args) == 0:
            raise Conflict(f"{what} is already stored")
