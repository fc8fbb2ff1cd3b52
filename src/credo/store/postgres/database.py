"""`credo.store.database.Database` in a PostgreSQL schema: the first of the URL's
``search_path``, the one the ledger's store uses, in tables of its own.

A pool of autocommit connections for committed reads; each write transaction holds a
transaction-level advisory lock named for the database (one writer of the vault, one of the
accounts... at a time, across processes and machines, as SQLite's ``BEGIN IMMEDIATE`` gives
on one host), and every `psycopg` error is translated by `credo.store.postgres._base`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict
from typing import ClassVar

import psycopg
from psycopg_pool import ConnectionPool

from credo.errors import StoreError
from credo.store.database import Row
from credo.store.postgres._base import Connection, pg, translate
from credo.store.postgres.store import TYPES, _redacted
from credo.store.sql.schema import Types

_LOCK_CLASS = 0x63726570  # "crep": people's state; the second key names the schema and the database
POOL_SIZE = 16
"""Most connections the vault, the accounts and the nonces of one process hold together on
one database: they share one pool (`_Pools`), beside the ledger store's own."""
LOCK_TIMEOUT_MS = 10_000
"""How long a writer waits for the writer lock before its write fails (a `StoreError`), so
that a stalled holder turns into refusals rather than a queue that never ends."""
STATEMENT_TIMEOUT_MS = 30_000


class _Pools:
    """One pool of autocommit connections per URL in this process, shared by every
    `PostgresDatabase` on it and closed when the last of them closes: an API process opens
    three of them (vault, accounts, nonces), and a database's connections are few."""

    _lock = threading.Lock()
    _pools: ClassVar[dict[str, tuple[ConnectionPool[Connection], int]]] = {}

    @classmethod
    def take(cls, url: str) -> ConnectionPool[Connection]:
        with cls._lock:
            pool, users = cls._pools.get(url, (None, 0))
            if pool is None:
                pool = ConnectionPool(
                    url,
                    min_size=1,
                    max_size=POOL_SIZE,
                    kwargs={"autocommit": True},
                    open=True,
                    name="credo-people",
                )
            cls._pools[url] = (pool, users + 1)
            return pool

    @classmethod
    def give_back(cls, url: str) -> None:
        with cls._lock:
            pool, users = cls._pools[url]
            if users > 1:
                cls._pools[url] = (pool, users - 1)
                return
            del cls._pools[url]
        pool.close()


class _Statements:
    def __init__(self, conn: Connection, action: str) -> None:
        self.conn = conn
        self.action = action

    def rows(self, sql: str, args: Sequence[object] = ()) -> list[Row]:
        try:
            return self.conn.execute(pg(sql), tuple(args)).fetchall()
        except psycopg.Error as exc:
            raise translate(exc, self.action) from exc

    def one(self, sql: str, args: Sequence[object] = ()) -> Row | None:
        try:
            return self.conn.execute(pg(sql), tuple(args)).fetchone()
        except psycopg.Error as exc:
            raise translate(exc, self.action) from exc

    def exec(self, sql: str, args: Sequence[object] = ()) -> int:
        try:
            return max(self.conn.execute(pg(sql), tuple(args)).rowcount, 0)
        except psycopg.Error as exc:
            raise translate(exc, self.action) from exc


class PostgresDatabase:
    is_postgres = True

    def __init__(self, url: str, *, what: str, lock: str) -> None:
        self._url = url
        self.location = _redacted(url)
        self.what = what
        self._lock_name = lock
        self._lock_key = 0
        self._pool: ConnectionPool[Connection] | None = None
        self._guard = threading.Lock()

    @property
    def types(self) -> Types:
        return TYPES

    def open(self, schema: str, renamed: Mapping[str, str] | None = None) -> None:
        with self._guard:
            if self._pool is not None:
                return
            try:
                with psycopg.connect(self._url, autocommit=True) as conn:
                    found = conn.execute(
                        "SELECT hashtext(current_database() || '.' || current_schema() "
                        "|| '.' || %s)",
                        (self._lock_name,),
                    ).fetchone()
                    if found is None or found[0] is None:
                        raise StoreError(f"no schema of {self.location}'s search_path exists")
                    self._lock_key = int(found[0])
                    # One process creates the tables at a time: concurrent CREATE TABLE IF
                    # NOT EXISTS of one table can fail.
                    with conn.transaction():
                        conn.execute(self._lock_sql())
                        conn.execute(schema.format_map(asdict(TYPES)))
            except psycopg.Error as exc:
                raise StoreError(
                    f"cannot open {self.what} in PostgreSQL {self.location}: {exc}",
                    code=translate(exc, "open").code,
                ) from exc
            self._pool = _Pools.take(self._url)

    def _lock_sql(self) -> str:
        return f"SELECT pg_advisory_xact_lock({_LOCK_CLASS}, {self._lock_key})"

    def _live(self) -> ConnectionPool[Connection]:
        pool = self._pool
        if pool is None:
            raise StoreError(f"{self.what} is closed", code="closed")
        return pool

    def close(self) -> None:
        with self._guard:
            if self._pool is not None:
                _Pools.give_back(self._url)
                self._pool = None

    @contextmanager
    def read(self, action: str) -> Iterator[_Statements]:
        try:
            with self._live().connection() as conn:
                yield _Statements(conn, action)
        except psycopg.Error as exc:  # the pool's own (no connection to be had)
            raise translate(exc, action) from exc

    @contextmanager
    def write(self, action: str) -> Iterator[_Statements]:
        begin = (
            f"BEGIN; SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}; "
            f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}; {self._lock_sql()}"
        )
        try:
            with self._live().connection() as conn:
                try:
                    conn.execute(begin)
                    yield _Statements(conn, action)
                    conn.execute("COMMIT")
                except BaseException:
                    if not conn.closed and (
                        conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
                    ):
                        with suppress(psycopg.Error):  # the error that matters is being raised
                            conn.execute("ROLLBACK")
                    raise
        except psycopg.Error as exc:
            raise translate(exc, action) from exc

    def scrub(self, tables: Iterable[str]) -> None:
        """VACUUM the tables: their dead tuples (the deleted rows) are removed from the heap
        and the indexes now rather than whenever autovacuum comes by. What VACUUM cannot
        reach (WAL segments, base backups, replicas' copies) is in docs/threat-model.md."""
        names = ", ".join(tables)
        try:
            with self._live().connection() as conn:
                conn.execute(f"VACUUM {names}")
        except psycopg.Error as exc:
            raise translate(exc, "scrubbing after erasure") from exc
