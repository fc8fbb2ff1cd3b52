"""A small database of credo's own that is NOT derived from the log: the vault's sealed rows
(`credo.vault`), people's sign-in state (`credo.store.accounts`) and the signed-request nonces
(`credo.store.nonces`). Each keeps its SQL here once, in ``?`` style and in words both
SQLite and PostgreSQL speak; a backend keeps only what differs: connecting, the one-writer
lock, error translation, the schema's type names and how deleted bytes are scrubbed.

``database_at(location, ...)`` is the one place that maps a location to a backend, as
`credo.store.store_at` does for the ledger: a PostgreSQL URL (``credo serve --db``) puts the
tables in that database's schema (beside the ledger's, in tables of their own), anything else
is a SQLite file of their own in the data directory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from credo.store.sql.schema import Types

__all__ = ["Database", "Statements", "database_at"]

Row = tuple[Any, ...]


class Statements(Protocol):
    """Where a read or a write transaction runs its statements (``?`` parameters)."""

    def rows(self, sql: str, args: Sequence[object] = ()) -> list[Row]: ...

    def one(self, sql: str, args: Sequence[object] = ()) -> Row | None: ...

    def exec(self, sql: str, args: Sequence[object] = ()) -> int:
        """Run one write; the number of rows it changed."""
        ...


class Database(Protocol):
    """One database of a few tables, opened by `open` with its schema; every error of the
    driver comes out as a `credo.errors` error (`Conflict` for a broken key, `StoreError`
    ``disk_full`` for a full disk, `StoreError` for the rest)."""

    location: str
    """Where it is, without a password: for messages and ``repr``."""
    is_postgres: bool

    def open(self, schema: str, renamed: Mapping[str, str] | None = None) -> None:
        """Connect and run ``schema`` (its ``{text}``-style placeholders in this backend's
        `types`); a second call does nothing. ``renamed``: tables an older SQLite file holds
        under another name (old: new), renamed first; no PostgreSQL database held them."""
        ...

    @property
    def types(self) -> Types: ...

    def close(self) -> None: ...

    def read(self, action: str) -> AbstractContextManager[Statements]:
        """Statements outside a transaction, each committed on its own, without the writer
        lock: committed reads, and single writes made atomic by a key (``action`` names
        them in errors)."""
        ...

    def write(self, action: str) -> AbstractContextManager[Statements]:
        """One transaction, committed if the block ends normally and rolled back if it
        raises, holding this database's writer lock: one writer at a time across threads,
        processes and (on PostgreSQL) machines."""
        ...

    def scrub(self, tables: Iterable[str]) -> None:
        """After a deletion that erases a person: leave no deleted byte of ``tables`` where
        the backend can reach it (SQLite: VACUUM and a truncated WAL; PostgreSQL: VACUUM of
        the tables, see docs/threat-model.md for what stays in WAL and backups)."""
        ...


def database_at(
    location: str | Path, *, what: str, lock: str, pragmas: Sequence[str] = ()
) -> Database:
    """The database at ``location``, not opened yet. ``what`` names it in errors; ``lock``
    names its writer lock on PostgreSQL (one per kind of database in a schema); ``pragmas``
    configure a SQLite connection."""
    from credo.store import is_postgres

    if is_postgres(location):
        from credo.store.postgres.database import PostgresDatabase

        return PostgresDatabase(str(location), what=what, lock=lock)
    from credo.store.sqlite.database import SqliteDatabase

    return SqliteDatabase(location, what=what, pragmas=pragmas)
