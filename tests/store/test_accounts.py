"""credo.store.accounts: the portal's sign-in state, in its own SQLite file or in PostgreSQL.

The tests taking ``store`` are the accounts' conformance suite: they run on both backends
(a SQLite file, a fresh PostgreSQL schema on the session's throwaway server)."""

from __future__ import annotations

import sqlite3
import stat
import threading
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest

from credo.errors import StoreError
from credo.store.accounts import (
    SCHEMA,
    TOUCH_EVERY,
    AccountStore,
    CeremonyRow,
    CredentialRow,
    InviteRow,
    SessionRow,
)
from credo.store.sqlite.store import TYPES

ALICE = "a" * 32
BOB = "b" * 32


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres").fresh_url()
        return url
    return tmp_path / "accounts.db"


@pytest.fixture
def store(location: str | Path) -> Iterator[AccountStore]:
    s = AccountStore(location).open()
    yield s
    s.close()


def invite(code_hash: str = "h1", subject: str = ALICE, expires: int = 1000) -> InviteRow:
    return InviteRow(code_hash, subject, "gov", 0, expires, None)


def credential(cid: bytes = b"cred-1", subject: str = ALICE, count: int = 0) -> CredentialRow:
    return CredentialRow(cid, subject, b"cose-key", count, "[]", 10, None)


def test_open_creates_the_schema_owner_only_in_wal(tmp_path: Path) -> None:
    path = tmp_path / "accounts.db"
    AccountStore(path).open().close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    conn = sqlite3.connect(path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
    assert tables == {"invites", "credentials", "ceremonies", "sessions", "frozen"}
    AccountStore(path).open().close()  # opening again keeps what is there


def test_a_closed_store_says_so(tmp_path: Path) -> None:
    s = AccountStore(tmp_path / "accounts.db").open()
    s.close()
    with pytest.raises(StoreError) as caught:
        s.invite("h1")
    assert caught.value.code == "closed"


def test_an_unopenable_file_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        AccountStore(tmp_path / "missing-dir" / "accounts.db").open()


def test_a_new_invite_supersedes_the_unused_ones(store: AccountStore) -> None:
    store.add_invite(invite("h1"))
    store.add_invite(invite("h2"))
    store.add_invite(invite("h3", subject=BOB))
    assert store.invite("h1") is None
    assert store.invite("h2") == invite("h2")
    assert store.invite("h3") is not None


def test_ceremonies_are_single_use_expire_and_keep_their_kind(store: AccountStore) -> None:
    store.add_ceremony(CeremonyRow("c1", "register", b"ch", ALICE, "h1", 100))
    assert store.take_ceremony("c1", "authenticate", 0) is None  # the other kind: gone too
    store.add_ceremony(CeremonyRow("c2", "register", b"ch", ALICE, "h1", 100))
    assert store.take_ceremony("c2", "register", 100) is None  # expired
    store.add_ceremony(CeremonyRow("c3", "authenticate", b"ch", None, None, 100))
    taken = store.take_ceremony("c3", "authenticate", 99)
    assert taken == CeremonyRow("c3", "authenticate", b"ch", None, None, 100)
    assert store.take_ceremony("c3", "authenticate", 99) is None


def test_register_uses_the_code_and_stores_the_passkey_at_once(store: AccountStore) -> None:
    store.add_invite(invite("h1"))
    assert store.register("h1", credential(), 50)
    used = store.invite("h1")
    assert used is not None
    assert used.used_at == 50
    assert store.credential(b"cred-1") == credential()
    assert not store.register("h1", credential(b"cred-2"), 51)  # the code is used
    assert store.credential(b"cred-2") is None


def test_register_refuses_an_expired_code_another_subject_or_a_known_passkey(
    store: AccountStore,
) -> None:
    store.add_invite(invite("h1", expires=100))
    assert not store.register("h1", credential(), 100)
    store.add_invite(invite("h2", subject=BOB))
    assert not store.register("h2", credential(), 0)  # the code is Bob's, not Alice's
    store.add_invite(invite("h3"))
    assert store.register("h3", credential(), 0)
    store.add_invite(invite("h4"))
    assert not store.register("h4", credential(), 0)  # that credential id exists
    h4 = store.invite("h4")
    assert h4 is not None
    assert h4.used_at is None  # nothing was written


def test_a_use_moves_the_counter_only_from_what_was_seen(store: AccountStore) -> None:
    store.add_invite(invite("h1"))
    store.register("h1", credential(count=3), 0)
    assert store.use_credential(b"cred-1", 3, 4, 70)
    assert not store.use_credential(b"cred-1", 3, 5, 71)  # another use got there first
    row = store.credential(b"cred-1")
    assert row is not None
    assert (row.sign_count, row.last_used_at) == (4, 70)


def test_sessions_end_when_idle_or_past_their_absolute_limit(store: AccountStore) -> None:
    store.add_session(SessionRow("t1", ALICE, "csrf", 0, 0, 1000))
    assert store.touch_session("t1", 299, 300) is not None
    touched = store.touch_session("t1", 598, 300)  # idle 299 s since the last touch
    assert touched is not None
    assert touched.last_seen == 598
    assert store.touch_session("t1", 898, 300) is None  # idle 300 s
    assert store.touch_session("t1", 0, 300) is None  # and deleted
    store.add_session(SessionRow("t2", ALICE, "csrf", 0, 0, 1000))
    for now in range(200, 1000, 200):
        assert store.touch_session("t2", now, 300) is not None
    assert store.touch_session("t2", 1000, 300) is None
    store.add_session(SessionRow("t3", ALICE, "csrf", 0, 0, 1000))
    store.end_session("t3")
    assert store.touch_session("t3", 1, 300) is None


def test_a_session_seen_again_within_a_minute_is_only_read(store: AccountStore) -> None:
    """Pages within TOUCH_EVERY of the last move leave ``last_seen`` where it was (no write
    per page); the first one after moves it; idleness still counts from the recorded move."""
    store.add_session(SessionRow("t1", ALICE, "csrf", 0, 0, 10_000))
    for now in (1, 30, TOUCH_EVERY - 1):
        row = store.touch_session("t1", now, 300)
        assert row is not None
        assert row.last_seen == 0
    moved = store.touch_session("t1", TOUCH_EVERY, 300)
    assert moved is not None
    assert moved.last_seen == TOUCH_EVERY
    assert store.touch_session("t1", TOUCH_EVERY + 299, 300) is not None
    assert store.touch_session("t1", TOUCH_EVERY + 299 + 300, 300) is None


def test_purge_removes_what_expired(store: AccountStore) -> None:
    store.add_invite(invite("h1", expires=100))
    store.add_invite(invite("h2", subject=BOB, expires=500))
    store.add_ceremony(CeremonyRow("c1", "authenticate", b"ch", None, None, 100))
    store.add_session(SessionRow("t1", ALICE, "csrf", 0, 0, 1000))  # idle from 300
    store.add_session(SessionRow("t2", BOB, "csrf", 0, 250, 1000))
    assert store.purge(300, 300) == 3
    assert store.invite("h2") is not None
    assert store.touch_session("t2", 300, 300) is not None


def test_forget_deletes_every_row_of_the_subject_and_no_other(store: AccountStore) -> None:
    for subject, n in ((ALICE, "1"), (BOB, "2")):
        store.add_invite(invite(f"used{n}", subject=subject))
        store.register(f"used{n}", credential(f"cred-{n}".encode(), subject), 0)
        store.add_invite(invite(f"open{n}", subject=subject))
        store.add_ceremony(CeremonyRow(f"c{n}", "register", b"ch", subject, f"open{n}", 100))
        store.add_session(SessionRow(f"t{n}", subject, "csrf", 0, 0, 1000))
    assert store.forget(ALICE) == 5
    assert store.credentials_of(ALICE) == []
    assert store.invite("used1") is None
    assert store.invite("open1") is None
    assert store.take_ceremony("c1", "register", 0) is None
    assert store.touch_session("t1", 1, 300) is None
    assert len(store.credentials_of(BOB)) == 1
    assert store.touch_session("t2", 1, 300) is not None
    with store._live().read("test") as st:  # every table, through the backend's own reads
        for table in ("invites", "credentials", "ceremonies", "sessions", "frozen"):
            rows = st.rows(f"SELECT subject FROM {table}")
            assert ALICE not in {r[0] for r in rows}, table
    assert store.forget(ALICE) == 0


def test_two_stores_on_one_location_share_sign_in_state(
    store: AccountStore, location: str | Path
) -> None:
    """Two API processes on one database: a session started through one is live through
    the other, and ended through the other it is gone for the first."""
    store.add_session(SessionRow("t1", ALICE, "csrf", 0, 0, 1000))
    with AccountStore(location) as other:
        assert other.touch_session("t1", 10, 300) is not None
        other.end_session("t1")
    assert store.touch_session("t1", 20, 300) is None


def test_the_repr_never_shows_a_password() -> None:
    shown = repr(AccountStore("postgresql://credo:s3cret@db.example/credo"))
    assert "s3cret" not in shown
    assert "db.example" in shown


def test_processes_opening_an_older_file_together_each_get_the_whole_schema(
    tmp_path: Path,
) -> None:
    """`credo serve --processes` opens accounts.db in every child at once: the columns added
    to older files are added once, under the writer's lock, never twice."""
    for n in range(12):
        path = tmp_path / f"accounts-{n}.db"
        older = sqlite3.connect(path)  # the tables as first released, none of _ADDED
        older.execute("PRAGMA journal_mode=WAL")
        older.executescript(SCHEMA.format_map(asdict(TYPES)))
        older.close()
        barrier = threading.Barrier(4)
        failures: list[BaseException] = []

        def open_it(
            path: Path = path,
            barrier: threading.Barrier = barrier,
            failures: list[BaseException] = failures,
        ) -> None:
            barrier.wait()
            try:
                AccountStore(path).open().close()
            except BaseException as exc:  # collected for the assertion
                failures.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
