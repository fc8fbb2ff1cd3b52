"""The backends the store conformance suite (test_conformance.py) runs against.

Each backend is one line of `BACKENDS`: an id and a function that opens a fresh, empty store
in a given empty directory, only through `credo.store.open_store`; `POSTGRES` stands for one
that opens a fresh schema on the session's throwaway server (the ``postgres`` fixture).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from credo.store import MEMORY, Store, open_store

Opener = Callable[[Path], Store]
NewStore = Callable[[], Store]

POSTGRES = "postgres"

BACKENDS = [
    pytest.param(lambda d: open_store(d / "ledger.db"), id="sqlite-file"),
    pytest.param(lambda d: open_store(MEMORY), id="sqlite-memory"),
    pytest.param(POSTGRES, id="postgres"),
]


def _opener(param: Opener | str, request: pytest.FixtureRequest) -> Opener:
    if param == POSTGRES:
        server = request.getfixturevalue("postgres")
        return lambda d: open_store(server.fresh_url())
    assert callable(param)
    return param


def _factory(opener: Opener, tmp_path: Path, opened: list[Store]) -> NewStore:
    def new() -> Store:
        store = opener(Path(tempfile.mkdtemp(dir=tmp_path)))
        opened.append(store)
        return store

    return new


@pytest.fixture(params=BACKENDS)
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewStore]:
    """Opens a fresh empty store of one backend per call; all are closed afterwards."""
    opened: list[Store] = []
    yield _factory(_opener(request.param, request), tmp_path, opened)
    for store in opened:
        store.close()


@pytest.fixture
def store(new_store: NewStore) -> Store:
    """A fresh empty store of each backend in turn."""
    return new_store()


@pytest.fixture
def reference_store(tmp_path: Path) -> Iterator[Store]:
    """A fresh store of the first backend, to compare another backend's results with."""
    opened: list[Store] = []
    yield _factory(BACKENDS[0].values[0], tmp_path, opened)()  # type: ignore[arg-type]
    for store in opened:
        store.close()
