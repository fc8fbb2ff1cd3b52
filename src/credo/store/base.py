"""The storage Protocol every backend satisfies (Trillian's `storage/` habit).

The log's own tables (entries, tiles, checkpoints) and the ledger's derived tables live in one
database so that an entry and the state it causes commit in one transaction. Every table except
entries, tiles and checkpoints is derived: `credo rebuild` recreates it by replaying the log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from credo.store._people import AccessRow as AccessRow
from credo.store._people import ConsentRow as ConsentRow
from credo.store._people import MandateRow as MandateRow
from credo.store._people import PeopleReader, PeopleWriter
from credo.store._people import RecordRow as RecordRow
from credo.store._programme import (
    DisputeRow as DisputeRow,
)
from credo.store._programme import (
    ProgrammeReader as ProgrammeReader,
)
from credo.store._programme import (
    ProgrammeWriter,
)
from credo.store._programme import (
    ProposalRow as ProposalRow,
)
from credo.store._programme import (
    RulesRow as RulesRow,
)
from credo.store._programme import (
    ScoreRow as ScoreRow,
)

CORRUPT_LOG = "corrupt_log"
"""The code of the `StoreError` that reading the log's entries raises when stored data no
longer decodes (tampering, a damaged disk); `credo verify` reports it as a failure."""


@dataclass(frozen=True, slots=True)
class MemberRow:
    id: str
    name: str
    sector: str
    roles: tuple[str, ...]
    public_key: bytes
    key_id: str
    status: str  # "active" | "retired"
    admitted_idx: int


@dataclass(frozen=True, slots=True)
class AttestationRow:
    """Where a document's attestation is in the log; what it says is in those entries."""

    digest: str  # "sha256:<64 hex>"
    issuer: str
    issued_idx: int
    revoked_idx: int | None = None


@dataclass(frozen=True, slots=True)
class CheckpointRow:
    seq: int
    size: int
    note: bytes


class StateReader(Protocol):
    """Reads of derived ledger state, shared by committed reads and the open write transaction."""

    def get_member(self, member_id: str) -> MemberRow | None: ...

    def member_by_key(self, key_id: str) -> MemberRow | None: ...

    def list_members(self) -> list[MemberRow]: ...

    def get_attestation(self, digest: str) -> AttestationRow | None: ...

    def get_meta(self, key: str) -> str | None: ...


class LogReader(Protocol):
    def tree_size(self) -> int: ...

    def read_tile(self, level: int, index: int) -> bytes: ...

    def read_entries(self, start: int, count: int) -> list[bytes]: ...


class WriteTx(PeopleWriter, ProgrammeWriter, StateReader, LogReader, Protocol):
    """One serialized write transaction (BEGIN IMMEDIATE on SQLite, an advisory lock on
    PostgreSQL). Everything written through it commits atomically or not at all."""

    def append_entries(self, start: int, entries: list[bytes]) -> None: ...

    def put_tiles(self, tiles: dict[tuple[int, int], bytes]) -> None: ...

    def add_checkpoint(self, size: int, note: bytes) -> None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def put_member(self, row: MemberRow) -> None: ...

    def add_attestation(self, digest: str, issuer: str, issued_idx: int) -> None:
        """Insert; raise `Conflict` if the digest is already attested (in a deferred
        transaction: already attested in this transaction; the stored index is checked at
        commit)."""
        ...

    def revoke_attestation(self, digest: str, revoked_idx: int) -> None: ...

    def bump_state_version(self) -> None: ...


class Store(PeopleReader, ProgrammeReader, StateReader, LogReader, Protocol):
    """A backend: committed reads from any thread, and one writer at a time."""

    def write(
        self, *, durable: bool = True, deferred: bool = False
    ) -> AbstractContextManager[WriteTx]:
        """One write transaction. ``durable=False`` may skip waiting for the disk (SQLite
        ``synchronous = NORMAL``, PostgreSQL ``SET LOCAL synchronous_commit = off``): only
        for recomputable caches.

        ``deferred=True`` checks that new attestations' digests are not already stored when
        the transaction commits, not at each insert (PostgreSQL: a ``DEFERRABLE INITIALLY
        DEFERRED`` unique constraint). A violation raises `DeferredConflict` from the
        ``with`` block's exit and nothing is written.
        """
        ...

    def latest_checkpoint(self) -> bytes | None: ...

    def iter_checkpoints(self) -> Iterator[CheckpointRow]: ...

    def iter_entries(self, start: int = 0) -> Iterator[tuple[int, bytes]]: ...

    def state_version(self) -> int: ...

    def dump_state(self) -> dict[str, list[tuple[object, ...]]]: ...

    def reset_state(self) -> None: ...

    def close(self) -> None: ...
