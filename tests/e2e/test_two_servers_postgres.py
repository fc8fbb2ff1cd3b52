"""Two `credo serve` processes on one PostgreSQL, with data directories holding only their
configuration and keys: people's data (the vault's rows, sign-in state, the signed requests'
nonces) is in the database, so either process serves anyone.

- a person registers a passkey and signs in through one, and goes on through the other;
- a member's signed request accepted by one is refused as a replay by the other;
- a record prepared through one is submitted and read through the other;
- the person's erasure through one is seen by the other (no session, no record, no subject).
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx

from credo.api.httpsig import sign_request
from credo.ledger.dsse import sign_envelope
from credo.ledger.entries import envelope_json
from tests import _postgres
from tests._authenticator import SoftAuthenticator
from tests._people import FAR_FUTURE, NID, key_of
from tests.e2e._server import Server, free_port, make_consortium

PUBLIC_URL = "http://localhost"
MARKER = "two-hosts-one-person-4711"
OWN_FILES = ["config.json", "keys", "master.key"]


def _copy_config_and_keys(source: Path, dest: Path) -> Path:
    """A second API host's data directory: the first's configuration and keys, nothing else."""
    dest.mkdir()
    shutil.copy2(source / "config.json", dest / "config.json")
    shutil.copy2(source / "master.key", dest / "master.key")
    shutil.copytree(source / "keys", dest / "keys")
    return dest


def _signed(
    key_dir: Path, member: str, path: str, body: dict[str, Any]
) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    headers |= sign_request(key_of(key_dir, member), "POST", path, raw)
    return raw, headers


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def _start(root: Path, logs: Path, url: str) -> Server:
    port = free_port()
    server = Server(
        root,
        logs / f"{root.name}.log",
        {"CREDO_PUBLIC_URL": PUBLIC_URL},
        workers=0,
        port=port,
        args=["--db", url, "--advertise", f"http://127.0.0.1:{port}"],
    )
    return server


def test_two_servers_on_one_postgres_serve_the_same_people(
    tmp_path: Path, postgres: _postgres.Server
) -> None:
    url = postgres.fresh_url()
    a_root = make_consortium(tmp_path / "a", url)
    b_root = _copy_config_and_keys(a_root, tmp_path / "b")
    a, b = _start(a_root, tmp_path, url), _start(b_root, tmp_path, url)
    try:
        a.wait_ready()
        b.wait_ready()
        with httpx.Client(timeout=60) as http:
            consent_id = _member_requests(http, a.url, b.url, a_root)
            _person(http, a.url, b.url, a_root, consent_id)
    finally:
        a.stop()
        b.stop()
    for root in (a_root, b_root):  # nothing of people's data in either directory
        assert sorted(p.name for p in root.iterdir()) == OWN_FILES


def _member_requests(http: httpx.Client, a: str, b: str, keys: Path) -> str:
    """The member's side; the consent the bank reads under."""
    prepare = {
        "national_id": NID,
        "category": "finance",
        "type": "loan.repaid",
        "payload": {"note": MARKER},
    }
    raw, headers = _signed(keys, "bank", "/v1/records/prepare", prepare)
    prepared = http.post(f"{a}/v1/records/prepare", content=raw, headers=headers)
    assert prepared.status_code == 200, prepared.text
    replayed = http.post(f"{b}/v1/records/prepare", content=raw, headers=headers)
    assert replayed.status_code == 401, replayed.text
    assert replayed.json()["code"] == "bad_signature"
    assert "already used" in replayed.json()["detail"]

    # Prepared through A (sealed in A's vault), submitted and read through B.
    body = prepared.json()
    env = sign_envelope(
        body["payloadType"], base64.b64decode(body["payload"]), [key_of(keys, "bank")]
    )
    submitted = http.post(f"{b}/v1/entries", json={"entries": [envelope_json(env)]})
    assert submitted.status_code == 200, submitted.text
    consent = {
        "national_id": NID,
        "member": "bank",
        "purpose": "credit_assessment",
        "categories": ["finance"],
        "valid_until": FAR_FUTURE,
    }
    raw, headers = _signed(keys, "operator", "/v1/consents", consent)
    granted = http.post(f"{b}/v1/consents", content=raw, headers=headers)
    assert granted.status_code == 201, granted.text
    read = _read(http, b, keys, granted.json()["consent_id"])
    assert read.status_code == 200, read.text
    assert read.json()["records"][0]["payload"] == {"note": MARKER}
    return str(granted.json()["consent_id"])


def _read(http: httpx.Client, base: str, keys: Path, consent_id: str) -> httpx.Response:
    body = {
        "national_id": NID,
        "purpose": "credit_assessment",
        "basis": {"type": "consent", "id": consent_id},
        "categories": ["finance"],
    }
    raw, headers = _signed(keys, "bank", "/v1/access", body)
    return http.post(f"{base}/v1/access", content=raw, headers=headers)


def _person(http: httpx.Client, a: str, b: str, keys: Path, consent_id: str) -> None:
    invited = subprocess.run(
        ["credo", "person", "invite", "--data", str(keys), "--national-id", NID],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert invited.returncode == 0, invited.stderr
    code = invited.stdout.split()[0]

    # Registered and signed in through A (its ceremony kept in the database)...
    device = SoftAuthenticator("localhost", PUBLIC_URL)
    token = _csrf(http.get(f"{a}/register").text)
    step = http.post(f"{a}/register", data={"csrf": token, "code": code})
    assert step.status_code == 200, step.text
    options = re.search(r'id="passkey-options">(.*?)</script>', step.text, re.S)
    ceremony = re.search(r'data-ceremony="([^"]+)"', step.text)
    assert options
    assert ceremony
    done = http.post(
        f"{b}/register/passkey",  # ...the ceremony begun through A ends through B
        json={
            "ceremony": ceremony.group(1),
            "credential": json.loads(device.create(options.group(1))),
        },
        headers={"x-csrf-token": token},
    )
    assert done.status_code == 200, done.text
    http.post(f"{b}/signout", data={"csrf": _csrf(http.get(f"{b}/").text)})
    assert http.get(f"{a}/score").status_code == 303  # signed out through B: out on A too

    token = re.search(r'data-csrf="([^"]+)"', http.get(f"{a}/signin").text)
    assert token
    begun = http.post(f"{a}/signin/options", headers={"x-csrf-token": token.group(1)}).json()
    signed = http.post(
        f"{a}/signin/passkey",
        json={
            "ceremony": begun["ceremony"],
            "credential": json.loads(device.get(json.dumps(begun["options"]))),
        },
        headers={"x-csrf-token": token.group(1)},
    )
    assert signed.status_code == 200, signed.text
    cookie = http.cookies.get("credo_session")
    assert cookie

    # ...and goes on through B: the session is B's too.
    home = http.get(f"{b}/")
    assert 'action="/signout"' in home.text
    assert http.get(f"{b}/score").status_code == 200
    page = http.get(f"{b}/data")
    assert page.status_code == 200

    # Erased through B; A sees it: no session, no record, no subject.
    erased = http.post(f"{b}/data/erase", data={"csrf": _csrf(page.text), "understood": "yes"})
    assert erased.status_code == 200, erased.text
    http.cookies.set("credo_session", cookie)
    assert http.get(f"{a}/score").status_code == 303
    after = _read(http, a, keys, consent_id)
    # the consent went with the person: the read under it is refused (and logged as such)
    assert (after.status_code, after.json()["code"]) == (403, "unknown_consent"), after.text
    # and the vault in the database no longer knows them, from A's data directory too
    export = subprocess.run(
        [
            "credo",
            "person",
            "export",
            "--data",
            str(keys),
            "--national-id",
            NID,
            "--purpose",
            "subject_access",
            "--basis",
            "request:t-erased",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert export.returncode == 2
    assert "unknown_subject" in export.stderr
