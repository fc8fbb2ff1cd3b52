"""The PostgreSQL backend (`PostgresStore`): what of it is PostgreSQL's alone; its SQL is
`credo.store.sql`'s."""

from credo.store.postgres.store import PostgresStore, PostgresWriteTx

__all__ = ["PostgresStore", "PostgresWriteTx"]
