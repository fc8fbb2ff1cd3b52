"""credo.store.database: what the vault, the accounts and the nonces stand on, held to the
same contract on both backends (a SQLite file, a fresh PostgreSQL schema)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from credo.errors import Conflict, StoreError
from credo.store.database import Database, database_at

SCHEMA = "CREATE TABLE IF NOT EXISTS things (name {text} PRIMARY KEY, body {bytes} NOT NULL);"


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres").fresh_url()
        return url
    return tmp_path / "things.db"


def _open(location: str | Path) -> Database:
    db = database_at(location, what="things", lock="things", pragmas=("PRAGMA journal_mode=WAL",))
    db.open(SCHEMA)
    return db


@pytest.fixture
def db(location: str | Path) -> Iterator[Database]:
    opened = _open(location)
    yield opened
    opened.close()


def test_a_write_commits_and_bytes_come_back_as_bytes(db: Database, location: str | Path) -> None:
    with db.write("adding") as tx:
        assert tx.exec("INSERT INTO things (name, body) VALUES (?, ?)", ("a", b"\x00\xff")) == 1
    other = _open(location)  # another process's view
    try:
        with other.read("reading") as st:
            row = st.one("SELECT name, body FROM things WHERE name = ?", ("a",))
        assert row is not None
        assert (row[0], bytes(row[1])) == ("a", b"\x00\xff")
    finally:
        other.close()


def _add(db: Database, *names: str, fail: bool = False) -> None:
    with db.write("adding") as tx:
        for name in names:
            tx.exec("INSERT INTO things (name, body) VALUES (?, ?)", (name, b"x"))
        if fail:
            raise RuntimeError("changed my mind")


def test_a_write_that_raises_leaves_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        _add(db, "a", fail=True)
    with db.read("reading") as st:
        assert st.rows("SELECT name FROM things") == []


def test_a_broken_key_is_a_conflict_and_rolls_the_write_back(db: Database) -> None:
    _add(db, "a")
    with pytest.raises(Conflict):
        _add(db, "b", "a")
    with db.read("reading") as st:
        assert [r[0] for r in st.rows("SELECT name FROM things ORDER BY name")] == ["a"]
    db.scrub(["things"])  # and the database is still usable, scrubbed or not
    _add(db, "b")


def test_a_closed_database_says_so(db: Database) -> None:
    db.close()
    with pytest.raises(StoreError) as info, db.read("reading"):
        pass
    assert info.value.code == "closed"
