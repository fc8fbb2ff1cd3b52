"""What every SQLite query mixin shares: the connection, the statement helpers, and the one
mapping from `sqlite3` errors to credo's (`credo.store.protocols` says which)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from credo.errors import Conflict, CredoError, StoreError

Row = tuple[Any, ...]


def translate(exc: sqlite3.Error, action: str) -> CredoError:
    """The credo error for a failed SQLite ``action`` ("read", "write", ...)."""
    if isinstance(exc, sqlite3.IntegrityError):
        return Conflict(f"SQLite {action} conflicts with stored state: {exc}")
    if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return StoreError(f"SQLite {action} failed: the disk is full", code="disk_full")
    return StoreError(f"SQLite {action} failed: {exc}")


def select(table: str, cols: Iterable[str], where: str = "", order: str = "") -> str:
    """A SELECT naming its columns (never ``*``), so rows are filled by name."""
    sql = f"SELECT {', '.join(cols)} FROM {table}"  # noqa: S608 (names are ours, not input)
    if where:
        sql += f" WHERE {where}"
    if order:
        sql += f" ORDER BY {order}"
    return sql


def insert(table: str, cols: Iterable[str], *, replace: bool = False) -> str:
    names = tuple(cols)
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    marks = ", ".join("?" * len(names))
    return f"{verb} INTO {table} ({', '.join(names)}) VALUES ({marks})"


class Queries:
    """Base of every query mixin: statements on ``conn`` with errors translated."""

    conn: sqlite3.Connection

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

    def _exec(self, sql: str, args: tuple[object, ...] = ()) -> None:
        try:
            self.conn.execute(sql, args)
        except sqlite3.Error as exc:
            raise translate(exc, "write") from exc

    def _exec_many(self, sql: str, rows: Iterable[tuple[object, ...]]) -> None:
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise translate(exc, "write") from exc
