"""credo.store.nonces: the signed requests' nonce stores, one suite over every kind (this
process's own, a SQLite file, a PostgreSQL schema on the session's throwaway server)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from credo.store.nonces import DatabaseNonces, MemoryNonces, NonceStore

KEEP = 600.0


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], NonceStore]]:
    """Opens a nonce store; with a database, every call opens another on the same one (as
    another API process would)."""
    opened: list[NonceStore] = []
    if request.param == "memory":
        shared = MemoryNonces()
        opened.append(shared)

        def new() -> NonceStore:
            return shared
    else:
        where: str | Path = tmp_path / "nonces.db"
        if request.param == "postgres":
            where = request.getfixturevalue("postgres").fresh_url()

        def new() -> NonceStore:
            store = DatabaseNonces(where).open()
            opened.append(store)
            return store

    yield new
    for store in opened:
        store.close()


def test_a_nonce_is_accepted_once(opener: Callable[[], NonceStore]) -> None:
    nonces = opener()
    assert nonces.claim("kid:n1", 1000.0, KEEP)
    assert not nonces.claim("kid:n1", 1001.0, KEEP)
    assert nonces.claim("kid:n2", 1001.0, KEEP)
    assert nonces.claim("other-kid:n1", 1001.0, KEEP)  # another member's own nonce


def test_a_replay_to_another_process_on_the_same_store_is_refused(
    opener: Callable[[], NonceStore],
) -> None:
    assert opener().claim("kid:n1", 1000.0, KEEP)
    assert not opener().claim("kid:n1", 1000.5, KEEP)


def test_old_nonces_are_forgotten_but_not_within_the_window(
    opener: Callable[[], NonceStore],
) -> None:
    nonces = opener()
    assert nonces.claim("kid:old", 1000.0, KEEP)
    for i in range(1100):  # past the in-memory store's purge threshold too
        assert nonces.claim(f"kid:{i}", 1000.0 + KEEP / 2, KEEP)
    assert not nonces.claim("kid:old", 1000.0 + KEEP / 2 + 1, KEEP)  # still within keep
    later = 1000.0 + 2 * KEEP + 10
    assert nonces.claim("kid:new", later, KEEP)
    assert nonces.claim("kid:old", later + 1, KEEP)  # forgotten: past keep
