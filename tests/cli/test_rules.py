"""`credo rules`: the rules in force and their history, as the log adopted them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from credo.cli import app
from credo.scoring import DEFAULT_RULES_BYTES, rules_hash
from credo.services.node import DataDir, Node
from tests.conftest import adopt_default_rules


def test_rules_shows_the_adopted_document_and_its_history(data_dir: Path) -> None:
    none = CliRunner().invoke(app, ["rules", "--data", str(data_dir)])
    assert none.exit_code != 0
    assert "no rules document has been adopted yet" in str(none.exception or none.output)
    node = Node(DataDir(data_dir)).start()
    try:
        adopt_default_rules(node)
        adopted = node.store.rules_history()[-1]
    finally:
        node.close()
    shown = CliRunner().invoke(app, ["rules", "--data", str(data_dir)])
    assert shown.exit_code == 0, shown.output
    doc = json.loads(shown.stdout)
    assert doc["current"]["hash"] == rules_hash(DEFAULT_RULES_BYTES) == adopted.hash
    assert doc["current"]["adopted_at_index"] == adopted.adopted_idx
    assert doc["current"]["document"] == json.loads(DEFAULT_RULES_BYTES)
    assert [h["proposal"] for h in doc["history"]] == ["rules-1"]
