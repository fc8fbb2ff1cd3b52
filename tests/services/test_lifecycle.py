"""Explicit lifecycles: constructing any of the objects a node or an app starts touches
nothing (no file created, no connection, no thread, no lease claimed) until its `start` or
`open`, and the node closes what it started in reverse order."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from credo.errors import CredoError, StoreError, Unavailable
from credo.ledger import standard_kinds
from credo.ledger.lease import Lease
from credo.ledger.registry import Context
from credo.ledger.sequencer import Sequencer
from credo.mirror.store import MirrorStore
from credo.services.node import DataDir, Node
from credo.services.policy import StandardPolicy
from credo.services.rescorer import Rescorer
from credo.services.witnessing import Witnessing
from credo.store import open_store, store_at
from credo.store.accounts import AccountStore
from credo.vault import MasterKey, Vault
from credo.witness.store import WitnessStore


def _threads() -> set[int]:
    return {t.ident for t in threading.enumerate() if t.ident is not None}


def _files(root: Path) -> set[Path]:
    return set(root.rglob("*"))


FILE_STORES: dict[str, Callable[[Path], object]] = {
    "ledger": lambda d: store_at(d / "ledger.db"),
    "ledger-memory": lambda d: store_at(":memory:"),
    "vault": lambda d: Vault(d / "vault.db", MasterKey.generate()),
    "accounts": lambda d: AccountStore(d / "accounts.db"),
    "mirror": lambda d: MirrorStore(d / "mirror.db"),
    "witness": lambda d: WitnessStore(d / "witness.db"),
}


@pytest.mark.parametrize("make", FILE_STORES.values(), ids=FILE_STORES.keys())
def test_a_sqlite_store_creates_nothing_until_it_is_opened(
    make: Callable[[Path], Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"  # where a scratch (":memory:") store's directory goes
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    files, threads = _files(tmp_path), _threads()
    store = make(tmp_path)
    assert _files(tmp_path) == files
    assert not _threads() - threads
    store.open()
    try:
        assert _files(tmp_path) - files  # now it is there
    finally:
        store.close()


def test_a_closed_store_refuses_reads_rather_than_reconnecting(tmp_path: Path) -> None:
    store = open_store(tmp_path / "ledger.db")
    store.close()
    with pytest.raises(StoreError) as closed:
        store.tree_size()
    assert closed.value.code == "closed"


def test_a_postgres_store_connects_only_when_opened() -> None:
    """No server listens there: constructing succeeds, opening fails."""
    store = store_at("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    before = _threads()
    with pytest.raises(StoreError):
        store.open()
    store.close()
    assert not _threads() - before  # and the failed open left no pool thread behind


def test_a_postgres_store_starts_its_pool_on_open(postgres: object) -> None:
    url = postgres.fresh_url()  # type: ignore[attr-defined]
    before = _threads()
    store = store_at(url)
    assert not _threads() - before
    store.open()
    try:
        assert _threads() - before  # the pool's threads
        assert store.tree_size() == 0
    finally:
        store.close()


def test_the_ledger_parts_start_no_thread_and_claim_nothing_until_started(
    ledger: Node,
) -> None:
    before = _threads()
    context = Context(standard_kinds(), StandardPolicy(), None)
    lease = Lease(ledger.store, "http://me.test", seconds=60)
    sequencer = Sequencer(ledger.store, ledger.ledger.signer, ledger.origin, context, lease=lease)
    rescorer = Rescorer(ledger.store)
    witnessing = Witnessing(ledger.store, ledger.ledger.verifier)
    assert not _threads() - before
    assert ledger.store.current_lease() is None
    with pytest.raises(Unavailable):
        sequencer.submit([])  # not started: refused, not queued for ever
    lease.start()
    sequencer.start()
    try:
        assert lease.role().active
        assert ledger.store.current_lease() is not None
        started = {t.name for t in threading.enumerate() if t.ident not in before}
        assert started == {"credo-lease", "credo-sequencer", "credo-listeners"}
    finally:
        for part in (witnessing, rescorer, sequencer, lease):  # the unstarted close too
            part.close()
    assert not _threads() - before


def test_a_node_opens_nothing_until_started_and_closes_in_reverse(
    data_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "copy"
    shutil.copytree(data_dir, root)
    for made in ("ledger.db", "vault.db"):
        for path in root.glob(made + "*"):
            path.unlink()
    before, threads = _files(root), _threads()
    node = Node(DataDir(root), advertise="http://me.test", lease_seconds=30)
    assert _files(root) == before
    assert not _threads() - threads
    closed: list[str] = []
    for name in ("store", "vault", "lease", "ledger"):
        part = getattr(node, name)
        real = part.close

        def close(real: Callable[[], None] = real, name: str = name) -> None:
            closed.append(name)
            real()

        part.close = close
    try:
        node.start()
        if node.data.store_location == root / "ledger.db":
            assert (root / "ledger.db").exists()
            assert (root / "vault.db").exists()
        else:  # PostgreSQL: the vault's rows are in the database
            assert not (root / "vault.db").exists()
        assert node.is_sequencer()
    finally:
        node.close()
    assert closed == ["ledger", "lease", "vault", "store"]
    node.close()  # a second close does nothing
    assert closed == ["ledger", "lease", "vault", "store"]


def test_a_node_that_fails_to_start_closes_what_it_opened(data_dir: Path) -> None:
    node = Node(DataDir(data_dir))
    node.vault.path = data_dir / "no-such-dir" / "vault.db"  # the vault cannot be created
    with pytest.raises(CredoError):
        node.start()
    with pytest.raises(StoreError) as closed:
        node.store.tree_size()
    assert closed.value.code == "closed"
