"""A data directory and the node on it; one in an earlier entry format is refused clearly."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from credo.errors import InputError
from credo.services.node import ENTRY_FORMAT, DataDir, Node, init_consortium
from credo.store.accounts import AccountStore

WRITTEN_BEFORE_THE_REGISTRY = Path(__file__).parent.parent / "data" / "datadir-cc10c6a"
"""`credo demo`'s consortium as commit cc10c6a wrote it (103 entries: members, attestations,
a rules adoption through governance, people with records, consents and enrolments), before
the kinds moved into an explicit registry and the store into `credo.store.sqlite`."""


def test_a_data_directory_of_the_linkable_entry_format_is_refused_clearly(
    tmp_path: Path,
) -> None:
    """Its personal entries name people in clear and are signed by their members: no
    migration can unpublish them, so every command refuses it and says what to do."""
    root = tmp_path / "old"
    shutil.copytree(WRITTEN_BEFORE_THE_REGISTRY, root)
    for secret in [root / "master.key", *(root / "keys").glob("*.pem")]:
        secret.chmod(0o600)  # git keeps no file modes; credo init wrote these owner-only
    with pytest.raises(InputError) as refused:
        Node(DataDir(root)).start()
    assert refused.value.code == "old_entry_format"
    assert "entry format 1" in refused.value.message
    assert "credo init" in refused.value.message
    for command in ("verify", "rebuild", "serve"):
        done = subprocess.run(
            ["credo", command, "--data", str(root)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode != 0
        assert "entry format 1" in " ".join(done.stderr.split()), done.stderr
        assert "Traceback" not in done.stderr
    with sqlite3.connect(root / "ledger.db") as conn:  # refused, and nothing written
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    assert "entry_format" not in meta
    assert meta["tree_size"] == "103"


def test_a_new_data_directory_is_marked_with_the_entry_format(tmp_path: Path) -> None:
    node = init_consortium(tmp_path / "new", "credo.test/format")
    try:
        assert node.store.get_meta("entry_format") == ENTRY_FORMAT
    finally:
        node.close()
    Node(DataDir(tmp_path / "new")).start().close()  # and opens again


def test_data_directory_and_every_file_in_it_are_private_from_creation(tmp_path: Path) -> None:
    """ledger.db, its WAL and SHM, the vault, accounts, keys, config: 0600 in a 0700 directory,
    even under the common umask 022 (which would make them world-readable)."""
    old = os.umask(0o022)
    try:
        root = tmp_path / "data"
        node = init_consortium(root, "credo.test/modes")
        accounts = AccountStore(DataDir(root).accounts).open()
        try:
            node.vault.ensure_subject("MODE-0001")  # the vault's WAL is written too
            files = [p for p in root.rglob("*") if p.is_file()]
            names = {p.name for p in files}
            assert {
                "ledger.db",
                "ledger.db-wal",
                "ledger.db-shm",
                "vault.db",
                "accounts.db",
            } <= names
            assert {"config.json", "master.key", "log.pem", "operator.pem"} <= names
            modes = {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in files}
            assert modes == dict.fromkeys(modes, 0o600)
            dirs = [root, *(p for p in root.rglob("*") if p.is_dir())]
            assert {stat.S_IMODE(d.stat().st_mode) for d in dirs} == {0o700}
        finally:
            accounts.close()
            node.close()
    finally:
        os.umask(old)
