"""The vault's fixtures. ``vault`` is the conformance fixture: every test that takes it runs
on both backends of the vault's rows (`credo.vault.rows`), a SQLite file and a fresh
PostgreSQL schema on the session's throwaway server; ``sqlite_vault`` is for the tests of
what the SQLite file itself holds (pragmas, modes, bytes on disk)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from credo.vault import MasterKey, Vault


@pytest.fixture
def master() -> MasterKey:
    return MasterKey(bytes(range(32)))


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    return tmp_path / "vault.db"


@pytest.fixture
def sqlite_vault(vault_path: Path, master: MasterKey) -> Iterator[Vault]:
    with Vault(vault_path, master) as v:
        yield v


@pytest.fixture(params=["sqlite", "postgres"])
def vault_location(request: pytest.FixtureRequest, vault_path: Path) -> str | Path:
    """Where ``vault`` keeps its rows: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres").fresh_url()
        return url
    return vault_path


@pytest.fixture
def vault(vault_location: str | Path, master: MasterKey) -> Iterator[Vault]:
    with Vault(vault_location, master) as v:
        yield v
