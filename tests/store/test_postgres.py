"""The PostgreSQL store's own behaviour, beyond the conformance suite: one writer across
store objects (the advisory lock), durability skipped only for the transaction that asks,
read-only views, and errors mapped as `credo.store.protocols` says."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from credo.errors import Conflict, InputError, StoreError
from credo.store import open_store
from credo.store.postgres import PostgresStore
from credo.store.postgres._base import translate
from tests import _postgres

WAIT = 30.0  # seconds to wait for a condition that must come; never a measured time


@pytest.fixture
def url(postgres: _postgres.Server) -> str:
    return postgres.fresh_url()


@pytest.fixture
def store(url: str) -> Iterator[PostgresStore]:
    opened = open_store(url)
    assert isinstance(opened, PostgresStore)
    yield opened
    opened.close()


def _setting(conn: psycopg.Connection[tuple[object, ...]], name: str) -> str:
    row = conn.execute("SELECT current_setting(%s)", (name,)).fetchone()
    assert row is not None
    return str(row[0])


def test_a_non_durable_write_skips_the_wal_flush_for_that_transaction_only(
    store: PostgresStore,
) -> None:
    with store.write() as tx:
        assert _setting(tx.conn, "synchronous_commit") == "on"
    with store.write(durable=False) as tx:
        assert _setting(tx.conn, "synchronous_commit") == "off"
        tx.set_meta("probe", "committed")
    with store.write() as tx:
        assert _setting(tx.conn, "synchronous_commit") == "on"
    assert store.get_meta("probe") == "committed"


def test_two_store_objects_on_one_schema_write_one_at_a_time(url: str) -> None:
    """A second writer (as another process or machine would be) waits for the advisory lock
    and then reads what the first committed."""
    first, second = open_store(url), open_store(url)
    seen: list[str | None] = []
    try:
        with first.write() as tx:
            tx.set_meta("owner", "first")
            waiter = threading.Thread(target=lambda: _read_in_write(second, seen))
            waiter.start()
            with psycopg.connect(url, autocommit=True) as watch:
                deadline = time.monotonic() + WAIT
                while not _waits_for_advisory_lock(watch):
                    assert time.monotonic() < deadline, "the second writer never waited"
                    time.sleep(0.01)
            assert seen == []
        waiter.join(WAIT)
        assert seen == ["first"]
    finally:
        first.close()
        second.close()


def _read_in_write(store: object, seen: list[str | None]) -> None:
    assert isinstance(store, PostgresStore)
    with store.write() as tx:
        seen.append(tx.get_meta("owner"))


def _waits_for_advisory_lock(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    ).fetchone()
    return row is not None and int(str(row[0])) > 0


def test_a_read_only_view_reads_and_refuses_writes(store: PostgresStore, url: str) -> None:
    with store.write() as tx:
        tx.set_meta("m", "written")
        tx.append_entries(0, [b"entry"])
    view = open_store(url, readonly=True)
    try:
        assert view.get_meta("m") == "written"
        assert view.read_entries(0, 1) == [b"entry"]
        with pytest.raises(StoreError), view.write() as tx:
            tx.set_meta("m", "refused")
    finally:
        view.close()
    assert store.get_meta("m") == "written"


def test_a_nul_in_text_is_an_input_error_and_the_transaction_goes_on(
    store: PostgresStore,
) -> None:
    """PostgreSQL's text cannot hold NUL (SQLite's can): refused before it is sent, so the
    sequencer can refuse that entry alone and commit the rest."""
    with store.write() as tx:
        with pytest.raises(InputError):
            tx.enrol("p\x00", 1, "2024-01-01T00:00:00Z")
        tx.enrol("p1", 2, "2024-01-01T00:00:00Z")
    assert store.list_enrolled() == ["p1"]


def test_a_duplicate_leaves_the_transaction_usable(store: PostgresStore) -> None:
    """Not a failed statement (which would abort the whole transaction), so writes after
    a refused duplicate still commit."""
    with store.write() as tx:
        tx.add_tag("t1", 1, "p1")
        before = tx.changes()
        with pytest.raises(Conflict):
            tx.add_tag("t1", 2, "p2")
        assert tx.changes() == before
        tx.add_tag("t2", 3, "p2")
    assert store.entries_of("p1") == [1]
    assert store.entries_of("p2") == [3]


def test_a_full_disk_is_a_store_error_with_its_code() -> None:
    error = translate(psycopg.errors.DiskFull("could not extend file"), "write")
    assert isinstance(error, StoreError)
    assert error.code == "disk_full"
    unique = translate(psycopg.errors.UniqueViolation("duplicate key"), "write")
    assert isinstance(unique, Conflict)


def test_an_unreachable_server_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open PostgreSQL"):
        open_store(f"postgresql://nobody@/nothing?host={tmp_path}&password=hidden")


def test_the_error_names_the_database_but_not_its_password(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as failed:
        open_store(f"postgresql://nobody:hidden@/nothing?host={tmp_path}")
    assert "hidden" not in str(failed.value)
    assert "nothing" in str(failed.value)


def test_a_search_path_naming_no_schema_is_refused(postgres: _postgres.Server) -> None:
    url = postgres.fresh_url().replace("search_path%3Dstore_", "search_path%3Dmissing_")
    with pytest.raises(StoreError, match="search_path"):
        open_store(url)
