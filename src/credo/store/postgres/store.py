"""The PostgreSQL backend: a pool of autocommit connections for committed reads from any
thread, and one writer at a time, across processes and machines, by a transaction-level
advisory lock.

Every statement and the schema are `credo.store.sql`'s, so values are stored as SQLite stores
them and both backends dump the same rows; what is PostgreSQL's alone is here: the pool,
the writer's advisory lock and what ends a stalled writer, the schema's column types, the
lease claimed outside the writer's lock. Every `psycopg` error is turned into a credo error
by `credo.store.postgres._base.translate`.

Where it pays, a write goes to the server without waiting for each statement: tiles and
entry bundles as one pipelined ``executemany``, a group commit's new attestations as one
``COPY``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from functools import partial

import psycopg
from psycopg_pool import ConnectionPool

from credo.errors import DeferredConflict, StoreError
from credo.store._fencing import lease_row
from credo.store.postgres._base import Connection, PostgresQueries, pg, translate
from credo.store.rows import LeaseRow
from credo.store.sql.log import StoreQueries, WriteQueries, committed
from credo.store.sql.schema import Types, schema

TYPES = Types(
    text='TEXT COLLATE "C"',  # text orders by code point, as SQLite's BINARY, in any locale
    int="BIGINT",
    bytes="BYTEA",
    real="DOUBLE PRECISION",
    without_rowid="",
    deferrable=" DEFERRABLE INITIALLY DEFERRED",
)
log = logging.getLogger(__name__)
_ATTESTATION = ("digest", "issuer", "issued_idx", "revoked_idx")
_COPY_ATTESTATIONS = f"COPY attestation_index ({', '.join(_ATTESTATION)}) FROM STDIN"
IDLE_IN_WRITE_MS = 3000
"""How long a write transaction may sit idle between statements before it is ended,
releasing the writer's lock: a sequencer stopped (SIGSTOP) or cut off mid-commit cannot hold
up its successor for longer. No healthy commit pauses this long between two statements.

The server's ``idle_in_transaction_session_timeout`` does it only sometimes: its timer is
armed when a Sync is answered, and psycopg ends a pipeline (``executemany``) with a Flush
after the Sync, which disarms it until the next statement (tests/store/
test_postgres_frozen_writer.py). So a writer that waits this long for the lock also ends,
itself, every holder of it idle in its transaction for this long (`_END_STALLED_WRITERS`),
looking every `LOCK_WAIT_MS`.

A holder stopped in the middle of a pipeline (an ``executemany``, before its Sync) or of a
``COPY ... FROM STDIN`` (a group's attestations) is not idle at all to the server: it shows
as 'active', waiting on its client (``wait_event = 'ClientRead'``), and no timeout of the
server's ends it. So a holder that has waited on its client this long since its last
statement began is ended too (each Execute of a pipeline begins a statement; a COPY is one
statement, and no group's COPY lasts seconds). Without it a SIGSTOPped sequencer held up
its successor until it was resumed: tests/e2e/test_multihost.py saw 120 s with no entry
acknowledged."""
LOCK_WAIT_MS = 250
"""How long a writer waits for the lock before it looks again for a stalled holder. With the
wait as long as `IDLE_IN_WRITE_MS`, a successor that began waiting just after its frozen
predecessor's last statement ended it only about two `IDLE_IN_WRITE_MS` later: the first
entry after a SIGSTOP failover was acknowledged 5.3 s after the freeze in one CI run."""
# The sessions holding this store's writer lock that have sat idle inside their transaction,
# or waited on their client inside a statement, for IDLE_IN_WRITE_MS: pg_terminate_backend
# needs no superuser for sessions of one's own role.
_END_STALLED_WRITERS = (
    "SELECT pg_terminate_backend(a.pid) FROM pg_locks AS l "
    "JOIN pg_stat_activity AS a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %(class)s "
    "AND l.objid = %(key)s "
    "AND l.objsubid = 2 AND a.pid <> pg_backend_pid() "
    "AND ((a.state IN ('idle in transaction', 'idle in transaction (aborted)') "
    "AND a.state_change < clock_timestamp() - make_interval(secs => %(idle)s)) "
    "OR (a.state = 'active' AND a.wait_event = 'ClientRead' "
    "AND a.query_start < clock_timestamp() - make_interval(secs => %(idle)s)))"
)

_LOCK_CLASS = 0x63726564  # "cred": the advisory lock's first key; the second names the schema
POOL_SIZE = 16
"""Most connections one store (one process) holds: readers beyond it wait for one."""


def _rollback(conn: Connection) -> None:
    """Roll back the open transaction, if there still is one (a failed COMMIT has ended it;
    a broken connection cannot, and the pool discards it)."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE and not conn.closed:
        with suppress(psycopg.Error):  # the error that matters is the one being raised
            conn.execute("ROLLBACK")


def _commit(conn: Connection, deferred: bool) -> None:
    """COMMIT, where a deferred transaction's duplicate attestation breaks the key."""
    try:
        conn.execute("COMMIT")
    except psycopg.IntegrityError as exc:
        if deferred:
            raise DeferredConflict(f"an attestation's digest is already stored: {exc}") from exc
        raise translate(exc, "commit") from exc
    except psycopg.Error as exc:
        raise translate(exc, "commit") from exc


class PostgresWriteTx(WriteQueries, PostgresQueries):
    """The open write transaction; see `credo.store.protocols.WriteTx`."""

    def __init__(self, conn: Connection, *, deferred: bool = False) -> None:
        super().__init__(deferred=deferred)
        self.conn = conn

    def _connection(self) -> AbstractContextManager[Connection]:
        return nullcontext(self.conn)

    def _insert_deferred(self) -> None:
        """Before commit: copy a deferred transaction's attestations in, in one COPY. A
        digest already stored breaks the deferred key when the transaction commits."""
        if not self._new_attestations:
            return
        try:
            with self.conn.cursor() as cur, cur.copy(_COPY_ATTESTATIONS) as copy:
                for values in self._new_attestations.values():
                    copy.write_row(values)
        except psycopg.Error as exc:
            raise translate(exc, "write") from exc
        self._new_attestations.clear()


class PostgresStore(StoreQueries, PostgresQueries):
    """`credo.store.protocols.Store` in one PostgreSQL schema: the first of the connection's
    ``search_path`` (``public`` unless the URL's ``options`` say otherwise), created on
    first open.

    Constructing one touches nothing; `open` connects, creates the schema and opens the pool
    (and its threads); `close` closes the pool. ``readonly`` opens connections whose
    transactions are read-only (a validation worker's view).
    """

    def __init__(self, url: str, *, readonly: bool = False) -> None:
        self.location = url
        self._readonly = readonly
        self._write_lock = threading.Lock()
        self._pool: ConnectionPool[Connection] | None = None
        self._lock_key = 0

    def open(self) -> PostgresStore:
        if self._pool is not None:
            return self
        url = self.location
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                found = conn.execute(
                    "SELECT hashtext(current_database() || '.' || current_schema())"
                ).fetchone()
                if found is None or found[0] is None:
                    raise StoreError(f"no schema of {_redacted(url)}'s search_path exists")
                self._lock_key = int(found[0])
                if not self._readonly:
                    # One process creates the schema at a time: concurrent CREATE TABLE IF
                    # NOT EXISTS of one table can fail.
                    conn.execute(f"BEGIN; {self._lock_sql()};\n{schema(TYPES)}\nCOMMIT")
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot open PostgreSQL database {_redacted(url)}: {exc}",
                code=translate(exc, "open").code,
            ) from exc
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=POOL_SIZE,
            kwargs={"autocommit": True},
            configure=_read_only if self._readonly else None,
            open=True,
            name="credo-store",
        )
        return self

    def _live(self) -> ConnectionPool[Connection]:
        if self._pool is None:
            raise StoreError(f"the store {_redacted(self.location)} is not open", code="closed")
        return self._pool

    def _lock_sql(self) -> str:
        return f"SELECT pg_advisory_xact_lock({_LOCK_CLASS}, {self._lock_key})"

    def _connection(self) -> AbstractContextManager[Connection]:
        return self._live().connection()

    @contextmanager
    def write(self, *, durable: bool = True, deferred: bool = False) -> Iterator[PostgresWriteTx]:
        """One transaction holding the store's advisory lock: one writer at a time, across
        threads, processes and machines.

        ``durable=False`` commits without waiting for the WAL to reach the disk (``SET LOCAL
        synchronous_commit = off``): a crash may lose the commit, never corrupt the
        database. Only for caches that can be recomputed, such as scores.

        ``deferred=True``: the attestations' key stays deferred, and the new ones are copied
        in just before COMMIT, where a digest already stored raises `DeferredConflict`;
        otherwise it is checked at each insert (see `Store.write`).
        """
        begin = [
            "BEGIN",
            f"SET LOCAL idle_in_transaction_session_timeout = {IDLE_IN_WRITE_MS}",
            f"SET LOCAL lock_timeout = {LOCK_WAIT_MS}",
            self._lock_sql(),
            "SET LOCAL lock_timeout TO DEFAULT",
        ]
        if not durable:
            begin.append("SET LOCAL synchronous_commit = off")
        if not deferred:
            begin.append("SET CONSTRAINTS attestation_index_pkey IMMEDIATE")
        pool = self._live()
        with self._write_lock:
            try:
                conn = pool.getconn()
            except psycopg.Error as exc:
                raise translate(exc, "begin") from exc
            try:
                self._begin(conn, "; ".join(begin))
                tx = PostgresWriteTx(conn, deferred=deferred)
                with committed(tx, partial(_commit, conn, deferred), partial(_rollback, conn)):
                    yield tx
            finally:
                pool.putconn(conn)

    def _begin(self, conn: Connection, begin: str) -> None:
        """Begin a write transaction holding the writer's lock, waiting as long as it takes
        for a live writer and ending, every `LOCK_WAIT_MS`, a stalled one."""
        while True:
            try:
                conn.execute(begin)
                return
            except psycopg.errors.LockNotAvailable:
                _rollback(conn)
            except psycopg.Error as exc:
                _rollback(conn)
                raise translate(exc, "begin") from exc
            try:
                ended = conn.execute(
                    _END_STALLED_WRITERS,
                    {
                        "class": _LOCK_CLASS,
                        "key": self._lock_key & 0xFFFFFFFF,
                        "idle": IDLE_IN_WRITE_MS / 1000,
                    },
                ).fetchall()
            except psycopg.Error as exc:
                raise translate(exc, "begin") from exc
            if ended:
                log.warning("ended %d writer(s) stalled in their transaction", len(ended))

    def claim_lease(self, holder: str, url: str, seconds: float) -> LeaseRow:
        # One autocommitted upsert, outside the writer's lock: a successor can claim while
        # a stopped sequencer's transaction still holds that lock.
        with self._connection() as conn:
            try:
                conn.execute(pg(self._lease.claim), (holder, url, seconds))
                lease = lease_row(conn.execute(pg(self._lease.read)).fetchone())
            except psycopg.Error as exc:
                raise translate(exc, "write") from exc
        if lease is None:  # the upsert always leaves the row
            raise StoreError("the sequencer's lease row is missing after its claim")
        return lease

    def release_lease(self, holder: str) -> None:
        self._exec(self._lease.release, (holder,))

    def needs_rebuild(self) -> bool:
        """False: no PostgreSQL store predates this schema."""
        return False

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


def _read_only(conn: Connection) -> None:
    conn.execute("SET default_transaction_read_only = on")


def _redacted(url: str) -> str:
    """The URL without a password, for messages."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "(unparsable URL)"
    shown = {k: v for k, v in info.items() if k != "password"}
    return psycopg.conninfo.make_conninfo(**shown)  # type: ignore[arg-type]
