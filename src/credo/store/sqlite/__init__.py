"""The embedded SQLite backend (`SqliteStore`): what of it is SQLite's alone; its SQL
is `credo.store.sql`'s."""

from credo.store.sqlite.store import SqliteStore, SqliteWriteTx

__all__ = ["SqliteStore", "SqliteWriteTx"]
