"""A node whose ledger store is in PostgreSQL (`credo init --db`, `credo serve --db`): the
log and its derived state there, keys and the vault in the data directory, and a replay
(into SQLite) agreeing with what PostgreSQL holds."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from credo.errors import Conflict, EntryRejected
from credo.ledger.replay import verify_store
from credo.services.node import DataDir, Node, admit_member, init_consortium
from credo.store import open_store
from tests import _postgres
from tests.conftest import MEMBERS, ORIGIN, adopt_default_rules


def _digest(n: int) -> str:
    return "sha256:" + hashlib.sha256(b"pg document %d" % n).hexdigest()


@pytest.fixture
def pg_url(postgres: _postgres.Server) -> str:
    return postgres.fresh_url()


def test_a_node_on_postgres_sequences_entries_that_verify(tmp_path: Path, pg_url: str) -> None:
    root = tmp_path / "data"
    node = init_consortium(root, ORIGIN, store_url=pg_url)
    try:
        for member_id, name, sector, roles in MEMBERS:
            admit_member(node, member_id, name, sector, roles)
        for n in range(3):
            node.submit_one(
                "attestation.issue", "uni", {"digest": _digest(n), "doc_type": "diploma"}
            )
        node.submit_one("attestation.revoke", "uni", {"digest": _digest(1), "reason": "error"})
        with pytest.raises(EntryRejected) as twice:
            node.submit_one(
                "attestation.issue", "uni", {"digest": _digest(0), "doc_type": "diploma"}
            )
        assert twice.value.code == "attestation_exists"
        adopt_default_rules(node)
        size = node.store.tree_size()
        summary = verify_store(node.store, opener=node.vault)
    finally:
        node.close()
    assert summary.entries == size == 1 + len(MEMBERS) + 4 + 3
    assert summary.members == 1 + len(MEMBERS)
    assert not DataDir(root).db.exists()  # nothing went to SQLite
    assert not DataDir(root).vault.exists()  # the vault's rows are in PostgreSQL too
    assert sorted(p.name for p in root.iterdir()) == ["config.json", "keys", "master.key"]
    assert json.loads(DataDir(root).config.read_text())["store"] == pg_url

    reopened = Node(DataDir(root)).start()  # the store's location comes from config.json
    try:
        assert reopened.store.tree_size() == size
        assert reopened.store.get_attestation(_digest(1)).revoked_idx is not None
    finally:
        reopened.close()
    store = open_store(pg_url)
    try:
        assert store.tree_size() == size
    finally:
        store.close()


def test_init_refuses_a_database_that_holds_a_log(tmp_path: Path, pg_url: str) -> None:
    init_consortium(tmp_path / "first", ORIGIN, store_url=pg_url).close()
    with pytest.raises(Conflict) as refused:
        init_consortium(tmp_path / "second", ORIGIN, store_url=pg_url)
    assert refused.value.code == "already_initialised"
    assert not (tmp_path / "second").exists()


def test_the_password_is_not_written_to_the_data_directory(
    tmp_path: Path, postgres: _postgres.Server
) -> None:
    """The test server trusts every local connection, so any password lets the node in."""
    for n in range(2):
        url = postgres.fresh_url()
        in_user = url.replace("postgresql://postgres@", "postgresql://postgres:s3cret@")
        with_password = (in_user, url + "&password=s3cret")[n]
        init_consortium(tmp_path / f"d{n}", ORIGIN, store_url=with_password).close()
        config = (tmp_path / f"d{n}" / "config.json").read_text()
        assert "s3cret" not in config
        assert json.loads(config)["store"] == url
