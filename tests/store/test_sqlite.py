"""The SQLite store's transactions: durable by default, fsync skipped only when asked,
uniqueness of new attestations checked at each insert or, when asked, at commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from credo.errors import Conflict, DeferredConflict
from credo.store.base import AttestationRow
from credo.store.sqlite import SqliteStore

FULL, NORMAL = 2, 1


def _synchronous(store: SqliteStore) -> int:
    return int(store.conn.execute("PRAGMA synchronous").fetchone()[0])


def test_writes_wait_for_the_disk_by_default(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "ledger.db")
    with store.write():
        assert _synchronous(store) == FULL
    assert _synchronous(store) == FULL


def test_a_non_durable_write_skips_fsync_for_that_transaction_only(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "ledger.db")
    with store.write(durable=False) as tx:
        assert _synchronous(store) == NORMAL
        tx.set_meta("probe", "committed")
    assert _synchronous(store) == FULL
    assert store.get_meta("probe") == "committed"


def test_durability_is_restored_when_a_non_durable_write_fails(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "ledger.db")

    def failing_write() -> None:
        with store.write(durable=False) as tx:
            tx.set_meta("probe", "rolled back")
            raise RuntimeError("handler bug")

    with pytest.raises(RuntimeError):
        failing_write()
    assert _synchronous(store) == FULL
    assert store.get_meta("probe") is None


def _digest(n: int) -> str:
    return "sha256:" + f"{n:064x}"


def test_a_deferred_write_checks_stored_digests_at_commit(tmp_path: Path) -> None:
    """A digest already stored is found when the transaction commits: `DeferredConflict`,
    and nothing of the transaction is written."""
    store = SqliteStore(tmp_path / "ledger.db")
    with store.write() as tx:
        tx.add_attestation(_digest(1), "uni", 1)

    def deferred_write() -> None:
        with store.write(deferred=True) as tx:
            tx.add_attestation(_digest(2), "uni", 2)
            tx.add_attestation(_digest(1), "bank", 3)  # accepted for now
            tx.set_meta("probe", "rolled back")

    with pytest.raises(DeferredConflict):
        deferred_write()
    assert store.get_attestation(_digest(1)) == AttestationRow(_digest(1), "uni", 1)
    assert store.get_attestation(_digest(2)) is None
    assert store.get_meta("probe") is None


def test_a_deferred_write_sees_its_own_attestations(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "ledger.db")
    with store.write(deferred=True) as tx:
        tx.add_attestation(_digest(1), "uni", 1)
        with pytest.raises(Conflict):  # twice in one transaction: refused at once
            tx.add_attestation(_digest(1), "uni", 2)
        assert tx.get_attestation(_digest(1)) == AttestationRow(_digest(1), "uni", 1)
        tx.revoke_attestation(_digest(1), 3)
        assert tx.get_attestation(_digest(1)) == AttestationRow(_digest(1), "uni", 1, 3)
        assert store.get_attestation(_digest(1)) is None  # not committed yet
    assert store.get_attestation(_digest(1)) == AttestationRow(_digest(1), "uni", 1, 3)
