"""What every query mixin stands on: the four statement methods a backend implements, and the
builders of the statements that name their columns."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from credo.errors import Conflict
from credo.store._fencing import LeaseSql

Row = tuple[Any, ...]

MAX_INT = 1 << 62
"""Far past any real index or size; both backends bind at most 2**63 - 1."""


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
    that key; without, one that inserts nothing on a duplicate (`Queries._insert_new` turns
    that into a `Conflict`)."""
    names = tuple(cols)
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"  # noqa: S608
    return sql + on_conflict(names, upsert)


def on_conflict(names: tuple[str, ...], upsert: tuple[str, ...]) -> str:
    """The clause that makes an insert of ``names`` an upsert on ``upsert`` (or, without
    it, one that inserts nothing on a duplicate)."""
    if not upsert:
        return " ON CONFLICT DO NOTHING"
    sets = ", ".join(f"{c} = excluded.{c}" for c in names if c not in upsert)
    return f" ON CONFLICT ({', '.join(upsert)}) DO UPDATE SET {sets}"


class Queries:
    """Base of every query mixin. A backend implements the four statement methods (on its
    connection, in its parameter style, its errors translated to credo's) and gives the
    lease's SQL on its clock; the mixins hold every statement."""

    _lease: LeaseSql
    _changes: int = 0
    """Rows changed by this object's writes (`WriteTx.changes`)."""

    def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[Row]:
        raise NotImplementedError

    def _one(self, sql: str, args: tuple[object, ...] = ()) -> Row | None:
        raise NotImplementedError

    def _exec(self, sql: str, args: tuple[object, ...] = ()) -> int:
        """Run one write, counted in `_changes`; the number of rows it changed."""
        raise NotImplementedError

    def _exec_many(self, sql: str, rows: Iterable[tuple[object, ...]]) -> None:
        """Run one write for each of ``rows``, counted in `_changes`."""
        raise NotImplementedError

    def _insert_new(self, sql: str, args: tuple[object, ...], what: str) -> None:
        """Run an insert that inserts nothing on a duplicate, and raise `Conflict` if so."""
        if self._exec(sql, args) == 0:
            raise Conflict(f"{what} is already stored")
