"""`credo dispute`: list a person's or every open dispute; expire the overdue ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from credo.cli import app
from credo.cli._people import open_people
from credo.services.node import DataDir, Node
from credo.services.people import People
from credo.services.programme import Programme
from tests._clock import SetClock
from tests.conftest import member_key


def _overdue_disputes(data: Path, national_ids: list[str]) -> None:
    """One record and one dispute per person, written 40 days ago by a node whose one clock
    says so (the default rules give the member 30 days to answer)."""
    then = (datetime.now(UTC) - timedelta(days=40)).timestamp()
    node = Node(DataDir(data), clock=SetClock(then)).start()
    try:
        people = People.open(node)
        for nid in national_ids:
            record_id, _ = people.records.put(
                member_key(data, "bank"), "bank", nid, "finance", "loan.repaid", {}
            )
            Programme(people).open_dispute(nid, record_id, "not my loan")
    finally:
        node.close()


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
    _overdue_disputes(data_dir, people)
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
    _overdue_disputes(data_dir, ["ZX-1111-0001", "ZX-2222-0002"])
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
