"""The embedded SQLite backend: WAL, synchronous=FULL, one writer, readers on their own
connections so a reader never waits for the sequencer (datasette's write-thread habit).

Every statement is `credo.store.sql`'s; what is SQLite's alone is here: the connection's
pragmas, the writer's ``BEGIN IMMEDIATE``, the schema's column types, the migrations of
older files, the deferred attestations' ``executemany`` and the lease in a write
transaction. Every `sqlite3` error is turned into a credo error by `credo.sqlite.translate`.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from credo.errors import DeferredConflict, StoreError
from credo.sqlite import PerThread, connect, errors, rollback, translate
from credo.store._fencing import lease_row
from credo.store.rows import LeaseRow
from credo.store.sql.log import LEGACY_TABLES, StoreQueries, WriteQueries, committed
from credo.store.sql.schema import Types, schema
from credo.store.sqlite._base import SqliteQueries
from credo.tlog import TILE_WIDTH

TYPES = Types(
    text="TEXT",
    int="INTEGER",
    bytes="BLOB",
    real="REAL",
    without_rowid=" WITHOUT ROWID",
    deferrable="",  # SQLite defers no key: `_insert_deferred` inserts at commit instead
)
CACHE_KIB = 256 * 1024
WAL_CHECKPOINT_PAGES = 16 * 1024
_INSERT_ATTESTATION = "INSERT INTO attestation_index VALUES (?, ?, ?, ?)"


def _connect(path: str, *, readonly: bool = False, sync: str = "FULL") -> sqlite3.Connection:
    return connect(
        path,
        readonly=readonly,
        # Owner-only from creation: the file holds people's derived metadata, and SQLite
        # gives its -wal and -shm files the database file's mode.
        private=not readonly,
        pragmas=(
            "PRAGMA busy_timeout = 10000",
            f"PRAGMA synchronous = {sync}",
            "PRAGMA secure_delete = ON",
            # Derived indexes keyed by digests (attestations) take random-key inserts; with
            # SQLite's default 2 MiB cache every insert past a few thousand rows re-reads a
            # page.
            f"PRAGMA cache_size = -{CACHE_KIB}",
            # A group commit of a few thousand such inserts dirties a thousand or more index
            # pages, so checkpointing after every commit (the default: at 1,000 WAL pages)
            # copied the same hot pages into the database again and again. Checkpoint at 64
            # MiB of WAL instead, and truncate the file back to that size afterwards.
            # Sequencer CPU per entry (100k attestations, four runs each): 30.9-35.8 us ->
            # 25.3-32.8 us.
            f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}",
            f"PRAGMA journal_size_limit = {WAL_CHECKPOINT_PAGES * 4096}",
        ),
    )


def _drop_single_rules_scores(conn: sqlite3.Connection) -> None:
    """Scores were once kept one per person; they are now kept per person and rules hash.
    They are a cache (`credo score --all` recomputes them), so the old table is dropped and
    recreated empty rather than converted."""
    keys = [row[1] for row in conn.execute("PRAGMA table_info(scores)") if row[5]]
    if keys == ["subject"]:
        conn.execute("DROP TABLE scores")


def _migrate_entries(conn: sqlite3.Connection) -> None:
    """Data directories from before entry bundles kept one row per entry in ``entries``:
    regroup them into bundles once, in one transaction."""
    find = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'entries'"
    if conn.execute(find).fetchone() is None:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute(find).fetchone() is None:  # another process regrouped them first
            conn.execute("ROLLBACK")
            return
        cur = conn.execute("SELECT idx, data FROM entries ORDER BY idx")
        tx = SqliteWriteTx(conn)
        size = 0
        while chunk := cur.fetchmany(64 * TILE_WIDTH):
            if [int(idx) for idx, _ in chunk] != list(range(size, size + len(chunk))):
                raise StoreError("the entries table has a gap; it cannot be regrouped")
            tx._write_bundles(size, [bytes(data) for _, data in chunk])
            size += len(chunk)
        conn.execute("DROP TABLE entries")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _commit(conn: sqlite3.Connection) -> None:
    with errors("commit"):
        conn.execute("COMMIT")


class SqliteWriteTx(WriteQueries, SqliteQueries):
    """The open write transaction; see `credo.store.protocols.WriteTx`."""

    def __init__(self, conn: sqlite3.Connection, *, deferred: bool = False) -> None:
        super().__init__(deferred=deferred)
        self.conn = conn

    def _insert_deferred(self) -> None:
        """Before commit: insert a deferred transaction's attestations in one executemany.

        Their digests are random keys, so each insert lands on its own index page; one by
        one, between the other work of sequencing each entry, they cost ~4 us per entry more
        (sequencer alone, 100k attestations: 30.7-32.9 -> 27.1-28.9 us per entry).
        """
        if not self._new_attestations:
            return
        try:
            self.conn.executemany(_INSERT_ATTESTATION, self._new_attestations.values())
        except sqlite3.IntegrityError as exc:
            raise DeferredConflict(f"an attestation's digest is already stored: {exc}") from exc
        except sqlite3.Error as exc:
            raise translate(exc, "write") from exc
        self._new_attestations.clear()


class SqliteStore(StoreQueries, SqliteQueries):
    """`credo.store.protocols.Store` on one SQLite file.

    Constructing one touches nothing; `open` creates the schema (or, ``readonly``, only
    allows connections) and `close` closes every connection.

    ``":memory:"`` is a scratch store for replays: a file in a private temporary directory,
    made by `open` and removed by `close`, written without fsync. A file rather than SQLite's
    in-memory database, which one connection owns: this way a scratch store behaves like any
    other, committed reads from any thread included.
    """

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self._memory = str(path) == ":memory:"
        self._sync = "OFF" if self._memory else "FULL"  # a scratch store keeps nothing
        self.path = str(path)
        self.location = self.path
        self._readonly = readonly
        self._write_lock = threading.Lock()
        self._conns = PerThread(self._new_connection, f"the store {self.path}")
        self._open = False

    def open(self) -> SqliteStore:
        """Create the schema (and the scratch directory), bring an older file up to date;
        then connections may be opened."""
        if self._open:
            return self
        if self._memory:
            self._scratch = tempfile.TemporaryDirectory(prefix="credo-scratch-")
            self.path = self.location = str(Path(self._scratch.name) / "scratch.db")
        if not self._readonly:
            init = _connect(self.path, sync=self._sync)
            try:
                init.execute("PRAGMA journal_mode = WAL")
                _drop_single_rules_scores(init)
                init.executescript(schema(TYPES))
                _migrate_entries(init)
            except sqlite3.Error as exc:
                raise StoreError(
                    f"cannot create schema in {self.path}: {exc}",
                    code=translate(exc, "open").code,
                ) from exc
            finally:
                init.close()
        self._open = True
        self._conns.open()
        return self

    def _new_connection(self) -> sqlite3.Connection:
        return _connect(self.path, readonly=self._readonly, sync=self._sync)

    @property
    def conn(self) -> sqlite3.Connection:  # type: ignore[override]
        """This thread's connection: readers never share a cursor with the writer."""
        return self._conns.get()

    @contextmanager
    def write(self, *, durable: bool = True, deferred: bool = False) -> Iterator[SqliteWriteTx]:
        """BEGIN IMMEDIATE: one writer at a time, across threads and processes.

        ``durable=False`` commits without waiting for fsync (``synchronous = NORMAL`` for
        this transaction; WAL mode keeps the database consistent, a power cut may lose the
        commit). Only for caches that can be recomputed, such as scores: their fsync was
        most of a per-person rescoring's tail latency.

        ``deferred=True``: new attestations are inserted together just before COMMIT, where
        a digest already stored raises `DeferredConflict` (see `Store.write`).
        """
        with self._write_lock:
            conn = self.conn
            if not durable:
                conn.execute("PRAGMA synchronous = NORMAL")
            try:
                with errors("begin"):
                    conn.execute("BEGIN IMMEDIATE")
                tx = SqliteWriteTx(conn, deferred=deferred)
                with committed(tx, partial(_commit, conn), partial(rollback, conn)):
                    yield tx
            finally:
                if not durable:
                    conn.execute(f"PRAGMA synchronous = {self._sync}")

    def claim_lease(self, holder: str, url: str, seconds: float) -> LeaseRow:
        with self.write(durable=False) as tx:  # losing a lease to a power cut loses nothing
            tx._exec(self._lease.claim, (holder, url, seconds))
            lease = lease_row(tx._one(self._lease.read))
        if lease is None:  # the upsert always leaves the row
            raise StoreError("the sequencer's lease row is missing after its claim")
        return lease

    def release_lease(self, holder: str) -> None:
        with self.write(durable=False) as tx:
            tx._exec(self._lease.release, (holder,))

    def needs_rebuild(self) -> bool:
        """True when derived tables from an earlier schema are present."""
        marks = ",".join("?" * len(LEGACY_TABLES))
        found = self._one(
            f"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name IN ({marks})",  # noqa: S608
            LEGACY_TABLES,
        )
        return found is not None

    def close(self) -> None:
        self._conns.close()
        self._open = False
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None
