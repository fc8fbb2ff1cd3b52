"""The SQLite store's transactions: durable by default, fsync skipped only when asked,
uniqueness of new attestations checked at each insert or, when asked, at commit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from credo.errors import Conflict, DeferredConflict, StoreError
from credo.ledger.replay import verify_store
from credo.services.node import DataDir
from credo.store import CORRUPT_LOG, AttestationRow
from credo.store.sqlite import SqliteStore

FULL, NORMAL = 2, 1


def _synchronous(store: SqliteStore) -> int:
    return int(store.conn.execute("PRAGMA synchronous").fetchone()[0])


def test_writes_wait_for_the_disk_by_default(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "ledger.db").open()
    with store.write():
        assert _synchronous(store) == FULL
    assert _synchronous(store) == FULL


def test_a_non_durable_write_skips_fsync_for_that_transaction_only(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "ledger.db").open()
    with store.write(durable=False) as tx:
        assert _synchronous(store) == NORMAL
        tx.set_meta("probe", "committed")
    assert _synchronous(store) == FULL
    assert store.get_meta("probe") == "committed"


def test_durability_is_restored_when_a_non_durable_write_fails(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "ledger.db").open()

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
    store = SqliteStore(tmp_path / "ledger.db").open()
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
    store = SqliteStore(tmp_path / "ledger.db").open()
    with store.write(deferred=True) as tx:
        tx.add_attestation(_digest(1), "uni", 1)
        with pytest.raises(Conflict):  # twice in one transaction: refused at once
            tx.add_attestation(_digest(1), "uni", 2)
        assert tx.get_attestation(_digest(1)) == AttestationRow(_digest(1), "uni", 1)
        tx.revoke_attestation(_digest(1), 3)
        assert tx.get_attestation(_digest(1)) == AttestationRow(_digest(1), "uni", 1, 3)
        assert store.get_attestation(_digest(1)) is None  # not committed yet
    assert store.get_attestation(_digest(1)) == AttestationRow(_digest(1), "uni", 1, 3)


@pytest.fixture
def store_url() -> None:
    """The data directory's log in DIR/ledger.db, whatever CREDO_TEST_STORE says: these are
    the SQLite file's tests."""
    return None


def test_a_log_stored_a_row_per_entry_is_regrouped_into_bundles(data_dir: Path) -> None:
    """Data directories from before entry bundles: the first writer to open one moves its
    entries into bundles, and the log still verifies."""
    db = DataDir(data_dir).db
    store = SqliteStore(db).open()
    before = [data for _, data in store.iter_entries()]
    store.close()
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE entries (idx INTEGER PRIMARY KEY, data BLOB NOT NULL)")
    conn.executemany("INSERT INTO entries VALUES (?, ?)", enumerate(before))
    conn.execute("DELETE FROM entry_bundles")
    conn.commit()
    conn.close()
    store = SqliteStore(db).open()
    try:
        assert [data for _, data in store.iter_entries()] == before
        tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
        assert "entries" not in tables
        assert verify_store(store).entries == len(before)
    finally:
        store.close()


def test_entries_read_back_across_bundle_boundaries(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "ledger.db").open()
    entries = [b"entry %d" % i for i in range(600)]
    for start, count in ((0, 1), (1, 300), (301, 255), (556, 44)):  # partial bundles completed
        with store.write() as tx:
            tx.append_entries(start, entries[start : start + count])
    assert store.read_entries(0, 600) == entries
    assert store.read_entries(250, 20) == entries[250:270]
    assert store.read_entries(590, 50) == entries[590:]
    assert store.read_entries(600, 5) == []
    assert [i for i, _ in store.iter_entries(510)] == list(range(510, 600))
    rows = store.conn.execute("SELECT idx, length(data) FROM entry_bundles").fetchall()
    assert [idx for idx, _ in rows] == [0, 1, 2]


def test_appending_past_the_stored_partial_bundle_is_refused(tmp_path: Path) -> None:
    """Positions come from the tree size stored with the bundles; if they ever disagree, the
    append fails rather than write a misaligned bundle."""
    store = SqliteStore(tmp_path / "ledger.db").open()
    with store.write() as tx:
        tx.append_entries(0, [b"a", b"b", b"c"])
    with pytest.raises(StoreError) as err, store.write() as tx:
        tx.append_entries(5, [b"f"])
    assert err.value.code == "bad_append"  # not at the tree size
    with store.write() as tx:
        tx.set_meta("tree_size", "5")  # the stored size and the bundles now disagree
    with pytest.raises(StoreError) as err, store.write() as tx:
        tx.append_entries(5, [b"f"])
    assert err.value.code == CORRUPT_LOG
    assert store.read_entries(0, 10) == [b"a", b"b", b"c"]


def test_a_missing_bundle_is_corrupt_data(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "ledger.db").open()
    with store.write() as tx:
        tx.append_entries(0, [b"entry %d" % i for i in range(600)])
    store.conn.execute("DELETE FROM entry_bundles WHERE idx = 1")
    for read in (lambda: list(store.iter_entries()), lambda: store.read_entries(0, 600)):
        with pytest.raises(StoreError) as err:
            read()
        assert err.value.code == CORRUPT_LOG


def test_a_full_disk_fails_the_write_as_disk_full_and_the_next_write_succeeds(
    tmp_path: Path,
) -> None:
    # SQLite rolls the whole transaction back itself on SQLITE_FULL; the ROLLBACK that
    # followed failed ("no transaction is active") and turned a 503 disk_full into a 500.
    store = SqliteStore(tmp_path / "ledger.db").open()
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full, as SQLite sees it
    with pytest.raises(StoreError) as caught, store.write() as tx:
        tx.set_meta("big", "x" * 100_000)
    assert caught.value.code == "disk_full"
    assert caught.value.status == 503
    assert store.get_meta("big") is None
    store.conn.execute(f"PRAGMA max_page_count = {pages * 100}")  # room again
    with store.write() as tx:
        tx.set_meta("big", "x" * 100_000)
    assert store.get_meta("big") == "x" * 100_000


def test_a_score_table_of_one_score_a_person_is_recreated_per_rules_hash(
    tmp_path: Path,
) -> None:
    """Scores were kept one per person before rules switches; that cache is dropped and the
    table recreated keyed by (subject, rules hash), so two rules' scores fit side by side."""
    from credo.store import ScoreRow

    path = tmp_path / "ledger.db"
    SqliteStore(path).open().close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE scores")
    conn.execute(
        "CREATE TABLE scores (subject TEXT PRIMARY KEY, rules_hash TEXT NOT NULL, as_of "
        "INTEGER NOT NULL, score INTEGER NOT NULL, tier TEXT NOT NULL, doc TEXT NOT NULL)"
    )
    conn.execute("INSERT INTO scores VALUES ('p1', 'old', 1, 300, 'B', '{}')")
    conn.commit()
    conn.close()
    store = SqliteStore(path).open()
    try:
        assert store.get_score("p1") is None
        with store.write() as tx:
            tx.put_score(ScoreRow("p1", "old", 1, 300, "B", "{}"))
            tx.put_score(ScoreRow("p1", "new", 1, 310, "B", "{}"))
        assert store.count_scores_under("old") == store.count_scores_under("new") == 1
    finally:
        store.close()
