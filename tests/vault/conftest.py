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
def vault(vault_path: Path, master: MasterKey) -> Iterator[Vault]:
    with Vault(vault_path, master) as v:
        yield v
