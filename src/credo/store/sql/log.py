"""Reads and writes of the log (entry bundles, tiles, checkpoints, cosignatures, the lease),
of members and attestations, and the store's committed view and write transaction built
from them and from `programme` and `records`. A backend subclasses `StoreQueries` and
`WriteQueries`, adding its connection, its writer's lock and its bulk insert."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

from credo.errors import Conflict, InputError, StoreError
from credo.store._bundles import bundle_entries, bundle_rows, bundle_slice
from credo.store._fencing import check_fence, check_swap, lease_row
from credo.store.consultation_rows import CONSULTATION_PERSONAL, CONSULTATION_PUBLIC
from credo.store.rows import (
    CORRUPT_LOG,
    AttestationRow,
    CheckpointRow,
    LeaseRow,
    MemberRow,
    columns,
)
from credo.store.sql.base import MAX_INT, Queries, Row, insert, on_conflict, select
from credo.store.sql.consultations import ConsultationQueries, ConsultationWrites
from credo.store.sql.programme import (
    PROGRAMME_DERIVED,
    SCORE_TABLES,
    SERVING_RULES_KEY,
    ProgrammeQueries,
    ProgrammeWrites,
)
from credo.store.sql.records import PEOPLE_DERIVED, PeopleQueries, PeopleWrites
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
LEGACY_TABLES = ("attestations",)
"""Derived tables of earlier schemas: their presence means the derived state predates this
code and must be rebuilt from the log (`credo rebuild` drops them)."""
BUNDLES_PER_READ = 64  # entry bundles fetched per query while iterating (16,384 entries)
CHECKPOINTS_PER_READ = 1024

_MEMBER = columns(MemberRow)
_SELECT_MEMBER_BY_ID = select("members", _MEMBER, "id = ?")
_SELECT_MEMBER_BY_KEY = select("members", _MEMBER, "key_id = ?")
# An upsert on the id that inserts nothing when another member holds the key id: the unique
# key must be a Conflict, and a failed statement would abort a PostgreSQL transaction.
_UPSERT_MEMBER = (
    f"INSERT INTO members ({', '.join(_MEMBER)}) "  # noqa: S608 (names are ours)
    f"SELECT {', '.join('?' * len(_MEMBER))} "
    "WHERE NOT EXISTS (SELECT 1 FROM members WHERE key_id = ? AND id <> ?)"
    + on_conflict(_MEMBER, ("id",))
)
# Under the writer's lock nothing else inserts, so the check and the insert cannot race.
_INSERT_ATTESTATION = (
    "INSERT INTO attestation_index (digest, issuer, issued_idx) SELECT ?, ?, ? "
    "WHERE NOT EXISTS (SELECT 1 FROM attestation_index WHERE digest = ?)"
)
_PUT_BUNDLE = insert("entry_bundles", ("idx", "data"), upsert=("idx",))
_PUT_TILE = insert("tiles", ("level", "idx", "hashes"), upsert=("level", "idx"))
_SET_META = insert("meta", ("key", "value"), upsert=("key",))
_PUT_COSIGNATURE = insert("cosignatures", ("size", "witness", "line"), upsert=("size", "witness"))
_ADD_CHECKPOINT = (
    "INSERT INTO checkpoints (seq, size, note) "
    "SELECT COALESCE(MAX(seq), 0) + 1, ?, ? FROM checkpoints"
)
_LATEST_SIZE = "SELECT size FROM checkpoints ORDER BY seq DESC LIMIT 1"


def digest_key(digest: str) -> bytes:
    """The 32 bytes the attestation index is keyed by (``sha256:<64 hex>``)."""
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


class LogQueries(PeopleQueries, ProgrammeQueries, ConsultationQueries, Queries):
    """Reads shared by the committed view and the write transaction (same SQL, other
    connection)."""

    def get_meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    def tree_size(self) -> int:
        return int(self.get_meta("tree_size") or 0)

    def read_tile(self, level: int, index: int) -> bytes:
        if not (0 <= level < MAX_INT and 0 <= index < MAX_INT):
            return b""  # no such tile can exist, and no backend can bind the number
        row = self._one("SELECT hashes FROM tiles WHERE level = ? AND idx = ?", (level, index))
        return b"" if row is None else bytes(row[0])

    def read_entries(self, start: int, count: int) -> list[bytes]:
        if count <= 0 or not 0 <= start < MAX_INT:
            return []
        count = min(count, MAX_INT - start)
        first, last = start // TILE_WIDTH, (start + count - 1) // TILE_WIDTH
        if first == last:  # within one bundle (a page reading one entry): not all 256 split
            row = self._one("SELECT data FROM entry_bundles WHERE idx = ?", (first,))
            if row is None:
                return []
            return bundle_slice(first, bytes(row[0]), start - first * TILE_WIDTH, count)
        entries = [e for _, bundle in self._entry_bundles(first, last) for e in bundle]
        skip = start - first * TILE_WIDTH
        return entries[skip : skip + count]

    def entries_at(self, indexes: Sequence[int]) -> list[bytes]:
        # A person's entries share few bundles (the busiest demo person's 76 share 7): one
        # read of each, stepping only as far into it as the last wanted entry. A read and a
        # walk of a 256-entry bundle per entry took 5.4 ms of that person's 17 ms export.
        wanted: dict[int, list[int]] = {}
        for index in indexes:
            bundle, offset = divmod(index, TILE_WIDTH)
            wanted.setdefault(bundle, []).append(offset)
        found: dict[int, bytes] = {}
        for bundle, offsets in wanted.items():
            row = None
            if 0 <= bundle < MAX_INT:
                row = self._one("SELECT data FROM entry_bundles WHERE idx = ?", (bundle,))
            first, last = min(offsets), max(offsets)
            held = (
                [] if row is None else bundle_slice(bundle, bytes(row[0]), first, last - first + 1)
            )
            for offset in offsets:
                if 0 <= offset - first < len(held):
                    found[bundle * TILE_WIDTH + offset] = held[offset - first]
        missing = [i for i in indexes if i not in found]
        if missing:
            raise StoreError(f"no entry {missing[0]} is stored", code=CORRUPT_LOG)
        return [found[i] for i in indexes]

    def _entry_bundles(
        self, first: int, last: int | None = None
    ) -> Iterator[tuple[int, list[bytes]]]:
        """The stored bundles from ``first`` (to ``last``, else to the end), decoded,
        `BUNDLES_PER_READ` to a query; one missing before the last stored one is corrupt
        data."""
        expected = first
        end = MAX_INT if last is None else last
        while expected <= end:
            rows = self._rows(
                "SELECT idx, data FROM entry_bundles WHERE idx >= ? AND idx <= ? "
                "ORDER BY idx LIMIT ?",
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
            "SELECT issuer, issued_idx, revoked_idx FROM attestation_index WHERE digest = ?",
            (digest_key(digest),),
        )
        return None if row is None else AttestationRow(digest, *row)


class WriteQueries(PeopleWrites, ProgrammeWrites, ConsultationWrites, LogQueries):
    """The open write transaction; see `credo.store.protocols.WriteTx`. The backend gives
    `_insert_deferred`, its bulk insert of a deferred transaction's attestations.

    Members are cached for the life of the transaction: every entry's signer is looked up,
    and a group commit holds thousands of entries from a handful of members.
    """

    def __init__(self, *, deferred: bool = False) -> None:
        self._changes = 0
        self._by_id: dict[str, MemberRow | None] = {}
        self._by_key: dict[str, MemberRow | None] = {}
        self._deferred = deferred
        # Attestations of a deferred transaction, inserted together before commit: [digest
        # key, issuer, issued_idx, revoked_idx] by digest key.
        self._new_attestations: dict[bytes, list[Any]] = {}
        self._pending_changes = 0  # writes to _new_attestations, not yet sent

    def _insert_deferred(self) -> None:
        """Before commit: insert the deferred attestations, `_new_attestations`, at once."""
        raise NotImplementedError

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
            row = self._one("SELECT data FROM entry_bundles WHERE idx = ?", (bundle,))
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
        # Read and insert under the writer's lock: no other writer comes in between.
        row = self._one(_LATEST_SIZE)
        check_swap(0 if row is None else int(row[0]), previous, size)
        self._exec(_ADD_CHECKPOINT, (size, note))

    def fence(self, holder: str, epoch: int, seconds: float) -> LeaseRow:
        # Renew first: on PostgreSQL the UPDATE also locks the row until COMMIT, so a claim
        # sent meanwhile waits, then finds the lease renewed; none can slip in between.
        self._exec(self._lease.renew, (seconds, holder, epoch))
        return check_fence(self._one(self._lease.read), holder, epoch)

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
        new = self._new_attestations.get(digest_key(digest))
        if new is not None:
            return AttestationRow(digest, new[1], new[2], new[3])
        return super().get_attestation(digest)

    def add_attestation(self, digest: str, issuer: str, issued_idx: int) -> None:
        key = digest_key(digest)
        if not self._deferred:
            self._insert_new(_INSERT_ATTESTATION, (key, issuer, issued_idx, key), digest)
        elif key in self._new_attestations:
            raise Conflict(f"{digest} is already attested in this transaction")
        else:
            self._new_attestations[key] = [key, issuer, issued_idx, None]
            self._pending_changes += 1

    def revoke_attestation(self, digest: str, revoked_idx: int) -> None:
        new = self._new_attestations.get(digest_key(digest))
        if new is not None:
            new[3] = revoked_idx
            self._pending_changes += 1
            return
        self._exec(
            "UPDATE attestation_index SET revoked_idx = ? WHERE digest = ?",
            (revoked_idx, digest_key(digest)),
        )

    def bump_state_version(self) -> None:
        self.set_meta("state_version", str(int(self.get_meta("state_version") or 0) + 1))

    def changes(self) -> int:
        return self._changes + self._pending_changes


Tx = TypeVar("Tx", bound=WriteQueries)


@contextmanager
def committed(tx: Tx, commit: Callable[[], None], undo: Callable[[], None]) -> Iterator[Tx]:
    """The body of every backend's `Store.write`, once its transaction has begun: hand out
    ``tx``; when the block ends, insert its deferred attestations and ``commit``; ``undo``
    (roll back) if the block, the insert or the commit raises."""
    try:
        yield tx
        tx._insert_deferred()
    except BaseException:
        undo()
        raise
    try:
        commit()
    except BaseException:
        undo()
        raise


class StoreQueries(LogQueries):
    """The committed view of `credo.store.protocols.Store`, less what differs by backend:
    opening and closing, `write` (the writer's lock), the lease's claim and release, and
    `needs_rebuild`."""

    def write(
        self, *, durable: bool = True, deferred: bool = False
    ) -> AbstractContextManager[WriteQueries]:
        raise NotImplementedError

    def latest_checkpoint(self) -> bytes | None:
        row = self._one("SELECT note FROM checkpoints ORDER BY seq DESC LIMIT 1")
        return None if row is None else bytes(row[0])

    def current_lease(self) -> LeaseRow | None:
        return lease_row(self._one(self._lease.read))

    def cosignatures(self, size: int) -> list[bytes]:
        if not 0 <= size < MAX_INT:
            return []
        rows = self._rows("SELECT line FROM cosignatures WHERE size = ? ORDER BY witness", (size,))
        return [bytes(r[0]) for r in rows]

    def iter_checkpoints(self) -> Iterator[CheckpointRow]:
        after = 0
        while True:
            rows = self._rows(
                "SELECT seq, size, note FROM checkpoints WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, CHECKPOINTS_PER_READ),
            )
            for seq, size, note in rows:
                yield CheckpointRow(int(seq), int(size), bytes(note))
                after = int(seq)
            if len(rows) < CHECKPOINTS_PER_READ:
                return

    def iter_entries(self, start: int = 0) -> Iterator[tuple[int, bytes]]:
        if not 0 <= start < MAX_INT:
            return
        for bundle, entries in self._entry_bundles(start // TILE_WIDTH):
            base = bundle * TILE_WIDTH
            skip = max(0, start - base)
            yield from enumerate(entries[skip:], start=base + skip)

    def state_version(self) -> int:
        return int(self.get_meta("state_version") or 0)

    def dump_state(self) -> dict[str, list[tuple[object, ...]]]:
        """Every derived table, each sorted by Python (text by code point, whatever the
        database's collation), for comparing a replay with what is stored, whichever
        backend each is in."""
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
                tx._exec("DELETE FROM meta WHERE key = ?", (key,))
            for table in LEGACY_TABLES:
                tx._exec(f"DROP TABLE IF EXISTS {table}")
