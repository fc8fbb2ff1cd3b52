"""`credo programme`: a person enrols (and is scored from then on) and withdraws (the score
and its history go)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from credo.cli import app
from credo.cli._people import open_people
from credo.services.node import DataDir, Node
from tests.conftest import adopt_default_rules, member_key

NID = "ZX-1111-0001"


READ = ["--purpose", "subject_access", "--basis", "request:t-1"]
"""The operator reads a person's score as a logged access, on the person's request."""


def test_enrol_then_score_then_withdraw(data_dir: Path) -> None:
    node = Node(DataDir(data_dir)).start()
    try:
        adopt_default_rules(node)
    finally:
        node.close()
    with open_people(data_dir) as people:
        key = member_key(data_dir, "bank")
        people.records.put(key, "bank", NID, "finance", "loan.repaid", {})
    root = str(data_dir)
    enrolled = CliRunner().invoke(app, ["programme", "enrol", "--data", root, "--national-id", NID])
    assert enrolled.exit_code == 0, enrolled.output
    scored = CliRunner().invoke(app, ["score", "--data", root, "--national-id", NID, *READ])
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.stdout)["score"] > 0
    args = ["programme", "withdraw", "--data", root, "--national-id", NID]
    withdrawn = CliRunner().invoke(app, args)
    assert withdrawn.exit_code == 0, withdrawn.output
    with open_people(data_dir) as people:
        ref = people.ref_of(NID)
        assert not people.store.is_enrolled(ref)
        assert people.store.get_score(ref) is None
    refused = CliRunner().invoke(app, ["score", "--data", root, "--national-id", NID, *READ])
    assert refused.exit_code != 0
