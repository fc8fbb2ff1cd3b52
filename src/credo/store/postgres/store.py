"""The PostgreSQL backend: a pool of autocommit connections for committed reads from any
thread, and one writer at a time, across processes and machines, by a transaction-level
advisory lock.

The schema sits beside this module (``*.sql``), table for table the SQLite one, and values
are stored as SQLite stores them, so both backends dump the same rows. Every `psycopg` error
is turned into a credo error by `credo.store.postgres._base.translate`.

Where it pays, a write goes to the server without waiting for each statement: tiles and
entry bundles as one pipelined ``executemany``, a group commit's new attestations as one
``COPY``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from importlib import resources
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from credo.errors import Conflict, DeferredConflict, InputError, StoreError
from credo.store._bundles import bundle_entries, bundle_rows
from credo.store._fencing import check_fence, check_swap, lease_row, lease_sql
from credo.store.consultation_rows import CONSULTATION_PERSONAL, CONSULTATION_PUBLIC
from credo.store.postgres._base import Connection, Queries, Row, insert, select, translate
from credo.store.postgres._consultations import ConsultationQueries, ConsultationWrites
from credo.store.postgres._programme import (
    PROGRAMME_DERIVED,
    SCORE_TABLES,
    SERVING_RULES_KEY,
    ProgrammeQueries,
    ProgrammeWrites,
)
from credo.store.postgres._records import PEOPLE_DERIVED, PeopleQueries, PeopleWrites
from credo.store.rows import (
    CORRUPT_LOG,
    AttestationRow,
    CheckpointRow,
    LeaseRow,
    MemberRow,
    columns,
)
from credo.tlog import TILE_WIDTH

DERIVED_TABLES: tuple[str, ...] = (
    "members",
    "attestation_index",
    *PROGRAMME_DERIVED,
    *PEOPLE_DERIVED,
    *CONSULTATION_PUBLIC,
    *CONSULTATION_PERSONAL,
)
_STATE_META_KEYS = ("state_version", "witness_policy", SERVING_RULES_KEY)
log = logging.getLogger(__name__)
_SCHEMA = "\n".join(
    resources.files("credo.store.postgres").joinpath(name).read_text()
    for name in (
        "schema.sql",
        "programme_schema.sql",
        "records_schema.sql",
        "consultation_schema.sql",
    )
)
_MEMBER = columns(MemberRow)
_SELECT_MEMBER_BY_ID = select("members", _MEMBER, "id = %s")
_SELECT_MEMBER_BY_KEY = select("members", _MEMBER, "key_id = %s")
# An upsert on the id that inserts nothing when another member holds the key id: the unique
# key must be a Conflict, and a failed statement would abort the whole transaction.
_UPSERT_MEMBER = (
    f"INSERT INTO members ({', '.join(_MEMBER)}) "  # noqa: S608 (names are ours)
    f"SELECT {', '.join(['%s'] * len(_MEMBER))} "
    "WHERE NOT EXISTS (SELECT 1 FROM members WHERE key_id = %s AND id <> %s) "
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _MEMBER if c != "id")
)
_ATTESTATION = ("digest", "issuer", "issued_idx", "revoked_idx")
# Under the writer's lock nothing else inserts, so the check and the insert cannot race.
_INSERT_ATTESTATION = (
    "INSERT INTO attestation_index (digest, issuer, issued_idx) SELECT %s, %s, %s "
    "WHERE NOT EXISTS (SELECT 1 FROM attestation_index WHERE digest = %s)"
)
_COPY_ATTESTATIONS = f"COPY attestation_index ({', '.join(_ATTESTATION)}) FROM STDIN"
_PUT_BUNDLE = insert("entry_bundles", ("idx", "data"), upsert=("idx",))
_PUT_TILE = insert("tiles", ("level", "idx", "hashes"), upsert=("level", "idx"))
_SET_META = insert("meta", ("key", "value"), upsert=("key",))
_PUT_COSIGNATURE = insert("cosignatures", ("size", "witness", "line"), upsert=("size", "witness"))
_ADD_CHECKPOINT = (
    "INSERT INTO checkpoints (seq, size, note) "
    "SELECT COALESCE(MAX(seq), 0) + 1, %s, %s FROM checkpoints"
)
_LATEST_SIZE = "SELECT size FROM checkpoints ORDER BY seq DESC LIMIT 1"
# clock_timestamp(), not now(): now() is the transaction's start, and a fence is checked
# at its end.
_LEASE = lease_sql("%s", "extract(epoch FROM clock_timestamp())::float8")
IDLE_IN_WRITE_MS = 3000
"""How long a write transaction may sit idle between statements before it is ended,
releasing the writer's lock: a sequencer stopped (SIGSTOP) or cut off mid-commit cannot hold
up its successor for longer. No healthy commit pauses this long between two statements.

The server's ``idle_in_transaction_session_timeout`` does it only sometimes: its timer is
armed when a Sync is answered, and psycopg ends a pipeline (``executemany``) with a Flush
after the Sync, which disarms it until the next statement (tests/store/
test_postgres_frozen_writer.py). So a writer that waits this long for the lock also ends,
itself, every holder of it idle in its transaction for this long (`_END_STALLED_WRITERS`),
looking every `LOCK_WAIT_MS`."""
LOCK_WAIT_MS = 250
"""How long a writer waits for the lock before it looks again for a stalled holder. With the
wait as long as `IDLE_IN_WRITE_MS`, a successor that began waiting just after its frozen
predecessor's last statement ended it only about two `IDLE_IN_WRITE_MS` later: the first
entry after a SIGSTOP failover was acknowledged 5.3 s after the freeze in one CI run."""
# The sessions holding this store's writer lock that have sat idle inside their transaction
# for IDLE_IN_WRITE_MS: pg_terminate_backend needs no superuser for sessions of one's own role.
_END_STALLED_WRITERS = (
    "SELECT pg_terminate_backend(a.pid) FROM pg_locks AS l "
    "JOIN pg_stat_activity AS a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s "
    "AND l.objsubid = 2 AND a.pid <> pg_backend_pid() "
    "AND a.state IN ('idle in transaction', 'idle in transaction (aborted)') "
    "AND a.state_change < clock_timestamp() - make_interval(secs => %s)"
)

_MAX_INT = 1 << 62  # far past any real index; PostgreSQL's bigint stops at 2**63 - 1
_LOCK_CLASS = 0x63726564  # "cred": the advisory lock's first key; the second names the schema
POOL_SIZE = 16
"""Most connections one store (one process) holds: readers beyond it wait for one."""
BUNDLES_PER_READ = 64  # entry bundles fetched per query while iterating (16,384 entries)
CHECKPOINTS_PER_READ = 1024


def _digest_key(digest: str) -> bytes:
    """The 32 bytes the index is keyed by (``sha256:<64 hex>``)."""
    try:
        key = bytes.fromhex(digest.removeprefix("sha256:"))
    except ValueError:
        key = b""
    if len(key) != 32:
        raise InputError(f"not a SHA-256 digest: {digest[:80]!r}", code="bad_digest")
    return key


def _member(row: Row) -> MemberRow:
    d = dict(zip(_MEMBER, row, strict=True))
    return MemberRow(
        **(d | {"roles": tuple(json.loads(d["roles"])), "public_key": bytes(d["public_key"])})
    )


def _rollback(conn: Connection) -> None:
    """Roll back the open transaction, if there still is one (a failed COMMIT has ended it;
    a broken connection cannot, and the pool discards it)."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE and not conn.closed:
        with suppress(psycopg.Error):  # the error that matters is the one being raised
            conn.execute("ROLLBACK")


class _Queries(Queries):
    """Reads shared by the committed view and the write transaction (same SQL, other
    connection)."""

    def get_meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = %s", (key,))
        return None if row is None else str(row[0])

    def tree_size(self) -> int:
        return int(self.get_meta("tree_size") or 0)

    def read_tile(self, level: int, index: int) -> bytes:
        if not (0 <= level < _MAX_INT and 0 <= index < _MAX_INT):
            return b""  # no such tile can exist, and bigint cannot hold the number
        row = self._one("SELECT hashes FROM tiles WHERE level = %s AND idx = %s", (level, index))
        return b"" if row is None else bytes(row[0])

    def read_entries(self, start: int, count: int) -> list[bytes]:
        if count <= 0 or not 0 <= start < _MAX_INT:
            return []
        count = min(count, _MAX_INT - start)
        first, last = start // TILE_WIDTH, (start + count - 1) // TILE_WIDTH
        entries = [e for _, bundle in self._entry_bundles(first, last) for e in bundle]
        skip = start - first * TILE_WIDTH
        return entries[skip : skip + count]

    def _entry_bundles(
        self, first: int, last: int | None = None
    ) -> Iterator[tuple[int, list[bytes]]]:
        """The stored bundles from ``first`` (to ``last``, else to the end), decoded,
        `BUNDLES_PER_READ` to a query; one missing before the last stored one is corrupt
        data."""
        expected = first
        end = _MAX_INT if last is None else last
        while expected <= end:
            rows = self._rows(
                "SELECT idx, data FROM entry_bundles WHERE idx >= %s AND idx <= %s "
                "ORDER BY idx LIMIT %s",
                (expected, end, BUNDLES_PER_READ),
            )
            for bundle, data in rows:
                if bundle != expected:
                    raise StoreError(f"stored entry bundle {expected} is missing", code=CORRUPT_LOG)
                yield bundle, bundle_entries(bundle, bytes(data))
                expected += 1
            if len(rows) < BUNDLES_PER_READ:
                return

    def get_member(self, member_id: str) -> MemberRow | None:
        row = self._one(_SELECT_MEMBER_BY_ID, (member_id,))
        return None if row is None else _member(row)

    def member_by_key(self, key_id: str) -> MemberRow | None:
        row = self._one(_SELECT_MEMBER_BY_KEY, (key_id,))
        return None if row is None else _member(row)

    def list_members(self) -> list[MemberRow]:
        return [_member(r) for r in self._rows(select("members", _MEMBER, order="id"))]

    def get_attestation(self, digest: str) -> AttestationRow | None:
        row = self._one(
            "SELECT issuer, issued_idx, revoked_idx FROM attestation_index WHERE digest = %s",
            (_digest_key(digest),),
        )
        return None if row is None else AttestationRow(digest, *row)


class PostgresWriteTx(PeopleWrites, ProgrammeWrites, ConsultationWrites, _Queries):
    """The open write transaction; see `credo.store.protocols.WriteTx`.

    Members are cached for the life of the transaction: every entry's signer is looked up,
    and a group commit holds thousands of entries from a handful of members.
    """

    def __init__(self, conn: Connection, *, deferred: bool = False) -> None:
        self.conn = conn
        self._changes = 0
        self._by_id: dict[str, MemberRow | None] = {}
        self._by_key: dict[str, MemberRow | None] = {}
        self._deferred = deferred
        # Attestations of a deferred transaction, copied in together before commit: [digest
        # key, issuer, issued_idx, revoked_idx] by digest key.
        self._new_attestations: dict[bytes, list[Any]] = {}
        self._pending_changes = 0  # writes to _new_attestations, not yet sent

    def _connection(self) -> AbstractContextManager[Connection]:
        return nullcontext(self.conn)

    def get_member(self, member_id: str) -> MemberRow | None:
        if member_id not in self._by_id:
            self._by_id[member_id] = super().get_member(member_id)
        return self._by_id[member_id]

    def member_by_key(self, key_id: str) -> MemberRow | None:
        if key_id not in self._by_key:
            self._by_key[key_id] = super().member_by_key(key_id)
        return self._by_key[key_id]

    def append_entries(self, start: int, entries: list[bytes]) -> None:
        size = self.tree_size()
        if start != size:
            raise StoreError(
                f"entries appended at {start}, but the log holds {size}", code="bad_append"
            )
        self._write_bundles(start, entries)
        self.set_meta("tree_size", str(start + len(entries)))

    def _write_bundles(self, start: int, entries: Sequence[bytes]) -> None:
        """Append ``entries`` at ``start``: complete the stored partial bundle, add new ones."""
        bundle, held = divmod(start, TILE_WIDTH)
        partial = b""
        if held:
            row = self._one("SELECT data FROM entry_bundles WHERE idx = %s", (bundle,))
            partial = b"" if row is None else bytes(row[0])
            if len(bundle_entries(bundle, partial)) != held:
                raise StoreError(
                    f"stored entry bundle {bundle} does not hold the {held} entries before "
                    f"position {start}",
                    code=CORRUPT_LOG,
                )
        self._exec_many(_PUT_BUNDLE, bundle_rows(start, entries, partial))

    def put_tiles(self, tiles: dict[tuple[int, int], bytes]) -> None:
        self._exec_many(_PUT_TILE, ((lvl, idx, h) for (lvl, idx), h in tiles.items()))

    def add_checkpoint(self, size: int, note: bytes, previous: int) -> None:
        # Read and insert under the writer's advisory lock: no other writer comes between.
        row = self._one(_LATEST_SIZE)
        check_swap(0 if row is None else int(row[0]), previous, size)
        self._exec(_ADD_CHECKPOINT, (size, note))

    def fence(self, holder: str, epoch: int) -> None:
        check_fence(self._one(_LEASE.read), holder, epoch)

    def set_meta(self, key: str, value: str) -> None:
        self._exec(_SET_META, (key, value))

    def put_cosignature(self, size: int, witness: str, line: bytes) -> None:
        self._exec(_PUT_COSIGNATURE, (size, witness, line))

    def put_member(self, row: MemberRow) -> None:
        self._by_id.clear()
        self._by_key.clear()
        values = [getattr(row, c) for c in _MEMBER]
        values[_MEMBER.index("roles")] = json.dumps(list(row.roles))
        if self._exec(_UPSERT_MEMBER, (*values, row.key_id, row.id)) == 0:
            raise Conflict(f"another member holds the key id {row.key_id!r}")

    def get_attestation(self, digest: str) -> AttestationRow | None:
        new = self._new_attestations.get(_digest_key(digest))
        if new is not None:
            return AttestationRow(digest, new[1], new[2], new[3])
        return super().get_attestation(digest)

    def add_attestation(self, digest: str, issuer: str, issued_idx: int) -> None:
        key = _digest_key(digest)
        if not self._deferred:
            self._insert_new(_INSERT_ATTESTATION, (key, issuer, issued_idx, key), digest)
        elif key in self._new_attestations:
            raise Conflict(f"{digest} is already attested in this transaction")
        else:
            self._new_attestations[key] = [key, issuer, issued_idx, None]
            self._pending_changes += 1

    def revoke_attestation(self, digest: str, revoked_idx: int) -> None:
        new = self._new_attestations.get(_digest_key(digest))
        if new is not None:
            new[3] = revoked_idx
            self._pending_changes += 1
            return
        self._exec(
            "UPDATE attestation_index SET revoked_idx = %s WHERE digest = %s",
            (revoked_idx, _digest_key(digest)),
        )

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

    def bump_state_version(self) -> None:
        self.set_meta("state_version", str(int(self.get_meta("state_version") or 0) + 1))

    def changes(self) -> int:
        return self._changes + self._pending_changes


class PostgresStore(PeopleQueries, ProgrammeQueries, ConsultationQueries, _Queries):
    """`credo.store.protocols.Store` in one PostgreSQL schema: the first of the connection's
    ``search_path`` (``public`` unless the URL's ``options`` say otherwise), created on
    first open.

    ``readonly`` opens connections whose transactions are read-only (a validation worker's
    view).
    """

    def __init__(self, url: str, *, readonly: bool = False) -> None:
        self.location = url
        self._readonly = readonly
        self._write_lock = threading.Lock()
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                found = conn.execute(
                    "SELECT hashtext(current_database() || '.' || current_schema())"
                ).fetchone()
                if found is None or found[0] is None:
                    raise StoreError(f"no schema of {_redacted(url)}'s search_path exists")
                self._lock_key = int(found[0])
                if not readonly:
                    # One process creates the schema at a time: concurrent CREATE TABLE IF
                    # NOT EXISTS of one table can fail.
                    conn.execute(f"BEGIN; {self._lock_sql()};\n{_SCHEMA}\nCOMMIT")
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot open PostgreSQL database {_redacted(url)}: {exc}",
                code=translate(exc, "open").code,
            ) from exc
        self._pool: ConnectionPool[Connection] = ConnectionPool(
            url,
            min_size=1,
            max_size=POOL_SIZE,
            kwargs={"autocommit": True},
            configure=_read_only if readonly else None,
            open=True,
            name="credo-store",
        )

    def _lock_sql(self) -> str:
        return f"SELECT pg_advisory_xact_lock({_LOCK_CLASS}, {self._lock_key})"

    def _connection(self) -> AbstractContextManager[Connection]:
        return self._pool.connection()

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
        with self._write_lock:
            try:
                conn = self._pool.getconn()
            except psycopg.Error as exc:
                raise translate(exc, "begin") from exc
            try:
                self._begin(conn, "; ".join(begin))
                try:
                    tx = PostgresWriteTx(conn, deferred=deferred)
                    yield tx
                    tx._insert_deferred()
                except BaseException:
                    _rollback(conn)
                    raise
                try:
                    conn.execute("COMMIT")
                except psycopg.IntegrityError as exc:
                    _rollback(conn)
                    if deferred:
                        raise DeferredConflict(
                            f"an attestation's digest is already stored: {exc}"
                        ) from exc
                    raise translate(exc, "commit") from exc
                except psycopg.Error as exc:
                    _rollback(conn)
                    raise translate(exc, "commit") from exc
            finally:
                self._pool.putconn(conn)

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
                    (_LOCK_CLASS, self._lock_key & 0xFFFFFFFF, IDLE_IN_WRITE_MS / 1000),
                ).fetchall()
            except psycopg.Error as exc:
                raise translate(exc, "begin") from exc
            if ended:
                log.warning("ended %d writer(s) stalled in their transaction", len(ended))

    def cosignatures(self, size: int) -> list[bytes]:
        if not 0 <= size < 2**63:
            return []
        rows = self._rows("SELECT line FROM cosignatures WHERE size = %s ORDER BY witness", (size,))
        return [bytes(r[0]) for r in rows]

    def latest_checkpoint(self) -> bytes | None:
        row = self._one("SELECT note FROM checkpoints ORDER BY seq DESC LIMIT 1")
        return None if row is None else bytes(row[0])

    def claim_lease(self, holder: str, url: str, seconds: float) -> LeaseRow:
        # One autocommitted upsert, outside the writer's lock: a successor can claim while
        # a stopped sequencer's transaction still holds that lock.
        with self._connection() as conn:
            try:
                conn.execute(_LEASE.claim, (holder, url, seconds))
                lease = lease_row(conn.execute(_LEASE.read).fetchone())
            except psycopg.Error as exc:
                raise translate(exc, "write") from exc
        assert lease is not None  # the upsert always leaves the row
        return lease

    def release_lease(self, holder: str) -> None:
        self._exec(_LEASE.release, (holder,))

    def current_lease(self) -> LeaseRow | None:
        return lease_row(self._one(_LEASE.read))

    def iter_checkpoints(self) -> Iterator[CheckpointRow]:
        after = 0
        while True:
            rows = self._rows(
                "SELECT seq, size, note FROM checkpoints WHERE seq > %s ORDER BY seq LIMIT %s",
                (after, CHECKPOINTS_PER_READ),
            )
            for seq, size, note in rows:
                yield CheckpointRow(int(seq), int(size), bytes(note))
                after = int(seq)
            if len(rows) < CHECKPOINTS_PER_READ:
                return

    def iter_entries(self, start: int = 0) -> Iterator[tuple[int, bytes]]:
        if not 0 <= start < _MAX_INT:
            return
        for bundle, entries in self._entry_bundles(start // TILE_WIDTH):
            base = bundle * TILE_WIDTH
            skip = max(0, start - base)
            yield from enumerate(entries[skip:], start=base + skip)

    def state_version(self) -> int:
        return int(self.get_meta("state_version") or 0)

    def dump_state(self) -> dict[str, list[tuple[object, ...]]]:
        """Every derived table, each sorted as SQLite's dump is (by its leading key
        columns, text by code point), for comparing a replay with what is stored."""
        return {
            table: sorted(tuple(r) for r in self._rows(f"SELECT * FROM {table}"))  # noqa: S608
            for table in DERIVED_TABLES
        }

    def reset_state(self) -> None:
        """Empty every derived table, ready for a replay from entry 0 (`credo rebuild`)."""
        with self.write() as tx:
            for table in (*DERIVED_TABLES, *SCORE_TABLES):
                tx._exec(f"DELETE FROM {table}")  # noqa: S608
            for key in _STATE_META_KEYS:
                tx._exec("DELETE FROM meta WHERE key = %s", (key,))

    def needs_rebuild(self) -> bool:
        """False: no PostgreSQL store predates this schema."""
        return False

    def close(self) -> None:
        self._pool.close()


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
