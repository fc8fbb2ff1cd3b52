"""The credit programme's commands: score, programme enrol/withdraw, dispute open/answer/expire."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from credo.cli import app
from credo.cli._people import open_people
from credo.services import people as people_ops
from credo.services.programme import Programme
from tests.conftest import member_key


def _overdue_disputes(data: Path, national_ids: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """One record and one dispute per person, the disputes opened 40 days ago (the default
    rules give the member 30 days to answer)."""
    then = datetime.now(UTC) - timedelta(days=40)
    opened = then.strftime("%Y-%m-%dT%H:%M:%SZ")
    with open_people(data) as people, monkeypatch.context() as m:
        m.setattr(people_ops, "_now", lambda: opened)
        for nid in national_ids:
            record_id, _ = people.put_record(
                member_key(data, "bank"), "bank", nid, "finance", "loan.repaid", {}, opened
            )
            people.ledger.sequencer.clock = then.timestamp  # the log judges `at` by its clock
            Programme(people).open_dispute(nid, record_id, "not my loan")
            people.ledger.sequencer.clock = time.time


@pytest.mark.parametrize(
    ("people", "said"),
    [
        ([], "no overdue disputes to resolve"),
        (["ZX-1111-0001"], "1 overdue dispute resolved in the person's favour"),
        (["ZX-1111-0001", "ZX-2222-0002"], "2 overdue disputes resolved in the people's favour"),
    ],
    ids=["none", "one", "two"],
)
def test_dispute_expire_reports_every_persons_disputes_not_the_person(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, people: list[str], said: str
) -> None:
    """`dispute expire` covers everyone's overdue disputes; it said "N overdue disputes
    resolved for the person", as if for one person, whatever N was."""
    monkeypatch.delenv("CREDO_MASTER_KEY", raising=False)
    _overdue_disputes(data_dir, people, monkeypatch)
    result = CliRunner().invoke(app, ["dispute", "expire", "--data", str(data_dir)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.stdout.strip() == said
    with open_people(data_dir) as p:
        assert p.store.open_disputes() == []


def test_dispute_list_shows_open_disputes_and_a_persons_own(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """There was no `dispute list`: the disputes of a person, or every open one, with the
    member that must answer and the date it must answer by."""
    monkeypatch.delenv("CREDO_MASTER_KEY", raising=False)
    _overdue_disputes(data_dir, ["ZX-1111-0001", "ZX-2222-0002"], monkeypatch)
    every = CliRunner().invoke(app, ["dispute", "list", "--data", str(data_dir)])
    assert every.exit_code == 0, every.output
    rows = [json.loads(x) for x in every.stdout.splitlines() if x.startswith("{")]
    assert len(rows) == 2
    assert {r["member"] for r in rows} == {"bank"}
    assert all(r["status"] == "open" and r["answer_by"] for r in rows)
    mine = CliRunner().invoke(
        app, ["dispute", "list", "--data", str(data_dir), "--national-id", "-",
         "--purpose", "dispute_resolution", "--basis", "request:t-1"],
        input="ZX-1111-0001\n",
    )  # fmt: skip
    assert mine.exit_code == 0, mine.output
    assert len([x for x in mine.stdout.splitlines() if x.startswith("{")]) == 1


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
        with open_people(data_dir) as people:
            people.ledger.submit_one("governance.propose", "operator", body)
            for voter in ("operator", "watch"):
                vote = {"proposal": proposal, "vote": "yes"}
                people.ledger.submit_one("governance.vote", voter, vote)

    adopt("rules-1", DEFAULT_RULES_BYTES.decode())
    with open_people(data_dir) as people:
        people.put_record(
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
