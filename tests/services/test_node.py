"""A data directory and the node on it; one written by an earlier credo opens and verifies."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from credo.cli import app
from credo.ledger import verify_store
from credo.ledger.sequencer import Accepted
from credo.services.node import DataDir, Node
from credo.services.people import People
from tests.conftest import attestation

WRITTEN_BEFORE_THE_REGISTRY = Path(__file__).parent.parent / "data" / "datadir-cc10c6a"
"""`credo demo`'s consortium as commit cc10c6a wrote it (103 entries: members, attestations,
a rules adoption through governance, people with records, consents and enrolments), before
the kinds moved into an explicit registry and the store into `credo.store.sqlite`."""


def test_a_data_directory_written_before_the_registry_opens_and_verifies(
    tmp_path: Path,
) -> None:
    root = tmp_path / "old"
    shutil.copytree(WRITTEN_BEFORE_THE_REGISTRY, root)
    for secret in [root / "master.key", *(root / "keys").glob("*.pem")]:
        secret.chmod(0o600)  # git keeps no file modes; credo init wrote these owner-only
    result = CliRunner().invoke(app, ["verify", "--data", str(root)])
    assert result.exit_code == 0, result.output
    assert "OK: 103 entries" in result.output
    node = Node(DataDir(root))
    try:
        assert node.store.current_rules() is not None
        assert len(node.store.list_enrolled()) == 2
        people = People.open(node)
        try:
            export = people.export("TH-1103700012345")
            assert export["records"]
            assert all(r["payload"] is not None for r in export["records"])
        finally:
            people.close()
        outcome = node.submit([attestation(root, 1, by="state-university")])[0]
        assert isinstance(outcome, Accepted)
        assert outcome.index == 103
        assert verify_store(node.store).entries == 104
    finally:
        node.close()
