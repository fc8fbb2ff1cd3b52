"""The PostgreSQL backend (`PostgresStore`), with its schema beside it."""

from credo.store.postgres.store import PostgresStore, PostgresWriteTx

__all__ = ["PostgresStore", "PostgresWriteTx"]
