"""credo.sqlite: the one way every SQLite file is connected to, written and has its errors
translated."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from credo.errors import Conflict, StoreError
from credo.sqlite import PerThread, connect, transaction, translate


def test_errors_are_translated_by_kind() -> None:
    assert isinstance(translate(sqlite3.IntegrityError("UNIQUE failed"), "write"), Conflict)
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
    assert translate(full, "write", "the vault").code == "disk_full"
    other = translate(sqlite3.OperationalError("no such table: x"), "read", "the vault")
    assert (type(other), other.code) == (StoreError, "store_error")
    assert other.message.startswith("the vault: read failed")


def test_a_private_file_is_owner_only_and_pragmas_run(tmp_path: Path) -> None:
    path = tmp_path / "secret.db"
    conn = connect(path, pragmas=("PRAGMA journal_mode = WAL",), private=True)
    try:
        assert path.stat().st_mode & 0o777 == 0o600
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"not a database at all " * 100)
    with pytest.raises(StoreError) as failed:
        connect(path, pragmas=("PRAGMA journal_mode = WAL",), what="the test file")
    assert isinstance(failed.value.__cause__, sqlite3.Error)
    assert "the test file" in failed.value.message


def test_a_transaction_commits_or_leaves_nothing(tmp_path: Path) -> None:
    conn = connect(tmp_path / "t.db")
    conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
    with transaction(conn) as tx:
        tx.execute("INSERT INTO t VALUES ('a')")

    def add_b_then_a_again() -> None:
        with transaction(conn, "adding", "the test file") as tx:
            tx.execute("INSERT INTO t VALUES ('b')")
            tx.execute("INSERT INTO t VALUES ('a')")  # a duplicate: the whole of it goes

    with pytest.raises(Conflict):
        add_b_then_a_again()
    assert not conn.in_transaction
    assert conn.execute("SELECT k FROM t").fetchall() == [("a",)]
    conn.close()


def test_each_thread_has_its_own_connection_and_close_closes_them_all(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    conns = PerThread(lambda: connect(path), "the test file")
    with pytest.raises(StoreError) as closed:
        conns.get()  # not open yet: nothing is connected
    assert closed.value.code == "closed"
    assert not path.exists()
    conns.open("CREATE TABLE t (k TEXT);")
    mine = conns.get()
    assert conns.get() is mine
    theirs: list[sqlite3.Connection] = []
    thread = threading.Thread(target=lambda: theirs.append(conns.get()))
    thread.start()
    thread.join()
    assert theirs[0] is not mine
    conns.close()
    for conn in (mine, theirs[0]):
        with pytest.raises(sqlite3.ProgrammingError):  # closed
            conn.execute("SELECT 1")
    with pytest.raises(StoreError):
        conns.get()
