"""A member's commands from its own host: `credo --url` against a running server, from a
directory without the operator's data, signing with the member's own key file; and the
README's member quick start, run as written."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from credo.cli._people import open_people
from credo.client import MemberClient
from credo.errors import EntryRejected, VerificationError
from credo.ledger.entries import public_key_b64
from credo.ledger.keys import MemberKey
from credo.services.programme import Programme
from credo.tlog import NoteSigner
from tests.e2e._server import Server, make_consortium

README = Path(__file__).parent.parent.parent / "README.md"
NID = "TH-1103700099999"


@pytest.fixture
def member_host(tmp_path: Path) -> Iterator[tuple[Server, Path, str]]:
    """A running server; a member host directory holding only bank's key; a consent id."""
    data = make_consortium(tmp_path / "data")
    host = tmp_path / "bank-host"
    host.mkdir()
    shutil.copy(data / "keys" / "bank.pem", host / "member.pem")
    server = Server(data, tmp_path / "serve.log")
    try:
        server.wait_ready()
        operator = MemberClient(server.url, "operator", MemberKey.load(data / "keys/operator.pem"))
        with operator:
            granted = operator.signed("POST", "/v1/consents", {
                "national_id": NID, "member": "bank", "purpose": "credit_assessment",
                "categories": ["finance"], "valid_until": "2099-01-01T00:00:00Z",
            })  # fmt: skip
        yield server, host, str(granted["consent_id"])
    finally:
        server.stop()


def _run(host: Path, script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A shell on the member's host: no operator data directory anywhere in reach."""
    base = {k: v for k, v in __import__("os").environ.items() if not k.startswith("CREDO_")}
    return subprocess.run(
        ["bash", "-c", script],
        cwd=host,
        env=base | {"CREDO_DATA": str(host / "no-such-dir")} | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_credo_url_commands_work_without_the_operators_data(
    member_host: tuple[Server, Path, str],
) -> None:
    server, host, consent = member_host
    env = {"CREDO_URL": server.url, "CREDO_KEY": "member.pem", "CREDO_MEMBER": "bank", "NID": NID}
    put = _run(host, 'echo "$NID" | credo record put --member bank --url "$CREDO_URL" '
               '--key "$CREDO_KEY" --national-id - --category finance --type loan.repaid '
               "--payload '{\"amount\": 1200}'", env)  # fmt: skip
    assert put.returncode == 0, put.stderr
    record_id = put.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f]{32}", record_id)
    read = _run(host, 'echo "$NID" | credo access read --national-id - --purpose '
                f"credit_assessment --basis consent:{consent} --category finance", env)  # fmt: skip
    assert read.returncode == 0, read.stderr
    answer = json.loads(read.stdout)
    assert [r["record_id"] for r in answer["records"]] == [record_id]
    assert answer["records"][0]["payload"] == {"amount": 1200}
    got = _run(host, f"credo entry get --index {answer['access_index']}", env)
    assert got.returncode == 0, got.stderr
    assert "proof checked" in got.stdout + got.stderr
    with open_people(server.data) as people:  # the person disputes it, at the operator
        dispute = Programme(people).open_dispute(NID, record_id, "not my loan")
    answered = _run(host, f"credo dispute answer --url $CREDO_URL --key $CREDO_KEY --member bank "
                    f"--dispute {dispute} --outcome upheld --evidence checked", env)  # fmt: skip
    assert answered.returncode == 0, answered.stderr
    retracted = _run(host, f"credo record retract --url $CREDO_URL --key $CREDO_KEY "
                     f"--member bank --record-id {record_id}", env)  # fmt: skip
    assert retracted.returncode == 0, retracted.stderr
    assert "retracted" in retracted.stdout
    refused = _run(host, "credo attest --file member.pem --type diploma", env)  # bank: no issuer
    assert refused.returncode == 2
    assert "role_not_allowed" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_readme_member_quick_start_runs_as_written(
    member_host: tuple[Server, Path, str], tmp_path: Path
) -> None:
    """The block's first line points at an example server; everything after it runs as
    written, against this test's server, as "first-bank", newly admitted with its own key."""
    server, host, _ = member_host
    key = MemberKey.generate()
    key.save(host / "member.pem.new")
    (host / "member.pem.new").replace(host / "member.pem")
    (host / "diploma.pdf").write_bytes(b"%PDF- a diploma")
    found = re.search(r"<!-- member quick start -->\n```sh\n(.*?)\n```", README.read_text(), re.S)
    assert found, "README.md has no member quick start"
    first, rest = found.group(1).split("\n", 1)
    assert first.startswith("export CREDO_URL=")
    operator = MemberClient(
        server.url, "operator", MemberKey.load(tmp_path / "data/keys/operator.pem")
    )
    with operator:
        operator.submit("member.admit", {
            "id": "first-bank", "name": "First Bank", "sector": "bank",
            "public_key": public_key_b64(key), "roles": ["issuer", "recorder", "reader"],
        })  # fmt: skip
        consent = operator.signed("POST", "/v1/consents", {
            "national_id": NID, "member": "first-bank", "purpose": "credit_assessment",
            "categories": ["finance"], "valid_until": "2099-01-01T00:00:00Z",
        })["consent_id"]  # fmt: skip
    env = {"CREDO_URL": server.url, "CREDO_MEMBER": "first-bank", "CREDO_KEY": "member.pem",
           "NID": NID, "CONSENT_ID": str(consent)}  # fmt: skip
    done = _run(host, "set -e\n" + rest, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "attested at log index" in done.stdout
    assert '"records"' in done.stdout


def test_the_client_refuses_an_entry_whose_proof_does_not_verify(
    member_host: tuple[Server, Path, str],
) -> None:
    """The client checks the inclusion proof itself: a server that serves a wrong proof, or
    a checkpoint signed by another key than the pinned one, is caught."""
    server, host, _ = member_host
    with MemberClient(server.url, "bank", MemberKey.load(host / "member.pem")) as client:
        logged = client.entry(1)
        assert logged.size > 1
        with pytest.raises(EntryRejected) as twice:
            client.submit_envelope(json.loads(logged.entry))  # already on the log
        assert twice.value.code  # a refusal with a code, not a crash
    other = NoteSigner("credo.test/log", MemberKey.generate().private_key).verifier_key()
    pinned = MemberClient(server.url, "bank", MemberKey.generate(), log_vkey=other)
    with pinned, pytest.raises(VerificationError):
        pinned.entry(1)
