"""The storage Protocols every backend satisfies, all in one place (Trillian's `storage/`).

The log's own tables (entry bundles, tiles, checkpoints) and the ledger's derived tables live
in one database, so an entry and the state it causes commit in one transaction. Every table
except the log's is derived: `credo rebuild` recreates it by replaying the log.

Errors: a backend raises only `credo.errors` types. `Conflict` when a write contradicts a
uniqueness rule, `DeferredConflict` when a deferred check fails at commit, `InputError` for
an argument no row could have (a malformed digest), `StoreError` (with code ``corrupt_log``
for undecodable log data, ``disk_full`` when the disk is full, ``bad_append`` for entries
appended anywhere but at the tree size) for everything else; the library exception is the
``__cause__``. The conformance suite in
``tests/store`` holds every backend to this.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol, Self

from credo.store.consultation_protocols import ConsultationReader, ConsultationWriter
from credo.store.rows import (
    AccessRow,
    AttestationRow,
    CheckpointRow,
    ConsentRow,
    DisputeRow,
    LeaseRow,
    MandateRow,
    MemberRow,
    ProgrammeStats,
    ProposalRow,
    RecordRow,
    RulesRow,
    ScoreRow,
)


class StateReader(Protocol):
    """Reads of members and attestations, shared by committed reads and the write transaction."""

    def get_member(self, member_id: str) -> MemberRow | None: ...

    def member_by_key(self, key_id: str) -> MemberRow | None: ...

    def list_members(self) -> list[MemberRow]: ...

    def get_attestation(self, digest: str) -> AttestationRow | None: ...

    def get_meta(self, key: str) -> str | None: ...


class LogReader(Protocol):
    def tree_size(self) -> int: ...

    def read_tile(self, level: int, index: int) -> bytes:
        """The stored hashes of tile ``level``/``index`` (empty if there is none)."""
        ...

    def read_entries(self, start: int, count: int) -> list[bytes]:
        """Up to ``count`` stored entries from position ``start`` (fewer past the end)."""
        ...

    def entries_at(self, indexes: Sequence[int]) -> list[bytes]:
        """The stored entries at ``indexes``, in their order, each of their bundles read
        once; `StoreError` if one is not stored (they are positions the store gave)."""
        ...


class PeopleReader(Protocol):
    def get_record(self, record_id: str) -> RecordRow | None: ...

    def records_of(self, subject: str) -> list[RecordRow]: ...

    def records_of_type(self, subject: str, type_: str) -> list[RecordRow]:
        """`records_of` of one type (the person's name: one row of their 72, for every page)."""
        ...

    def get_consent(self, consent_id: str) -> ConsentRow | None: ...

    def consents_of(self, subject: str) -> list[ConsentRow]: ...

    def get_mandate(self, mandate_id: str) -> MandateRow | None: ...

    def list_mandates(self) -> list[MandateRow]: ...

    def access_of(self, subject: str) -> list[AccessRow]: ...

    def is_subject_erased(self, subject: str) -> bool: ...

    def tag_index(self, tag: str) -> int | None:
        """Where a personal entry's tag is on the log, or None if it is not."""
        ...

    def tag_subject(self, tag: str) -> str | None:
        """Whom a recorded tag names (None: unknown tag, or recorded without the vault)."""
        ...

    def is_known(self, subject: str) -> bool:
        """Whether any accepted entry names ``subject``: ``bool(entries_of(subject))``, without
        reading the whole list (every read and benefit question asks it)."""
        ...

    def entries_of(self, subject: str) -> list[int]:
        """The log positions of every personal entry about ``subject``, in order; empty for
        a subject no accepted entry names (credo does not know them)."""
        ...


class PeopleWriter(PeopleReader, Protocol):
    def put_record(self, row: RecordRow) -> None: ...

    def put_consent(self, row: ConsentRow) -> None: ...

    def put_mandate(self, row: MandateRow) -> None: ...

    def add_access(self, row: AccessRow) -> None: ...

    def add_tag(self, tag: str, idx: int, subject: str | None) -> None:
        """Record a personal entry's tag; `Conflict` if it is already recorded."""
        ...

    def erase_subject(self, subject: str, idx: int) -> None:
        """Mark the subject erased and delete their records, consents, accesses and
        disputes (the caller withdraws them from the programme)."""
        ...


class ProgrammeReader(Protocol):
    def get_proposal(self, proposal_id: str) -> ProposalRow | None: ...

    def list_proposals(self) -> list[ProposalRow]: ...

    def list_votes(self, proposal_id: str) -> list[tuple[str, str]]: ...

    def current_rules(self) -> RulesRow | None: ...

    def rules_history(self) -> list[RulesRow]: ...

    def is_enrolled(self, subject: str) -> bool: ...

    def list_enrolled(self) -> list[str]: ...

    def get_dispute(self, dispute_id: str) -> DisputeRow | None: ...

    def disputes_of(self, subject: str) -> list[DisputeRow]: ...

    def open_disputes(self) -> list[DisputeRow]: ...

    def programme_stats(self) -> ProgrammeStats:
        """Counts for the public consortium page: enrolments, records per member, every
        dispute's status and dates, the members whose reads are on the log."""

    def get_score(self, subject: str) -> ScoreRow | None:
        """The person's score under the serving rules (``serving_rules``); while none are
        set, the latest one computed."""
        ...

    def get_score_under(self, subject: str, rules_hash: str) -> ScoreRow | None:
        """The person's score under one rules document, served or not."""
        ...

    def count_scores_under(self, rules_hash: str) -> int: ...

    def serving_rules(self) -> str | None:
        """The hash of the rules whose scores are served, or None before any is set."""
        ...

    def score_history(self, subject: str) -> list[tuple[int, int, str]]: ...


class ProgrammeWriter(ProgrammeReader, Protocol):
    def put_proposal(self, row: ProposalRow) -> None: ...

    def put_vote(self, proposal_id: str, member: str, vote: str, idx: int) -> None: ...

    def add_rules(self, row: RulesRow) -> None: ...

    def enrol(self, subject: str, idx: int, at: str) -> None: ...

    def withdraw(self, subject: str) -> None:
        """Delete the person's enrolment, score and whole score history."""
        ...

    def put_dispute(self, row: DisputeRow) -> None: ...

    def put_score(self, row: ScoreRow) -> None:
        """Store the score under ``row.rules_hash`` (one per person and hash). The history
        gets the row only when that hash is served, or none is set yet."""
        ...

    def set_serving_rules(self, rules_hash: str) -> None:
        """Serve the scores under ``rules_hash`` from this transaction's commit on: every
        reader switches at that one moment."""
        ...

    def delete_scores_except(self, rules_hash: str) -> None:
        """Drop the cached scores under every other rules hash (after a switch)."""
        ...


class WriteTx(PeopleWriter, ProgrammeWriter, ConsultationWriter, StateReader, LogReader, Protocol):
    """One serialized write transaction (BEGIN IMMEDIATE on SQLite, an advisory lock on
    PostgreSQL). Everything written through it commits atomically or not at all."""

    def append_entries(self, start: int, entries: list[bytes]) -> None: ...

    def put_tiles(self, tiles: dict[tuple[int, int], bytes]) -> None: ...

    def add_checkpoint(self, size: int, note: bytes, previous: int) -> None:
        """Publish ``note``, the checkpoint of ``size``, as a compare-and-swap on the latest
        one: raise `StoreError` (``checkpoint_race``) unless the latest stored checkpoint is
        of size ``previous`` (0: none yet) and ``size`` is above it. So no two checkpoints of
        one size are ever kept, whoever writes."""
        ...

    def fence(self, holder: str, epoch: int, seconds: float) -> LeaseRow:
        """Raise `NotSequencer` unless ``holder`` still holds the sequencer's lease at
        ``epoch`` (no other process claimed it since, and it was not released); renew it for
        ``seconds`` from now, by the store's clock, in this transaction; the lease renewed.
        The sequencer's last statement before COMMIT, so a paused or cut-off former
        sequencer whose lease another took can never publish, while a lone one whose commit
        outlasted its lease (nobody claimed it meanwhile) commits and keeps it."""
        ...

    def put_cosignature(self, size: int, witness: str, line: bytes) -> None:
        """Keep a witness's cosignature line (``— name base64`` and a newline) of the
        checkpoint of ``size``, replacing that witness's earlier line for the same size."""
        ...

    def set_meta(self, key: str, value: str) -> None: ...

    def put_member(self, row: MemberRow) -> None: ...

    def add_attestation(self, digest: str, issuer: str, issued_idx: int) -> None:
        """Insert; raise `Conflict` if the digest is already attested (in a deferred
        transaction: already attested in this transaction; the stored index is checked at
        commit)."""
        ...

    def revoke_attestation(self, digest: str, revoked_idx: int) -> None: ...

    def bump_state_version(self) -> None: ...

    def changes(self) -> int:
        """How many writes this transaction has made so far, pending ones included; the
        sequencer compares it around a refused entry to know whether it left writes behind."""
        ...


class Store(PeopleReader, ProgrammeReader, ConsultationReader, StateReader, LogReader, Protocol):
    """A backend: committed reads from any thread, and one writer at a time.

    Constructing one connects to nothing: `open` connects and creates the schema (a
    read-only one only checks it can), `close` lets go of every connection and thread."""

    location: str
    """What `credo.store.open_store` takes to open this store again (a worker process
    opens its own read-only view with it)."""

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

    def claim_lease(self, holder: str, url: str, seconds: float) -> LeaseRow:
        """Take the sequencer's lease for ``holder`` (reachable at ``url``) for ``seconds``,
        or renew it, atomically: taken when none is held, when it expired (by the store's
        clock, never the caller's), or when its holder had the same ``url`` (a restart on the
        same address); a new holder gets the next epoch. The lease as it stands after, held
        by ``holder`` or by another."""
        ...

    def release_lease(self, holder: str) -> None:
        """Let the lease expire now, if ``holder`` holds it (a clean shutdown): another
        process takes over at once, and ``holder``'s fenced writes are refused. The lease is
        left with no holder and its epoch, so the next holder's is higher."""
        ...

    def current_lease(self) -> LeaseRow | None: ...

    def cosignatures(self, size: int) -> list[bytes]:
        """The cosignature lines kept for the checkpoint of ``size``, by witness name."""
        ...

    def iter_checkpoints(self) -> Iterator[CheckpointRow]: ...

    def iter_entries(self, start: int = 0) -> Iterator[tuple[int, bytes]]: ...

    def state_version(self) -> int:
        """A number that moves whenever members or their keys change."""
        ...

    def dump_state(self) -> dict[str, list[tuple[object, ...]]]:
        """Every derived table as sorted plain tuples, for comparing a replay with what is
        stored (the same data gives the same dump on every backend)."""
        ...

    def reset_state(self) -> None:
        """Empty every derived table and cached score, ready for a replay from entry 0."""
        ...

    def needs_rebuild(self) -> bool:
        """True when the derived state predates this code and must be rebuilt."""
        ...

    def open(self) -> Self:
        """Connect and create the schema if it is not there yet; a second call does nothing.
        The store itself, so that ``store = store_at(location).open()`` reads as it runs."""
        ...

    def close(self) -> None: ...
