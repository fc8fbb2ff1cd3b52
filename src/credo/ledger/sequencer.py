"""The sequencer: the one writer that gives validated entries their positions.

Group commit (DESIGN.md, The log): whatever is queued when the writer comes round is applied,
appended, hashed into the tiles and covered by a freshly signed checkpoint in ONE transaction
with one fsync; only then are the submitters answered. So an acknowledged entry is durable and
already covered by a published checkpoint.

Listeners (rescoring) hear about accepted entries on a thread of their own: a listener that
is slow or raises never holds up or stops the writer.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from credo.errors import CredoError, DeferredConflict, EntryRejected, StoreError
from credo.ledger.registry import Context
from credo.ledger.state import apply
from credo.ledger.stats import LogStats
from credo.ledger.validate import Decoded
from credo.store import Store, WriteTx
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
    future: Future[list[Outcome]] = field(default_factory=Future)


class _Listeners:
    """Calls every listener with each commit's accepted entries, in commit order, on a thread
    of its own; an exception is logged and the next call goes ahead."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._queue: queue.SimpleQueue[list[Decoded] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="credo-listeners", daemon=True)
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
        self._queue.put(None)
        self._thread.join()


class Sequencer:
    """Runs the group-commit loop on its own thread; `submit` may be called from any thread.

    ``context`` carries the kinds the ledger was built with and the policy new entries are
    judged by.
    """

    def __init__(
        self,
        store: Store,
        signer: NoteSigner,
        origin: str,
        context: Context,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.signer = signer
        self.origin = origin
        self.context = context
        self.clock = clock
        self.stats = LogStats()
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="credo-sequencer", daemon=True)
        self._stopped = threading.Event()
        self._listeners = _Listeners()
        self._thread.start()

    def add_listener(self, listener: Listener) -> None:
        """Hear about each commit's accepted entries, after the submitters are answered, on
        the listeners' thread; higher layers (rescoring) subscribe here so the ledger never
        imports them."""
        self._listeners.add(listener)

    def submit(self, entries: list[Decoded]) -> Future[list[Outcome]]:
        """Queue entries for the next group commit; the future gives one outcome per entry."""
        if self._stopped.is_set():
            raise CredoError("the sequencer is stopped", code="unavailable")
        pending = _Pending(entries)
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
        if not self._stopped.is_set():
            self._stopped.set()
            self._queue.put(None)
            self._thread.join()
            self._listeners.close()

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
            outcomes = self._write(group)
        except CredoError as exc:
            self.stats.failed_groups += 1
            log.error("group commit of %d submissions failed: %s", len(group), exc.code)
            for p in group:
                p.future.set_exception(exc)
            return
        except Exception as exc:
            # A bug must fail this group's submitters (the transaction rolled back), not kill
            # the one writer thread and leave every later submission waiting forever.
            self.stats.failed_groups += 1
            log.exception("group commit of %d submissions failed unexpectedly", len(group))
            for p in group:
                p.future.set_exception(CredoError(f"internal error: {type(exc).__name__}"))
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

    def _window(self) -> tuple[str, str]:
        """The earliest and latest ``at`` accepted now, to the second, in the form ``at``
        starts with (RFC 3339 UTC strings of one format compare as their times do)."""
        now = self.clock()
        return _stamp(now - MAX_PAST_SECONDS), _stamp(now + MAX_FUTURE_SECONDS)

    def _write(self, group: list[_Pending]) -> list[list[Outcome]]:
        """Sequence the group in one transaction whose new attestations are checked for
        duplicates together at commit (`Store.write`, ``deferred``). When that check fails,
        some digest in the group was attested before; the group is sequenced again with each
        insert checked as it comes, so that entry alone is refused.

        Nothing one entry does can fail another: an entry refused after it wrote something,
        or one whose transition failed unexpectedly, is refused alone, and the group is
        sequenced again without it (the rare path pays; the usual one reads a counter)."""
        refused: dict[int, EntryRejected] = {}
        deferred = True
        while True:
            try:
                with self.store.write(deferred=deferred) as tx:
                    return self._sequence(tx, group, refused)
            except DeferredConflict:
                deferred = False
            except _Redo as redo:
                refused[redo.position] = redo.outcome

    def _sequence(
        self, tx: WriteTx, group: list[_Pending], refused: dict[int, EntryRejected]
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
                    apply(tx, index, entry, self.context)
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
    tx.add_checkpoint(size, note)
    return note
