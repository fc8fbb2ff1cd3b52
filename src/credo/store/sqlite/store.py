"""The embedded SQLite backend: WAL, synchronous=FULL, one writer, readers on their own
connections so a reader never waits for the sequencer (datasette's write-thread habit).

The schema sits beside this module (``*.sql``); every `sqlite3` error is turned into a credo
error by `credo.store.sqlite._base.translate`."""

from __future__ import annotations

import json
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from credo.errors import Conflict, DeferredConflict, InputError, StoreError
from credo.store._bundles import bundle_entries, bundle_rows
from credo.store._fencing import check_fence, check_swap, lease_row, lease_sql
from credo.store.consultation_rows import CONSULTATION_PERSONAL, CONSULTATION_PUBLIC
from credo.store.rows import (
    CORRUPT_LOG,
    AttestationRow,
    CheckpointRow,
    LeaseRow,
    MemberRow,
    columns,
)
from credo.store.sqlite._base import Queries, Row, insert, select, translate
from credo.store.sqlite._consultations import ConsultationQueries, ConsultationWrites
from credo.store.sqlite._programme import (
    PROGRAMME_DERIVED,
    SCORE_TABLES,
    SERVING_RULES_KEY,
    ProgrammeQueries,
    ProgrammeWrites,
)
from credo.store.sqlite._records import PEOPLE_DERIVED, PeopleQueries, PeopleWrites
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
# Derived tables of earlier schemas: their presence means the derived state predates this
# code and must be rebuilt from the log (`credo rebuild` drops them).
_LEGACY_TABLES = ("attestations",)
_SCHEMA = "\n".join(
    resources.files("credo.store.sqlite").joinpath(name).read_text()
    for name in (
        "schema.sql",
        "programme_schema.sql",
        "records_schema.sql",
        "consultation_schema.sql",
    )
)
_MEMBER = columns(MemberRow)
_SELECT_MEMBER_BY_ID = select("members", _MEMBER, "id = ?")
_SELECT_MEMBER_BY_KEY = select("members", _MEMBER, "key_id = ?")
_UPSERT_MEMBER = (
    insert("members", _MEMBER)
    + " ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _MEMBER if c != "id")
)


_LATEST_SIZE = "SELECT size FROM checkpoints ORDER BY seq DESC LIMIT 1"
# The database's clock in seconds since 1970, to the millisecond.
_LEASE = lease_sql("?", "((julianday('now') - 2440587.5) * 86400.0)")
_MAX_INT = 1 << 62  # far past any real index; SQLite binds at most 2**63 - 1
CACHE_KIB = 256 * 1024
WAL_CHECKPOINT_PAGES = 16 * 1024


def _connect(path: str, *, readonly: bool = False, sync: str = "FULL") -> sqlite3.Connection:
    try:
        if readonly:
            conn = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
            )
        else:
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute(f"PRAGMA synchronous = {sync}")
        conn.execute("PRAGMA secure_delete = ON")
        # Derived indexes keyed by digests (attestations) take random-key inserts; with
        # SQLite's default 2 MiB cache every insert past a few thousand rows re-reads a page.
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        # A group commit of a few thousand such inserts dirties a thousand or more index
        # pages, so checkpointing after every commit (the default: at 1,000 WAL pages)
        # copied the same hot pages into the database again and again. Checkpoint at 64 MiB
        # of WAL instead, and truncate the file back to that size afterwards. Sequencer CPU
        # per entry (100k attestations, four runs each): 30.9-35.8 us -> 25.3-32.8 us.
        conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
        conn.execute(f"PRAGMA journal_size_limit = {WAL_CHECKPOINT_PAGES * 4096}")
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open SQLite database {path}: {exc}", code=_code(exc)) from exc
    return conn


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back the open transaction, if SQLite has not already: on some errors (a full
    disk, SQLITE_FULL) it rolls the whole transaction back itself, and a ROLLBACK then fails
    with "no transaction is active", hiding the error that matters."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _code(exc: sqlite3.Error) -> str:
    return translate(exc, "open").code


class _Queries(Queries):
    """Reads shared by the committed view and the write transaction (same SQL, other cursor)."""

    def get_meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    def tree_size(self) -> int:
        return int(self.get_meta("tree_size") or 0)

    def read_tile(self, level: int, index: int) -> bytes:
        if not (0 <= level < _MAX_INT and 0 <= index < _MAX_INT):
            return b""  # no such tile can exist, and SQLite cannot bind the number
        row = self._one("SELECT hashes FROM tiles WHERE level = ? AND idx = ?", (level, index))
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
        """The stored bundles from ``first`` (to ``last``, else to the end), decoded; one
        missing before the last stored one is corrupt data."""
        try:
            cur = self.conn.execute(
                "SELECT idx, data FROM entry_bundles WHERE idx >= ? AND idx <= ? ORDER BY idx",
                (first, (1 << 62) if last is None else last),
            )
            for expected, (bundle, data) in enumerate(cur, start=first):
                if bundle != expected:
                    raise StoreError(f"stored entry bundle {expected} is missing", code=CORRUPT_LOG)
                yield bundle, bundle_entries(bundle, bytes(data))
        except sqlite3.Error as exc:
            raise translate(exc, "read") from exc

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
            "SELECT issuer, issued_idx, revoked_idx FROM attestation_index WHERE digest = ?",
            (_digest_key(digest),),
        )
        return None if row is None else AttestationRow(digest, *row)


_INSERT_ATTESTATION = "INSERT INTO attestation_index VALUES (?, ?, ?, ?)"


def _write_bundles(conn: sqlite3.Connection, start: int, entries: Sequence[bytes]) -> None:
    """Append ``entries`` at ``start``: complete the stored partial bundle, add new ones."""
    try:
        bundle, held = divmod(start, TILE_WIDTH)
        partial = b""
        if held:
            row = conn.execute("SELECT data FROM entry_bundles WHERE idx = ?", (bundle,)).fetchone()
            partial = b"" if row is None else bytes(row[0])
            if len(bundle_entries(bundle, partial)) != held:
                raise StoreError(
                    f"stored entry bundle {bundle} does not hold the {held} entries before "
                    f"position {start}",
                    code=CORRUPT_LOG,
                )
        conn.executemany(
            "INSERT OR REPLACE INTO entry_bundles (idx, data) VALUES (?, ?)",
            bundle_rows(start, entries, partial),
        )
    except sqlite3.Error as exc:
        raise translate(exc, "write") from exc


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
        size = 0
        while chunk := cur.fetchmany(64 * TILE_WIDTH):
            if [int(idx) for idx, _ in chunk] != list(range(size, size + len(chunk))):
                raise StoreError("the entries table has a gap; it cannot be regrouped")
            _write_bundles(conn, size, [bytes(data) for _, data in chunk])
            size += len(chunk)
        conn.execute("DROP TABLE entries")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


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


class SqliteWriteTx(PeopleWrites, ProgrammeWrites, ConsultationWrites, _Queries):
    """The open write transaction; see `credo.store.protocols.WriteTx`.

    Members are cached for the life of the transaction: every entry's signer is looked up,
    and a group commit holds thousands of entries from a handful of members.
    """

    def __init__(self, conn: sqlite3.Connection, *, deferred: bool = False) -> None:
        self.conn = conn
        self._by_id: dict[str, MemberRow | None] = {}
        self._by_key: dict[str, MemberRow | None] = {}
        self._deferred = deferred
        # Attestations of a deferred transaction, inserted together at commit: [digest key,
        # issuer, issued_idx, revoked_idx] by digest key.
        self._new_attestations: dict[bytes, list[Any]] = {}
        self._pending_changes = 0  # writes to _new_attestations, not yet in SQLite

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
        _write_bundles(self.conn, start, entries)
        self.set_meta("tree_size", str(start + len(entries)))

    def put_tiles(self, tiles: dict[tuple[int, int], bytes]) -> None:
        self._exec_many(
            "INSERT OR REPLACE INTO tiles (level, idx, hashes) VALUES (?, ?, ?)",
            ((lvl, idx, h) for (lvl, idx), h in tiles.items()),
        )

    def add_checkpoint(self, size: int, note: bytes, previous: int) -> None:
        # Read and insert under BEGIN IMMEDIATE: no other writer can come in between.
        row = self._one(_LATEST_SIZE)
        check_swap(0 if row is None else int(row[0]), previous, size)
        self._exec("INSERT INTO checkpoints (size, note) VALUES (?, ?)", (size, note))

    def fence(self, holder: str, epoch: int) -> None:
        check_fence(self._one(_LEASE.read), holder, epoch)

    def put_cosignature(self, size: int, witness: str, line: bytes) -> None:
        self._exec(
            "INSERT OR REPLACE INTO cosignatures (size, witness, line) VALUES (?, ?, ?)",
            (size, witness, line),
        )

    def set_meta(self, key: str, value: str) -> None:
        self._exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def put_member(self, row: MemberRow) -> None:
        self._by_id.clear()
        self._by_key.clear()
        values = [getattr(row, c) for c in _MEMBER]
        values[_MEMBER.index("roles")] = json.dumps(list(row.roles))
        # An upsert on the id, not INSERT OR REPLACE: REPLACE would silently delete another
        # member holding the same key id, where the unique key must be a Conflict.
        self._exec(_UPSERT_MEMBER, tuple(values))

    def get_attestation(self, digest: str) -> AttestationRow | None:
        new = self._new_attestations.get(_digest_key(digest))
        if new is not None:
            return AttestationRow(digest, new[1], new[2], new[3])
        return super().get_attestation(digest)

    def add_attestation(self, digest: str, issuer: str, issued_idx: int) -> None:
        values: list[Any] = [_digest_key(digest), issuer, issued_idx, None]
        if not self._deferred:
            self._exec(_INSERT_ATTESTATION, tuple(values))
        elif values[0] in self._new_attestations:
            raise Conflict(f"{digest} is already attested in this transaction")
        else:
            self._new_attestations[values[0]] = values
            self._pending_changes += 1

    def revoke_attestation(self, digest: str, revoked_idx: int) -> None:
        new = self._new_attestations.get(_digest_key(digest))
        if new is not None:
            new[3] = revoked_idx
            self._pending_changes += 1
            return
        self._exec(
            "UPDATE attestation_index SET revoked_idx = ? WHERE digest = ?",
            (revoked_idx, _digest_key(digest)),
        )

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

    def bump_state_version(self) -> None:
        self.set_meta("state_version", str(int(self.get_meta("state_version") or 0) + 1))

    def changes(self) -> int:
        return self.conn.total_changes + self._pending_changes


class SqliteStore(PeopleQueries, ProgrammeQueries, ConsultationQueries, _Queries):
    """`credo.store.protocols.Store` on one SQLite file.

    ``":memory:"`` is a scratch store for replays: a file in a private temporary directory,
    removed on `close`, written without fsync. A file rather than SQLite's in-memory
    database, which one connection owns: this way a scratch store behaves like any other,
    committed reads from any thread included.
    """

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self._sync = "FULL"
        if str(path) == ":memory:":
            self._scratch = tempfile.TemporaryDirectory(prefix="credo-scratch-")
            path = Path(self._scratch.name) / "scratch.db"
            self._sync = "OFF"  # nothing to keep if the machine stops
        self.path = str(path)
        self.location = self.path
        self._readonly = readonly
        self._write_lock = threading.Lock()
        self._local = threading.local()
        if not readonly:
            init = _connect(self.path, sync=self._sync)
            try:
                init.execute("PRAGMA journal_mode = WAL")
                _drop_single_rules_scores(init)
                init.executescript(_SCHEMA)
                _migrate_entries(init)
            except sqlite3.Error as exc:
                raise StoreError(
                    f"cannot create schema in {self.path}: {exc}", code=_code(exc)
                ) from exc
            finally:
                init.close()
        self._all: list[sqlite3.Connection] = []

    @property
    def conn(self) -> sqlite3.Connection:  # type: ignore[override]
        """This thread's connection: readers never share a cursor with the writer."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path, readonly=self._readonly, sync=self._sync)
            self._local.conn = conn
            self._all.append(conn)
        return conn

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
                try:
                    conn.execute("BEGIN IMMEDIATE")
                except sqlite3.Error as exc:
                    raise translate(exc, "begin") from exc
                try:
                    tx = SqliteWriteTx(conn, deferred=deferred)
                    yield tx
                    tx._insert_deferred()
                except BaseException:
                    _rollback(conn)
                    raise
                try:
                    conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    _rollback(conn)
                    raise translate(exc, "commit") from exc
            finally:
                if not durable:
                    conn.execute(f"PRAGMA synchronous = {self._sync}")

    def latest_checkpoint(self) -> bytes | None:
        row = self._one("SELECT note FROM checkpoints ORDER BY seq DESC LIMIT 1", ())
        return None if row is None else bytes(row[0])

    def claim_lease(self, holder: str, url: str, seconds: float) -> LeaseRow:
        with self.write(durable=False) as tx:  # losing a lease to a power cut loses nothing
            tx._exec(_LEASE.claim, (holder, url, seconds))
            lease = lease_row(tx._one(_LEASE.read))
        assert lease is not None  # the upsert always leaves the row
        return lease

    def release_lease(self, holder: str) -> None:
        with self.write(durable=False) as tx:
            tx._exec(_LEASE.release, (holder,))

    def current_lease(self) -> LeaseRow | None:
        return lease_row(self._one(_LEASE.read))

    def cosignatures(self, size: int) -> list[bytes]:
        if not 0 <= size < _MAX_INT:
            return []
        rows = self._rows("SELECT line FROM cosignatures WHERE size = ? ORDER BY witness", (size,))
        return [bytes(r[0]) for r in rows]

    def iter_checkpoints(self) -> Iterator[CheckpointRow]:
        try:
            cur = self.conn.execute("SELECT seq, size, note FROM checkpoints ORDER BY seq")
            for seq, size, note in cur:
                yield CheckpointRow(int(seq), int(size), bytes(note))
        except sqlite3.Error as exc:
            raise translate(exc, "read") from exc

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
        """Every derived table, sorted, for comparing a replay with what is stored."""
        dump: dict[str, list[tuple[object, ...]]] = {}
        for table in DERIVED_TABLES:
            rows = self._rows(f"SELECT * FROM {table} ORDER BY 1")  # noqa: S608
            dump[table] = [
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows
            ]
        return dump

    def reset_state(self) -> None:
        """Empty every derived table, ready for a replay from entry 0 (`credo rebuild`)."""
        with self.write() as tx:
            for table in (*DERIVED_TABLES, *SCORE_TABLES):
                tx._exec(f"DELETE FROM {table}")  # noqa: S608
            for key in _STATE_META_KEYS:
                tx._exec("DELETE FROM meta WHERE key = ?", (key,))
            for table in _LEGACY_TABLES:
                tx._exec(f"DROP TABLE IF EXISTS {table}")

    def needs_rebuild(self) -> bool:
        """True when derived tables from an earlier schema are present."""
        marks = ",".join("?" * len(_LEGACY_TABLES))
        found = self._one(
            f"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name IN ({marks})",  # noqa: S608
            _LEGACY_TABLES,
        )
        return found is not None

    def close(self) -> None:
        for conn in self._all:
            conn.close()
        self._all.clear()
        self._local = threading.local()
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None
