"""The SQLite store's transactions: durable by default, fsync skipped only when asked."""

from __future__ import annotations

from pathlib import Path

import pytest

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
