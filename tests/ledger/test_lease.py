"""One sequencer among processes sharing a store: the lease decides which, the others
forward to it, a former sequencer that still believes it holds the lease (the "zombie")
publishes nothing, and no two checkpoints of one size ever exist.

Processes are `Node`s in this process on one data directory (so on one store, SQLite or the
PostgreSQL of CREDO_TEST_STORE); forwarding goes straight to the target node's sequencer
instead of over HTTP (the HTTP side is tests/services/test_forwarding.py, and whole
processes are tests/e2e/test_multihost.py)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest

from credo.errors import NotSequencer, Unavailable
from credo.ledger import Context, Registry, standard_kinds
from credo.ledger import sequencer as sequencer_module
from credo.ledger.lease import Lease, Role
from credo.ledger.sequencer import Accepted, Outcome, Sequencer
from credo.ledger.validate import Decoded
from credo.services.node import DataDir, Node
from credo.services.policy import StandardPolicy
from credo.store import LeaseRow, WriteTx
from credo.tlog import Checkpoint, parse_note
from tests.conftest import attestation


def _decoded(node: Node, first: int, count: int = 1) -> list[Decoded]:
    checked = node.validator.validate_entries(
        [attestation(node.data.root, n) for n in range(first, first + count)]
    )
    assert all(isinstance(c, Decoded) for c in checked)
    return checked  # type: ignore[return-value]


def _sizes(node: Node) -> list[int]:
    return [c.size for c in node.store.iter_checkpoints()]


def _checkpoint_signed_after(node: Node, size: int) -> bool:
    return any(c.size > size for c in node.store.iter_checkpoints())


@pytest.fixture
def nodes(data_dir: Path) -> Iterator[dict[str, Node]]:
    """Two serving processes, ``a`` (started first: the sequencer) and ``b``, each
    forwarding to the other in-process."""
    made = {
        url: Node(DataDir(data_dir), advertise=url, lease_seconds=30).start()
        for url in ("http://a.test", "http://b.test")
    }

    def forward_to(url: str, entries: list[Decoded], sending: threading.Event) -> list[Outcome]:
        sending.set()
        return made[url].sequencer.submit(entries, forwardable=False).result()

    for node in made.values():
        node.sequencer.forward = forward_to
    yield made
    for node in made.values():
        node.close()


def test_exactly_one_sequences_and_the_other_forwards_to_it(nodes: dict[str, Node]) -> None:
    a, b = nodes["http://a.test"], nodes["http://b.test"]
    assert (a.is_sequencer(), b.is_sequencer()) == (True, False)
    assert b.sequencer.lease is not None
    assert b.sequencer.lease.role().active_url == "http://a.test"
    start = a.store.tree_size()
    outcomes = b.sequencer.append_now(_decoded(b, 1, 3))
    assert [o.index for o in outcomes if isinstance(o, Accepted)] == [start, start + 1, start + 2]
    assert b.sequencer.stats.forwarded == 3
    assert a.store.tree_size() == start + 3
    sizes = _sizes(a)
    assert len(sizes) == len(set(sizes))


def test_the_standby_takes_over_when_the_sequencer_lets_go(nodes: dict[str, Node]) -> None:
    a, b = nodes["http://a.test"], nodes["http://b.test"]
    a.close()  # a clean stop releases the lease at once
    assert b.sequencer.lease is not None
    role = b.sequencer.lease.refresh()
    assert role.active
    assert role.epoch == 2
    start = b.store.tree_size()
    outcomes = b.sequencer.append_now(_decoded(b, 10))
    assert outcomes == [Accepted(start, outcomes[0].leaf_hash)]  # type: ignore[union-attr]
    assert b.sequencer.stats.forwarded == 0


def test_a_standby_stops_waiting_on_a_frozen_sequencer_once_its_lease_moves(
    nodes: dict[str, Node],
) -> None:
    """The sequencer froze holding a forwarded group (its answer never comes): when the
    lease passes on, here to the standby itself, the group's submitters get 503
    forward_unknown at once, not after the forwarding timeout, and the new sequencer takes
    the next submission itself."""
    a, b = nodes["http://a.test"], nodes["http://b.test"]
    frozen, thawed = threading.Event(), threading.Event()

    def freeze(url: str, entries: list[Decoded], sending: threading.Event) -> list[Outcome]:
        sending.set()
        frozen.set()
        thawed.wait(60)
        raise AssertionError("a frozen sequencer's answer was waited for")

    b.sequencer.forward = freeze
    waiting = b.sequencer.submit(_decoded(b, 50))
    assert frozen.wait(30)
    a.close()  # the lease is free: b's next claim takes it, at a new epoch
    assert b.sequencer.lease is not None
    assert b.sequencer.lease.refresh().active
    try:
        with pytest.raises(Unavailable) as unknown:
            waiting.result(timeout=10)
        assert unknown.value.code == "forward_unknown"
    finally:
        thawed.set()
    start = b.store.tree_size()
    assert b.sequencer.append_now(_decoded(b, 51))[0] == Accepted(start, ANY)


def test_a_forward_refused_after_the_lease_came_here_is_sequenced_here(
    nodes: dict[str, Node],
) -> None:
    """A restarted process forwards to its killed predecessor, whose lease it still sees;
    it takes the lease over while that connection is being refused. Nothing was sent (the
    forward never said it was sending), so the group is sequenced here, not answered
    forward_unknown (as CI once saw)."""
    a, b = nodes["http://a.test"], nodes["http://b.test"]
    assert b.sequencer.lease is not None
    lease = b.sequencer.lease
    connecting, moved = threading.Event(), threading.Event()

    def refused_late(url: str, entries: list[Decoded], sending: threading.Event) -> list[Outcome]:
        connecting.set()
        assert moved.wait(30)
        time.sleep(0.2)  # the writer has seen the new epoch by now
        raise NotSequencer(f"the sequencer at {url} cannot be reached: connection refused")

    b.sequencer.forward = refused_late
    start = a.store.tree_size()
    waiting = b.sequencer.submit(_decoded(b, 60))
    assert connecting.wait(30)
    a.close()
    assert lease.refresh().active
    moved.set()
    assert waiting.result(timeout=30) == [Accepted(start, ANY)]
    assert b.sequencer.stats.forwarded == 0


def test_a_submission_forwarded_to_a_standby_is_refused_not_sent_on(
    nodes: dict[str, Node],
) -> None:
    b = nodes["http://b.test"]
    with pytest.raises(NotSequencer):
        b.sequencer.submit(_decoded(b, 20), forwardable=False).result(timeout=30)


@dataclass
class BelievedLease:
    """A lease as a paused process remembers it: active at an epoch the store has moved
    past. `refresh` is the process waking up and asking the store."""

    store_node: Node
    holder: str = "zombie"
    url: str = "http://zombie.test"
    believed: Role = field(
        default_factory=lambda: Role(active=True, epoch=1, active_url="http://zombie.test")
    )
    refreshes: int = 0
    seconds: float = 30

    def renewed(self, sent: float, lease: LeaseRow) -> None:
        raise AssertionError("a zombie's fenced commit renewed the lease")

    def role(self) -> Role:
        return self.believed

    def refresh(self) -> Role:
        self.refreshes += 1
        lease = self.store_node.store.current_lease()
        assert lease is not None
        self.believed = Role(active=False, epoch=lease.epoch, active_url=lease.url)
        return self.believed

    def close(self) -> None:
        pass


def test_a_zombie_sequencer_publishes_nothing_and_forwards_instead(ledger: Node) -> None:
    """The store's lease went to another process while this one was paused; its commit is
    fenced (rolled back whole), then it learns who sequences and forwards there."""
    store = ledger.store
    store.claim_lease("zombie", "http://zombie.test", 30)  # epoch 1: the zombie's, once
    store.release_lease("zombie")
    successor = store.claim_lease("successor", "http://successor.test", 30)
    assert successor.epoch == 2
    before = store.tree_size()
    sent: list[tuple[str, int]] = []

    def forward(url: str, entries: list[Decoded], sending: threading.Event) -> list[Outcome]:
        sending.set()
        sent.append((url, len(entries)))
        return ledger.sequencer.append_now(entries)  # the successor's sequencing, unleased

    lease = BelievedLease(ledger)
    zombie = Sequencer(
        store,
        ledger.ledger.signer,
        ledger.origin,
        ledger.sequencer.context,
        lease=lease,  # type: ignore[arg-type]
        forward=forward,
    ).start()
    try:
        outcomes = zombie.append_now(_decoded(ledger, 30, 2))
    finally:
        zombie.close()
    assert lease.refreshes == 1
    assert sent == [("http://successor.test", 2)]
    assert [o.index for o in outcomes if isinstance(o, Accepted)] == [before, before + 1]
    assert zombie.stats.accepted == 0
    assert zombie.stats.forwarded == 2
    assert store.tree_size() == before + 2
    latest = store.latest_checkpoint()
    assert latest is not None
    assert Checkpoint.from_text(parse_note(latest).text).size == before + 2
    sizes = _sizes(ledger)
    assert len(sizes) == len(set(sizes))


def test_with_no_sequencer_to_be_found_a_group_is_refused_in_time(
    ledger: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every process standing by and none holding the lease (its holder is gone and has not
    expired yet): the submitters get 503 not_sequencer once HANDOVER_SECONDS pass."""
    monkeypatch.setattr(sequencer_module, "HANDOVER_SECONDS", 0.3)
    ledger.store.claim_lease("gone", "http://gone.test", 60)
    lease = Lease(ledger.store, "http://me.test", seconds=60).start()
    seq = Sequencer(
        ledger.store,
        ledger.ledger.signer,
        ledger.origin,
        ledger.sequencer.context,
        lease=lease,
        forward=None,
    ).start()
    before = ledger.store.tree_size()
    try:
        assert not lease.role().active
        with pytest.raises(NotSequencer, match="no sequencer took the entries"):
            seq.append_now(_decoded(ledger, 40))
    finally:
        seq.close()
        lease.close()
    assert ledger.store.tree_size() == before
    assert not _checkpoint_signed_after(ledger, before)


def test_a_lone_sequencer_keeps_its_lease_through_a_commit_longer_than_the_lease(
    ledger: Node,
) -> None:
    """Issue 26: under load a group commit outlasted the lease, whose renewal (on SQLite a
    write, waiting for the writer's lock the commit held) could not run, and the batch was
    answered 503 not_sequencer with no other process anywhere. Here the renewal never runs
    at all (a process starved of CPU; the thread is not started), and the commit lasts until
    the store says the lease has expired: it commits, the lease renewed by the commit, and
    the next commit needs no renewal thread either."""
    issue = standard_kinds().get("attestation.issue").apply
    slow = _decoded(ledger, 50)[0].body["digest"]
    attempts: list[int] = []

    def outlasting_the_lease(tx: WriteTx, index: int, entry: Decoded, *rest: Any) -> None:
        if entry.body["digest"] == slow:  # every time the group is tried: as a big group is
            attempts.append(index)
            while (held := ledger.store.current_lease()) is None or held.expires_in > 0:
                time.sleep(0.05)
        issue(tx, index, entry, *rest)

    lease = Lease(ledger.store, "http://alone.test", seconds=1.0)
    assert lease.refresh().active  # claimed once; no thread renews it
    epoch = lease.role().epoch
    kinds = Registry(
        dataclasses.replace(k, apply=outlasting_the_lease) if k.name == "attestation.issue" else k
        for k in standard_kinds()
    )
    seq = Sequencer(
        ledger.store,
        ledger.ledger.signer,
        ledger.origin,
        Context(kinds, StandardPolicy()),
        lease=lease,
    ).start()
    before = ledger.store.tree_size()
    try:
        first = seq.append_now(_decoded(ledger, 50, 2))
        second = seq.append_now(_decoded(ledger, 52))
    finally:
        seq.close()
        lease.close()
    assert [o.index for o in first + second if isinstance(o, Accepted)] == [
        before,
        before + 1,
        before + 2,
    ]
    held = ledger.store.current_lease()
    assert held is not None
    assert held.epoch == epoch  # never taken over, never claimed anew
    assert attempts == [before]  # sequenced once, its commit outlasting the lease


def test_a_write_held_longer_than_the_lease_leaves_the_lone_sequencer_committing(
    ledger: Node,
) -> None:
    """Another writer on the store (a hog holding the writer's lock) keeps the renewal
    thread and the sequencer waiting past the lease; once it lets go, the lone sequencer
    still holds its lease and commits what was submitted meanwhile. (This one held before
    issue 26 too: the renewal, once it has the lock, renews an expired lease no one took;
    it guards the fence's new rule from ever refusing this case.)"""
    lease = Lease(ledger.store, "http://alone.test", seconds=1.0).start()
    seq = Sequencer(
        ledger.store, ledger.ledger.signer, ledger.origin, ledger.sequencer.context, lease=lease
    ).start()
    before = ledger.store.tree_size()
    epoch = lease.role().epoch
    holding, submitted = threading.Event(), threading.Event()

    def hog() -> None:
        with ledger.store.write() as tx:
            tx.set_meta("hog", "holding")
            holding.set()
            submitted.wait(30)
            deadline = time.monotonic() + 3 * lease.seconds
            while time.monotonic() < deadline:  # on SQLite the lease runs out meanwhile
                tx.set_meta("hog", "busy")  # busy, not stalled: PostgreSQL would end it
                time.sleep(0.05)

    hogging = threading.Thread(target=hog)
    hogging.start()
    try:
        assert holding.wait(30)
        pending = seq.submit(_decoded(ledger, 60, 2))
        submitted.set()
        outcomes = pending.result(timeout=60)
    finally:
        hogging.join()
        seq.close()
        lease.close()
    assert [o.index for o in outcomes if isinstance(o, Accepted)] == [before, before + 1]
    held = ledger.store.current_lease()
    assert held is not None
    assert held.epoch == epoch
