"""The embedded SQLite backend (`SqliteStore`), with its schema beside it."""

from credo.store.sqlite.store import SqliteStore, SqliteWriteTx

__all__ = ["SqliteStore", "SqliteWriteTx"]
