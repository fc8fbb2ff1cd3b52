"""What keeps two writers from publishing two histories, shared by both backends: the
sequencer lease's SQL, and the compare-and-swap every checkpoint is published with.

The lease's SQL is one text (``?`` parameters, as all of `credo.store.sql`): the backends
differ only in the expression for the database's clock, which every expiry is judged by
(never a caller's clock, so two hosts whose clocks disagree still agree on who holds it).

The fence is the epoch, not the clock: a write is refused when another process has claimed
the lease since (a new epoch) or its holder released it, never merely because it expired.
An expired lease no one has claimed is still its holder's (no one else can have written),
and the holder's fenced commit renews it in the same transaction, so a commit that outlasts
the lease (a long group commit while the renewal thread waits for the writer's lock, a
process starved of CPU) still commits and leaves the lease held."""

# S608: the SQL is built from the fixed string each backend passes, never from input.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass

from credo.errors import NotSequencer, StoreError
from credo.store.rows import LeaseRow

Row = tuple[object, ...]


@dataclass(frozen=True, slots=True)
class LeaseSql:
    claim: str
    """Parameters: holder, url, seconds."""
    read: str
    renew: str
    """Parameters: seconds, holder, epoch: renews the lease only if still theirs."""
    release: str
    """Parameter: holder. A released lease has no holder: its last holder is fenced out."""


def lease_sql(now: str) -> LeaseSql:
    """``now``: the backend's expression for seconds since 1970, as a float."""
    p = "?"
    return LeaseSql(
        claim=(
            "INSERT INTO sequencer_lease AS l (id, holder, url, epoch, expires_at) "
            f"VALUES (1, {p}, {p}, 1, {now} + {p}) "
            "ON CONFLICT (id) DO UPDATE SET "
            "epoch = CASE WHEN l.holder = excluded.holder THEN l.epoch ELSE l.epoch + 1 END, "
            "holder = excluded.holder, url = excluded.url, expires_at = excluded.expires_at "
            f"WHERE l.holder = excluded.holder OR l.url = excluded.url OR l.expires_at < {now}"
        ),
        read=f"SELECT holder, url, epoch, expires_at - {now} FROM sequencer_lease WHERE id = 1",
        renew=(
            f"UPDATE sequencer_lease SET expires_at = {now} + {p} "
            f"WHERE id = 1 AND holder = {p} AND epoch = {p}"
        ),
        release=(
            f"UPDATE sequencer_lease SET holder = '', expires_at = {now} - 1 WHERE holder = {p}"
        ),
    )


def lease_row(row: Row | None) -> LeaseRow | None:
    if row is None:
        return None
    holder, url, epoch, left = row
    return LeaseRow(str(holder), str(url), int(str(epoch)), float(str(left)))


def check_fence(row: Row | None, holder: str, epoch: int) -> LeaseRow:
    """The lease read in the write transaction, if it is ``holder``'s at ``epoch`` (expired
    or not: see above); `NotSequencer` otherwise."""
    lease = lease_row(row)
    if lease is None or lease.holder != holder or lease.epoch != epoch:
        if lease is None or not lease.holder:
            held = "no one holds it"
        else:
            held = f"epoch {lease.epoch} holds it"
        raise NotSequencer(f"this process no longer holds the sequencer's lease ({held})")
    return lease


def check_swap(latest: int, previous: int, size: int) -> None:
    """A checkpoint of ``size`` may follow one of ``previous`` only if that is the latest
    stored (0: none) and it grows the tree."""
    if latest != previous or size <= previous:
        raise StoreError(
            f"a checkpoint of size {size} was to follow size {previous}, but the latest "
            f"published is of size {latest}: another writer published first",
            code="checkpoint_race",
        )
