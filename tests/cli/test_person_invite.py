"""credo person invite: the operator issues a person's portal enrolment code; credo person
erase forgets the person's sign-in state with the rest."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from credo.cli import _people, app
from credo.errors import InputError
from credo.services.accounts import Accounts
from credo.services.node import DataDir
from tests._authenticator import SoftAuthenticator
from tests._people import NID
from tests.conftest import member_key

CODE = r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}"


@pytest.fixture
def data(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CREDO_MASTER_KEY", raising=False)
    monkeypatch.delenv("CREDO_PUBLIC_URL", raising=False)
    return data_dir


@pytest.fixture
def accounts(data: Path) -> Iterator[Accounts]:
    opened = Accounts.open(DataDir(data), rp_id="localhost", origin="http://localhost:8000")
    yield opened
    opened.close()


def run(*args: str, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(app, list(args), input=stdin)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def invite(data: Path, nid: str = "-") -> tuple[str, str]:
    out = run("person", "invite", "--data", str(data), "--national-id", nid, stdin=NID + "\n")
    code, expiry = out.stdout.strip().splitlines()
    assert re.fullmatch(CODE, code), code
    assert re.fullmatch(r"expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", expiry), expiry
    assert NID not in out.output
    return code, expiry


def test_invite_prints_a_code_the_person_enrols_with(data: Path, accounts: Accounts) -> None:
    code, _ = invite(data)  # the national id from stdin
    ceremony, options = accounts.begin_registration(code)
    device = SoftAuthenticator("localhost", "http://localhost:8000")
    subject = accounts.finish_registration(ceremony, device.create(options))
    with _people.open_people(data) as people:
        assert people.subject_ref(NID) == subject


def test_a_new_invite_supersedes_the_last(data: Path, accounts: Accounts) -> None:
    first, _ = invite(data, NID)
    second, _ = invite(data)
    with pytest.raises(InputError):
        accounts.begin_registration(first)
    accounts.begin_registration(second)


def test_erase_forgets_the_persons_passkeys_and_sessions(data: Path, accounts: Accounts) -> None:
    with _people.open_people(data) as people:
        people.records.put(
            member_key(data, "bank"), "bank", NID, "finance", "loan.repaid", {"amount": 1}, None
        )
    code, _ = invite(data)
    device = SoftAuthenticator("localhost", "http://localhost:8000")
    ceremony, options = accounts.begin_registration(code)
    subject = accounts.finish_registration(ceremony, device.create(options))
    session = accounts.start_session(subject)
    pending, _ = invite(data)
    run("person", "erase", "--data", str(data), "--national-id", "-", stdin=NID + "\n")
    assert accounts.credentials_of(subject) == []
    assert accounts.session(session.token) is None
    with pytest.raises(InputError):
        accounts.begin_registration(pending)
    ceremony, options = accounts.begin_authentication()
    with pytest.raises(Exception, match="not registered"):
        accounts.finish_authentication(ceremony, device.get(options))


def test_erase_of_a_person_with_only_a_code(data: Path, accounts: Accounts) -> None:
    """Somebody enrolled on the portal whom only the code's entry names: the code is on the
    log (naming the operator), so erasure forgets the sign-in state and the vault's keys and
    logs the erasure, as for anyone known."""
    code, _ = invite(data)
    device = SoftAuthenticator("localhost", "http://localhost:8000")
    ceremony, options = accounts.begin_registration(code)
    subject = accounts.finish_registration(ceremony, device.create(options))
    with _people.open_people(data) as people:
        size = people.store.tree_size()
        [entry] = [e.to_json() for e in people.rights.entries_of(subject)]
        assert (entry["kind"], entry["metadata"]["member"]) == ("account.code", "operator")
    done = run("person", "erase", "--data", str(data), "--national-id", NID)
    assert "subject.erase" in done.stderr
    assert accounts.credentials_of(subject) == []
    with _people.open_people(data) as people:
        assert people.subject_ref(NID) is None
        assert people.store.tree_size() == size + 1
    again = CliRunner().invoke(app, ["person", "erase", "--data", str(data), "--national-id", NID])
    assert again.exit_code != 0  # nothing is held any more: unknown_subject, as before


def test_a_bad_national_id_is_a_clear_error(data: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CREDO_MASTER_KEY"}
    done = subprocess.run(
        ["credo", "person", "invite", "--data", str(data), "--national-id", "!!"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "bad_national_id" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_a_recovery_code_and_the_review_of_an_objection(data: Path, accounts: Accounts) -> None:
    """The operator's recovery code (after proofing the person in person), the person's
    objection from their old device, and the operator's review, each on the log."""
    old, new = (SoftAuthenticator("localhost", "http://localhost:8000") for _ in range(2))
    code, _ = invite(data)
    ceremony, options = accounts.begin_registration(code)
    first = accounts.register(ceremony, old.create(options))
    out = run(
        "person",
        "invite",
        "--recovery",
        "--data",
        str(data),
        "--national-id",
        "-",
        stdin=NID + "\n",
    )
    assert "recovery code logged" in out.stderr
    ceremony, options = accounts.begin_registration(out.stdout.splitlines()[0])
    assert accounts.register(ceremony, new.create(options)).state == "pending"
    refused = CliRunner().invoke(
        app, ["person", "review", "--data", str(data), "--national-id", NID, "--decision", "keep"]
    )
    assert refused.exit_code != 0  # nothing to review: the account is not frozen
    with _people.open_people(data) as people:
        accounts.object(people, first.subject)
    assert accounts.frozen(first.subject)
    bad = CliRunner().invoke(
        app, ["person", "review", "--data", str(data), "--national-id", NID, "--decision", "x"]
    )
    assert bad.exit_code != 0
    done = run(
        "person", "review", "--data", str(data), "--national-id", NID, "--decision", "recover"
    )
    assert "account.device" in done.stderr
    assert not accounts.frozen(first.subject)
    states = {p["state"] for p in accounts.credentials_of(first.subject)}
    assert states == {"replaced", "active"}
    with _people.open_people(data) as people:
        logged = [
            (e["kind"], (e["metadata"] or {}).get("code") or (e["metadata"] or {}).get("event"))
            for e in [e.to_json() for e in people.rights.entries_of(first.subject)]
        ]
    assert logged == [
        ("account.code", "enrolment"),
        ("account.code", "recovery"),
        ("account.device", "objected"),
        ("account.device", "recovered"),
    ]
