"""`--national-id -` reads the id from standard input (out of the shell history and `ps`) on
every command that takes a national id, through the one option in credo.cli._people."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from credo.cli import _people, app
from credo.services.node import DataDir, Node
from credo.services.people import People
from tests._people import NID
from tests.cli.test_cli import ALL_COMMANDS
from tests.conftest import adopt_default_rules, member_key

STDIN = NID + "\n"

READ = ["--purpose", "subject_access", "--basis", "request:t-1"]
"""The operator's reads name a purpose and a basis; the person sees each."""


@pytest.fixture
def data(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The consortium with the default rules adopted and one record held about NID."""
    monkeypatch.delenv("CREDO_MASTER_KEY", raising=False)
    ledger = Node(DataDir(data_dir)).start()
    try:
        adopt_default_rules(ledger)
    finally:
        ledger.close()
    return data_dir


@pytest.fixture
def people(data: Path) -> Iterator[Callable[[], People]]:
    """Opens the data directory's People afresh (after the command under test has run)."""
    opened: list[tuple[Node, People]] = []

    def open_people() -> People:
        ledger = Node(DataDir(data)).start()
        p = People.open(ledger)
        opened.append((ledger, p))
        return p

    yield open_people
    for ledger, p in opened:
        p.close()
        ledger.close()


def run(*args: str, stdin: str | None = STDIN) -> Result:
    result = CliRunner().invoke(app, list(args), input=stdin)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def put_record(data: Path) -> str:
    with _people.open_people(data) as p:
        record_id, _ = p.records.put(
            member_key(data, "bank"), "bank", NID, "finance", "loan.repaid", {"amount": 1}, None
        )
    return record_id


def subject(people: Callable[[], People]) -> str:
    ref = people().vault.subject_ref(NID)
    assert ref is not None, "nothing is held about NID: the id was not read from stdin"
    return ref


def test_record_put_reads_the_national_id_from_stdin(
    data: Path, people: Callable[[], People]
) -> None:
    done = run(
        "record", "put", "--data", str(data), "--member", "bank", "--national-id", "-",
        "--category", "finance", "--type", "loan.repaid", "--payload", "{}",
    )  # fmt: skip
    record_id = done.stdout.strip().splitlines()[-1]
    assert [r.record_id for r in people().store.records_of(subject(people))] == [record_id]


def test_person_export_reads_the_national_id_from_stdin(data: Path) -> None:
    record_id = put_record(data)
    doc = json.loads(
        run("person", "export", "--data", str(data), "--national-id", "-", *READ).stdout
    )
    assert [r["record_id"] for r in doc["records"]] == [record_id]


def test_person_erase_reads_the_national_id_from_stdin(
    data: Path, people: Callable[[], People]
) -> None:
    put_record(data)
    run("person", "erase", "--data", str(data), "--national-id", "-")
    assert people().vault.subject_ref(NID) is None


def test_consent_grant_reads_the_national_id_from_stdin(
    data: Path, people: Callable[[], People]
) -> None:
    done = run(
        "consent", "grant", "--data", str(data), "--national-id", "-", "--member", "bank",
        "--purpose", "credit_assessment", "--category", "finance",
    )  # fmt: skip
    consent_id = done.stdout.strip()
    assert [c.id for c in people().store.consents_of(subject(people))] == [consent_id]


def test_programme_enrol_reads_the_national_id_from_stdin(
    data: Path, people: Callable[[], People]
) -> None:
    run("programme", "enrol", "--data", str(data), "--national-id", "-")
    assert people().store.is_enrolled(subject(people))


def test_programme_withdraw_reads_the_national_id_from_stdin(
    data: Path, people: Callable[[], People]
) -> None:
    run("programme", "enrol", "--data", str(data), "--national-id", NID, stdin=None)
    run("programme", "withdraw", "--data", str(data), "--national-id", "-")
    assert not people().store.is_enrolled(subject(people))


@pytest.mark.parametrize("explain", [False, True], ids=["score", "explain"])
def test_score_reads_the_national_id_from_stdin(data: Path, explain: bool) -> None:
    put_record(data)
    run("programme", "enrol", "--data", str(data), "--national-id", NID, stdin=None)
    flags = ["--explain"] if explain else []
    doc = json.loads(run("score", "--data", str(data), "--national-id", "-", *flags, *READ).stdout)
    assert doc["score"] > 300  # the default rules' base is 300; the repaid loan earns points


def test_dispute_open_reads_the_national_id_from_stdin(
    data: Path, people: Callable[[], People]
) -> None:
    record_id = put_record(data)
    done = run(
        "dispute", "open", "--data", str(data), "--national-id", "-", "--record", record_id,
        "--statement", "I repaid this loan early",
    )  # fmt: skip
    open_disputes = people().store.open_disputes()
    assert [(d.id, d.record_id) for d in open_disputes] == [(done.stdout.strip(), record_id)]


NATIONAL_ID_COMMANDS = [
    path
    for path, command in ALL_COMMANDS
    if any("--national-id" in param.opts for param in getattr(command, "params", []))
]


def test_the_walk_finds_every_national_id_command() -> None:
    assert {" ".join(path) for path in NATIONAL_ID_COMMANDS} == {
        "record put", "person export", "person erase", "consent grant", "score",
        "programme enrol", "programme withdraw", "dispute open", "access read", "dispute list",
        "person invite", "person review",
    }  # fmt: skip


@pytest.mark.parametrize("path", NATIONAL_ID_COMMANDS, ids=" ".join)
def test_every_national_id_option_reads_stdin_through_the_shared_helper(
    path: tuple[str, ...],
) -> None:
    """With '-' and nothing on stdin, the shared helper's message, before anything else."""
    result = CliRunner().invoke(app, [*path, "--national-id", "-"], input="")
    assert result.exit_code == 2, result.output
    said = " ".join(re.sub("[\u2500-\u257f]", " ", result.output).split())  # no panel lines
    assert "'-' reads the national id from standard input, which was empty" in said
