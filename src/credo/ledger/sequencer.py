"""The sequencer: the one writer that gives validated entries their positions.

Group commit (DESIGN.md, The log): whatever is queued when the writer comes round is applied,
appended, hashed into the tiles and covered by a freshly signed checkpoint in ONE transaction
with one fsync; only then are the submitters answered. So an acknowledged entry is durable and
already covered by a published checkpoint.

Listeners (rescoring) hear about accepted entries on a thread of their own: a listener that
is slow or raises never holds up or stops the writer.

Where several processes share one store, a `Lease` says which of them sequences: the others
hand each group to ``forward`` (the active sequencer's address and the entries; it answers
one outcome each), and each commit of the active one is fenced with its lease
(`WriteTx.fence`), which also renews it: a commit, however long, never loses the lease to
the renewal thread's waiting (`credo.ledger.lease`). While the lease changes hands a group
is tried again for up to `HANDOVER_SECONDS`, but only after a failure that proves nothing
was written: an answer that may have been lost after the entries were sequenced is an error,
never a retry, so an entry is neither lost once acknowledged nor sequenced twice by a retry.
A forwarded group is waited for only while the lease stays where it was: a sequencer that
froze with the group (SIGSTOP) loses its lease, and this process, perhaps its successor,
stops waiting at once rather than for the forwarding timeout, once anything of the group
was sent. A forward that has sent nothing yet (still connecting) is waited for while it
connects: a connection refused (the holder was killed, and a restarted process saw its
lease until it ran out) proves the group was never sent, and it is placed again, here if
the lease came here.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

from credo.errors import (
    CredoError,
    DeferredConflict,
    EntryRejected,
    NotSequencer,
    StoreError,
    Unavailable,
)
from credo.ledger.lease import Lease
from credo.ledger.personal import group_context
from credo.ledger.registry import Context
from credo.ledger.state import apply
from credo.ledger.stats import LogStats
from credo.ledger.validate import Decoded
from credo.store import LeaseRow, Store, WriteTx
from credo.tlog import (
    Checkpoint,
    NoteSigner,
    TileHashReader,
    append_leaves,
    sign_checkpoint,
    tree_root,
)

log = logging.getLogger(__name__)

MAX_GROUP = 20_000
MAX_FUTURE_SECONDS = 300
"""How far ahead of the sequencer's clock an entry's ``at`` may be (clock skew)."""
MAX_PAST_SECONDS = 86_400
"""How far behind: a member may sign entries and submit them later, but not back-date them."""


@dataclass(frozen=True, slots=True)
class Accepted:
    index: int
    leaf_hash: bytes


Outcome = Accepted | EntryRejected
Listener = Callable[[list[Decoded]], None]
Forward = Callable[[str, list[Decoded], threading.Event], list[Outcome]]
"""Send entries to the active sequencer at a URL; one outcome each. Sets the event before
it sends any of them. Raises `NotSequencer` when they were certainly not sequenced there
(refused as not the sequencer, or never sent), any other `CredoError` when that is not
known."""

CONNECT_SECONDS = 2.0
"""How long a `Forward` may try to connect to the sequencer before it gives up (and raises
`NotSequencer`: nothing was sent)."""

HANDOVER_SECONDS = 10.0
"""How long a group waits for a sequencer (this process, or one to forward to) before its
submitters are answered 503: longer than a lease takes to expire and be taken over."""


class _Redo(Exception):
    """The entry at ``position`` in the group must be refused and the group sequenced again
    without it: its refusal came after it had written something, or it failed unexpectedly."""

    def __init__(self, position: int, outcome: EntryRejected) -> None:
        super().__init__(position)
        self.position = position
        self.outcome = outcome


@dataclass(slots=True)
class _Pending:
    """One submission: its entries are sequenced in order and answered together."""

    entries: list[Decoded]
    forwardable: bool = True
    """False for entries another process forwarded here: sent on again, they could go round."""
    future: Future[list[Outcome]] = field(default_factory=Future)


class _Listeners:
    """Calls every listener with each commit's accepted entries, in commit order, on a thread
    of its own; an exception is logged and the next call goes ahead."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._queue: queue.SimpleQueue[list[Decoded] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="credo-listeners", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def __bool__(self) -> bool:
        return bool(self._listeners)

    def notify(self, accepted: list[Decoded]) -> None:
        self._queue.put(accepted)

    def _run(self) -> None:
        while (accepted := self._queue.get()) is not None:
            for listener in list(self._listeners):
                try:
                    listener(accepted)
                except Exception:
                    log.exception("a commit listener failed on %d entries", len(accepted))

    def close(self) -> None:
        """Deliver what is queued, then stop."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()


class Sequencer:
    """Runs the group-commit loop on its own thread; `submit` may be called from any thread.

    ``context`` carries the kinds the ledger was built with and the policy new entries are
    judged by. Constructing one starts nothing: `start` starts its threads (the writer's and
    the listeners'), `close` stops them. The lease, if any, is its owner's to start before
    and to close after (`credo.services.node.Node`).
    """

    def __init__(
        self,
        store: Store,
        signer: NoteSigner,
        origin: str,
        context: Context,
        clock: Callable[[], float] = time.time,
        *,
        lease: Lease | None = None,
        forward: Forward | None = None,
    ) -> None:
        """Without ``lease`` this sequencer writes whenever it is given entries, serialised
        with any other writer by the store's lock (the CLI, tests); with one, only while it
        holds the lease, forwarding to the holder otherwise."""
        self.store = store
        self.lease = lease
        self.forward = forward
        # Forwarding waits on a thread of its own, so that a request to a frozen sequencer
        # can be given up (its thread lingers until the HTTP timeout, its answer unread).
        # (An executor starts its threads on its first task, not here.)
        self._forwarding = ThreadPoolExecutor(max_workers=8, thread_name_prefix="credo-forward")
        self.signer = signer
        self.origin = origin
        self.context = context
        self.clock = clock
        self.stats = LogStats()
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="credo-sequencer", daemon=True)
        self._started = False
        self._stopped = threading.Event()
        self._listeners = _Listeners()

    def start(self) -> Sequencer:
        """Start the writer's and the listeners' threads; a second call does nothing."""
        if not self._started:
            self._started = True
            self._listeners.start()
            self._thread.start()
        return self

    def add_listener(self, listener: Listener) -> None:
        """Hear about each commit's accepted entries, after the submitters are answered, on
        the listeners' thread; higher layers (rescoring) subscribe here so the ledger never
        imports them."""
        self._listeners.add(listener)

    def submit(self, entries: list[Decoded], *, forwardable: bool = True) -> Future[list[Outcome]]:
        """Queue entries for the next group commit; the future gives one outcome per entry.
        ``forwardable=False``: sequence them here or refuse them (`NotSequencer`), never
        forward them (they were forwarded here)."""
        if not self._started or self._stopped.is_set():
            raise Unavailable("the sequencer is not running")
        pending = _Pending(entries, forwardable)
        if not entries:
            pending.future.set_result([])
        else:
            self._queue.put(pending)
        return pending.future

    @property
    def running(self) -> bool:
        """The writer thread is alive and taking submissions."""
        return self._thread.is_alive() and not self._stopped.is_set()

    @property
    def queued(self) -> int:
        """Submissions waiting for the next group commit."""
        return self._queue.qsize()

    def append_now(self, entries: list[Decoded]) -> list[Outcome]:
        """Submit and wait: for the CLI and tests."""
        return self.submit(entries).result()

    def close(self) -> None:
        """Sequence what is queued, deliver it to the listeners, then stop. The lease stays
        held: its owner closes it next."""
        if not self._stopped.is_set():
            self._stopped.set()
            if self._started:
                self._queue.put(None)
                self._thread.join()
            self._listeners.close()
            self._forwarding.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            count = len(first.entries)
            while count < MAX_GROUP:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                group.append(nxt)
                count += len(nxt.entries)
            self._commit_group(group)

    def _commit_group(self, group: list[_Pending]) -> None:
        started = time.perf_counter()
        try:
            group, outcomes, here = self._place(group)
        except CredoError as exc:
            self.stats.failed_groups += 1
            log.error("group commit of %d submissions failed: %s", len(group), exc.code)
            for p in group:
                if not p.future.done():
                    p.future.set_exception(exc)
            return
        except Exception as exc:
            # A bug must fail this group's submitters (the transaction rolled back), not kill
            # the one writer thread and leave every later submission waiting forever.
            self.stats.failed_groups += 1
            log.exception("group commit of %d submissions failed unexpectedly", len(group))
            for p in group:
                if not p.future.done():
                    p.future.set_exception(CredoError(f"internal error: {type(exc).__name__}"))
            return
        if not here:  # forwarded: the active sequencer's own listeners hear of them
            for p, answer in zip(group, outcomes, strict=True):
                p.future.set_result(answer)
            return
        elapsed = time.perf_counter() - started
        self.stats.group(sum(len(p.entries) for p in group), elapsed, time.time())
        for p, answer in zip(group, outcomes, strict=True):
            p.future.set_result(answer)
        if self._listeners:
            accepted = [
                e
                for p, answers in zip(group, outcomes, strict=True)
                for e, a in zip(p.entries, answers, strict=True)
                if isinstance(a, Accepted)
            ]
            self._listeners.notify(accepted)
        log.debug("committed %d submissions in %.1f ms", len(group), 1e3 * elapsed)

    def _place(self, group: list[_Pending]) -> tuple[list[_Pending], list[list[Outcome]], bool]:
        """Sequence the group here, or forward it to the active sequencer; waits for one
        while the lease changes hands. The submissions answered (those that may not be
        forwarded are refused when this process is not the sequencer), their outcomes, and
        whether they were sequenced here."""
        deadline = time.monotonic() + HANDOVER_SECONDS
        while True:
            try:
                if self.lease is None:
                    return group, self._write(group, None), True
                role = self.lease.role()
                if role.active and role.epoch is not None:
                    return group, self._write(group, (self.lease.holder, role.epoch)), True
                group = _refuse_unforwardable(group)
                if not group:
                    return group, [], False
                if self.forward is None or role.active_url in (None, self.lease.url):
                    raise NotSequencer("no other process holds the sequencer's lease")
                return group, self._forwarded(role.active_url, role.epoch, group), False
            except NotSequencer as exc:
                if time.monotonic() >= deadline:
                    raise NotSequencer(
                        f"no sequencer took the entries within {HANDOVER_SECONDS:.0f} s: "
                        f"{exc.message}"
                    ) from exc
                if self.lease is not None:
                    self.lease.refresh()
                time.sleep(0.05)

    def _forwarded(self, url: str, epoch: int | None, group: list[_Pending]) -> list[list[Outcome]]:
        """The group's outcomes from the sequencer at ``url``, which held the lease at
        ``epoch``; given up (an unknown outcome) once the lease has moved on and anything
        was sent, or nothing was but the forward is still at it after `CONNECT_SECONDS`.
        `NotSequencer` (nothing was sent) passes through: the caller places the group
        again."""
        if self.forward is None or self.lease is None:  # only a leased sequencer forwards
            raise NotSequencer("this process has no sequencer to forward to")
        entries = [e for p in group for e in p.entries]
        sending = threading.Event()
        connecting_until = time.monotonic() + CONNECT_SECONDS + 0.5
        sent = self._forwarding.submit(self.forward, url, entries, sending)
        while True:
            try:
                answers = iter(sent.result(timeout=0.05))
                break
            except FutureTimeout:
                if self.lease.role().epoch != epoch and (
                    sending.is_set() or time.monotonic() > connecting_until
                ):
                    raise Unavailable(
                        f"the sequencer at {url} lost its lease while it had {len(entries)} "
                        "forwarded entries: they may or may not be on the log; look them up "
                        "before resending",
                        code="forward_unknown",
                    ) from None
        self.stats.forwarded += len(entries)
        return [[next(answers) for _ in p.entries] for p in group]

    def _window(self) -> tuple[str, str]:
        """The earliest and latest ``at`` accepted now, to the second, in the form ``at``
        starts with (RFC 3339 UTC strings of one format compare as their times do)."""
        now = self.clock()
        return _stamp(now - MAX_PAST_SECONDS), _stamp(now + MAX_FUTURE_SECONDS)

    def _write(self, group: list[_Pending], fence: tuple[str, int] | None) -> list[list[Outcome]]:
        """Sequence the group in one transaction whose new attestations are checked for
        duplicates together at commit (`Store.write`, ``deferred``). When that check fails,
        some digest in the group was attested before; the group is sequenced again with each
        insert checked as it comes, so that entry alone is refused.

        Nothing one entry does can fail another: an entry refused after it wrote something,
        or one whose transition failed unexpectedly, is refused alone, and the group is
        sequenced again without it (the rare path pays; the usual one reads a counter)."""
        refused: dict[int, EntryRejected] = {}
        deferred = True
        context = group_context(self.context, (e for p in group for e in p.entries))
        while True:
            try:
                renewal: tuple[float, LeaseRow] | None = None
                with self.store.write(deferred=deferred) as tx:
                    outcomes = self._sequence(tx, group, refused, context)
                    if fence is not None and self.lease is not None:
                        sent = time.monotonic()
                        # Last, just before COMMIT: refused if another took the lease over;
                        # renewed for as long again otherwise.
                        renewal = (sent, tx.fence(*fence, self.lease.seconds))
                if renewal is not None and self.lease is not None:
                    self.lease.renewed(*renewal)
                return outcomes
            except DeferredConflict:
                deferred = False
            except _Redo as redo:
                refused[redo.position] = redo.outcome

    def _sequence(
        self,
        tx: WriteTx,
        group: list[_Pending],
        refused: dict[int, EntryRejected],
        context: Context,
    ) -> list[list[Outcome]]:
        start = tx.tree_size()
        outcomes: list[list[Outcome]] = []
        stored: list[bytes] = []
        leaves: list[bytes] = []
        position = -1
        earliest, latest = self._window()
        for p in group:
            answers: list[Outcome] = []
            for entry in p.entries:
                position += 1
                index = start + len(stored)
                known = refused.get(position)
                if known is not None:
                    answers.append(known)
                    continue
                if not earliest <= entry.at[:19] <= latest:
                    answers.append(_out_of_window(entry.at, earliest, latest))
                    continue
                before = tx.changes()
                try:
                    apply(tx, index, entry, context)
                except EntryRejected as exc:
                    if tx.changes() != before:
                        raise _Redo(position, exc) from exc
                    answers.append(exc)
                    continue
                except StoreError:
                    raise  # the store failed, not this entry: the whole group fails
                except Exception as exc:
                    log.exception(
                        "entry %d of a group of %d (%s) failed to apply; refused alone",
                        position,
                        sum(len(q.entries) for q in group),
                        entry.kind,
                    )
                    outcome = EntryRejected(
                        f"internal error while applying the entry ({type(exc).__name__})",
                        code="internal_error",
                    )
                    raise _Redo(position, outcome) from exc
                stored.append(entry.stored)
                leaves.append(entry.leaf_hash)
                answers.append(Accepted(index, entry.leaf_hash))
            outcomes.append(answers)
        if stored:
            tx.append_entries(start, stored)
            publish_checkpoint(tx, start, leaves, self.signer, self.origin)
        return outcomes


def _refuse_unforwardable(group: list[_Pending]) -> list[_Pending]:
    """Answer the submissions forwarded here with `NotSequencer` (their sender tries again
    with the sequencer it finds); the others, which may be forwarded."""
    for p in group:
        if not p.forwardable:
            p.future.set_exception(NotSequencer("this process is not the sequencer"))
    return [p for p in group if p.forwardable]


def _stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def _out_of_window(at: str, earliest: str, latest: str) -> EntryRejected:
    return EntryRejected(
        f"the entry's time {at} is outside {earliest}Z .. {latest}Z: at most "
        f"{MAX_PAST_SECONDS // 3600} h before and {MAX_FUTURE_SECONDS} s after the log's clock",
        code="bad_time",
    )


def publish_checkpoint(
    tx: WriteTx, start: int, leaves: list[bytes], signer: NoteSigner, origin: str
) -> bytes:
    """Hash the new leaves into the tiles and sign a checkpoint for the new size, in ``tx``."""
    tiles = append_leaves(start, leaves, tx.read_tile)
    tx.put_tiles(tiles)

    def read_tile(level: int, index: int) -> bytes:
        return tiles.get((level, index)) or tx.read_tile(level, index)

    size = start + len(leaves)
    root = tree_root(size, TileHashReader(read_tile))
    note = sign_checkpoint(Checkpoint(origin, size, root), [signer])
    tx.add_checkpoint(size, note, start)
    return note
