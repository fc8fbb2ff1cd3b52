"""The people's-data commands: record put, consent grant/revoke, person export and erase."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from credo.cli import app
from credo.cli._people import open_people
from tests._people import NID
from tests.portal.conftest import ALICE, BOB, _seed, portal_client, sign_in

READ = ["--purpose", "subject_access", "--basis", "request:t-1"]
"""The operator's reads name a purpose and a basis; the person sees each."""


def credo(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CREDO_MASTER_KEY"}
    return subprocess.run(
        ["credo", *args], capture_output=True, text=True, env=env, input=stdin, timeout=120
    )


def test_put_export_erase(data_dir: Path) -> None:
    d = str(data_dir)
    put = credo(
        "record", "put", "--data", d, "--member", "bank", "--national-id", NID,
        "--category", "finance", "--type", "loan.repaid", "--payload", '{"amount": 250}',
    )  # fmt: skip
    assert put.returncode == 0, put.stderr
    record_id = put.stdout.strip().splitlines()[-1]
    granted = credo(
        "consent", "grant", "--data", d, "--national-id", "-", "--member", "bank",
        "--purpose", "credit_assessment", "--category", "finance", stdin=NID + "\n",
    )  # fmt: skip
    assert granted.returncode == 0, granted.stderr
    consent_id = granted.stdout.strip()
    assert credo("consent", "revoke", "--data", d, "--id", consent_id).returncode == 0

    out = credo("person", "export", "--data", d, "--national-id", NID.lower(), *READ)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert [r["record_id"] for r in doc["records"]] == [record_id]
    assert doc["records"][0]["payload"] == {"amount": 250}
    assert doc["consents"][0]["status"] == "revoked"
    assert NID not in out.stdout
    assert NID.replace("-", "") not in out.stdout

    erased = credo("person", "erase", "--data", d, "--national-id", NID)
    assert erased.returncode == 0, erased.stderr
    gone = credo("person", "export", "--data", d, "--national-id", NID, *READ)
    assert gone.returncode == 2
    assert "unknown_subject" in gone.stderr
    assert credo("verify", "--data", d).returncode == 0


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--category", "astrology", "--type", "x.y"], "unknown_category"),
        (["--category", "health", "--type", "visit.completed"], "sector_not_allowed"),
        (["--national-id", "!!"], "bad_national_id"),
        (["--payload", "{not json"], "bad_payload"),
        (["--payload", json.dumps({"x": "y" * 20_000})], "payload_too_large"),
    ],
)
def test_bad_input_is_a_message_not_a_traceback(data_dir: Path, args: list[str], code: str) -> None:
    base = {
        "--member": "bank",
        "--national-id": NID,
        "--category": "finance",
        "--type": "loan.repaid",
        "--payload": "{}",
    }
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    flat = [x for kv in base.items() for x in kv]
    r = credo("record", "put", "--data", str(data_dir), *flat)
    assert r.returncode == 2
    assert code in r.stderr
    assert "Traceback" not in r.stderr


def test_every_people_command_has_help() -> None:
    for group in ("record", "person", "consent"):
        r = credo(group, "--help")
        assert r.returncode == 0
        assert "Usage" in r.stdout


UNKNOWN_MEMBER_COMMANDS = {
    "record put": [
        "record", "put", "--national-id", NID, "--category", "finance", "--type", "loan.repaid",
        "--payload", "{}",
    ],
    "record retract": ["record", "retract", "--record-id", "0" * 32],
    "gov propose": [
        "gov", "propose", "--id", "p-1", "--action", "retire_member", "--params", '{"id": "bank"}',
    ],
    "gov vote": ["gov", "vote", "--proposal", "p-1"],
    "dispute answer": [
        "dispute", "answer", "--dispute", "0" * 32, "--outcome", "upheld", "--evidence", "ref-1",
    ],
}  # fmt: skip


@pytest.mark.parametrize("command", UNKNOWN_MEMBER_COMMANDS)
@pytest.mark.parametrize("stray_key_file", [False, True], ids=["no_key_file", "stray_key_file"])
def test_an_unknown_member_is_unknown_member_not_a_missing_key_file(
    data_dir: Path, command: str, stray_key_file: bool
) -> None:
    """A member the log does not know is named as such, before DIR/keys is read: with no key
    file (once `bad_key: ... [Errno 2]`) and with a file there that is not a member's."""
    if stray_key_file:
        (data_dir / "keys" / "ghost.pem").write_text("not a key\n")
    args = UNKNOWN_MEMBER_COMMANDS[command]
    r = credo(*args, "--data", str(data_dir), "--member", "ghost")
    assert r.returncode == 2, r.stdout
    said = " ".join(r.stderr.split())
    assert "error (unknown_member): no member 'ghost'" in said, r.stderr
    assert "bad_key" not in said
    assert "Traceback" not in r.stderr


def test_an_operator_export_is_an_access_the_person_sees(tmp_path: Path) -> None:
    """`credo person export` logs the operator's read before printing anything: the person
    sees it in the portal's "Who looked at your data" and in their export, and a refused read
    is logged too and prints nothing. Without a purpose and a basis nothing is read."""
    world = _seed(tmp_path / "data")
    root = str(world.root)
    cli = CliRunner()
    bare = cli.invoke(app, ["person", "export", "--data", root, "--national-id", ALICE])
    assert bare.exit_code != 0
    assert "--purpose" in str(bare.exception)
    with open_people(world.root) as people:
        before = len(people.store.access_of(world.alice.subject))

    done = cli.invoke(app, ["person", "export", "--data", root, "--national-id", ALICE, *READ])
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    mine = [a for a in doc["access"] if a["member"] == "operator"]
    assert len(doc["access"]) == before + 1
    assert mine == [
        {
            "index": mine[0]["index"],
            "at": mine[0]["at"],
            "member": "operator",
            "purpose": "subject_access",
            "basis": {"type": "request", "id": "t-1", "known": False, "legal_reference": None},
            "categories_requested": mine[0]["categories_requested"],
            "categories_granted": mine[0]["categories_requested"],
            "outcome": "granted",
            "reason": "ok",
            "record_ids": world.alice.records,
        }
    ]

    refused = cli.invoke(
        app,
        ["person", "export", "--data", root, "--national-id", ALICE,
         "--purpose", "credit_assessment", "--basis", "request:t-2"],
    )  # fmt: skip
    assert refused.exit_code != 0
    assert "records" not in refused.stdout  # nothing of the person was printed
    with open_people(world.root) as people:
        rows = people.store.access_of(world.alice.subject)
        bob = people.store.access_of(world.bob.subject)
    assert [(a.member, a.outcome, a.reason) for a in rows[-2:]] == [
        ("operator", "granted", "ok"),
        ("operator", "refused", "purpose_not_covered"),
    ]
    assert all(a.member != "operator" for a in bob)  # only the person read is told

    with portal_client(world.root) as client:
        sign_in(client, world.alice.subject)
        page = client.get("/access")
    assert page.status_code == 200
    assert page.text.count("Giving you your own data, as you asked") == 1
    assert page.text.count("Your own request to the operator") == 2
    assert "operator</strong>" in page.text  # named as the operator, like any member


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["score", "--explain"], "score --explain"),
        (["dispute", "list"], "dispute list"),
    ],
)
def test_other_operator_reads_are_accesses_too(
    tmp_path: Path, args: list[str], reason: str
) -> None:
    world = _seed(tmp_path / "data")
    root = str(world.root)
    cli = CliRunner()
    bare = cli.invoke(app, [*args, "--data", root, "--national-id", BOB])
    assert bare.exit_code != 0
    assert reason in str(bare.exception)
    purpose = "dispute_resolution" if args[0] == "dispute" else "subject_access"
    done = cli.invoke(
        app,
        [
            *args,
            "--data",
            root,
            "--national-id",
            BOB,
            "--purpose",
            purpose,
            "--basis",
            "request:t-3",
        ],
    )
    assert done.exit_code == 0, done.output
    with open_people(world.root) as people:
        last = people.store.access_of(world.bob.subject)[-1]
    assert (last.member, last.purpose, last.basis, last.outcome) == (
        "operator",
        purpose,
        "request:t-3",
        "granted",
    )
