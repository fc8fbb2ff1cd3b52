"""`credo score`: the rules served, a due switch of rules, and rescoring everyone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from credo.cli import app
from credo.cli._people import open_people
from credo.services.node import DataDir, Node
from credo.services.programme import Programme
from tests.conftest import member_key


def test_score_status_shows_the_served_rules_and_a_due_switch(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`score --status` says which rules are served; after a vote adopts other rules (and
    before anyone is rescored under them) it says a switch is due; `score --all` makes it."""
    from credo.scoring import DEFAULT_RULES_BYTES, rules_hash

    monkeypatch.delenv("CREDO_MASTER_KEY", raising=False)
    root = str(data_dir)

    def status() -> dict[str, object]:
        result = CliRunner().invoke(app, ["score", "--status", "--data", root])
        assert result.exit_code == 0, (result.output, result.exception)
        loaded: dict[str, object] = json.loads(result.stdout)
        return loaded

    def adopt(proposal: str, document: str) -> None:
        body = {"id": proposal, "action": "adopt_rules", "params": {"document": document}}
        node = Node(DataDir(data_dir)).start()
        try:
            node.submit_one("governance.propose", "operator", body)
            for voter in ("operator", "watch"):
                vote = {"proposal": proposal, "vote": "yes"}
                node.submit_one("governance.vote", voter, vote)
        finally:
            node.close()

    adopt("rules-1", DEFAULT_RULES_BYTES.decode())
    with open_people(data_dir) as people:
        people.records.put(
            member_key(data_dir, "bank"), "bank", "ZX-1111-0001", "finance", "loan.repaid", {}
        )
        Programme(people).enrol("ZX-1111-0001")
    assert CliRunner().invoke(app, ["score", "--all", "--data", root]).exit_code == 0
    first = status()
    assert first["serving_rules"] == first["adopted_rules"] == rules_hash(DEFAULT_RULES_BYTES)
    assert first["switching"] is False
    assert first["enrolled"] == first["scored_under_adopted"] == 1
    other = json.loads(DEFAULT_RULES_BYTES)
    other["version"] += 1
    adopt("rules-2", json.dumps(other))
    due = status()
    assert due["switching"] is True
    assert due["serving_rules"] == first["serving_rules"]
    assert due["adopted_rules"] != first["adopted_rules"]
    assert due["scored_under_adopted"] == 0
    assert CliRunner().invoke(app, ["score", "--all", "--data", root]).exit_code == 0
    done = status()
    assert done["switching"] is False
    assert done["serving_rules"] == due["adopted_rules"]
    assert done["scored_under_adopted"] == 1
    both = CliRunner().invoke(app, ["score", "--all", "--status", "--data", root])
    assert both.exit_code != 0
