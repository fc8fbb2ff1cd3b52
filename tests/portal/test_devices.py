"""Your devices, through the portal: a registrar's code for a person who already has a passkey
registers a passkey that opens nothing during the cooling-off; the person sees it on every
page with the code's log entry and issuer, removes it with "this was not me", and approves
the next one from their own passkey. Passkeys and sessions are renamed, removed and ended,
and nobody reaches another person's (404, nothing changes)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from credo.services.accounts import Accounts
from credo.services.node import DataDir, Node, admit_member
from credo.services.people import People
from tests._authenticator import SoftAuthenticator, b64url
from tests._people import key_of, signed_post
from tests.portal.conftest import ALICE, World, _seed, csrf_of, node_of, portal_client

ORIGIN = "http://localhost"
REGISTRY = "Bangrak District Registry"


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[tuple[World, TestClient]]:
    """The portal's two people, and a registry office holding the registrar role."""
    world = _seed(tmp_path / "data")
    node = Node(DataDir(world.root)).start()
    try:
        admit_member(node, "registry", REGISTRY, "government", ["registrar"])
    finally:
        node.close()
    with portal_client(world.root) as client:
        yield world, client


def accounts_of(client: TestClient) -> Accounts:
    accounts: Accounts = client.app.state.accounts  # type: ignore[attr-defined]
    return accounts


def registrar_code(client: TestClient, world: World, national_id: str) -> tuple[str, int]:
    """A code from the registry office's signed API call: the code and its log entry."""
    r = signed_post(
        client,
        key_of(world.root, "registry"),
        "/v1/people/invitations",
        {"national_id": national_id},
    )
    assert r.status_code == 201, r.text
    return r.json()["code"], r.json()["log_index"]


def register(client: TestClient, code: str, device: SoftAuthenticator) -> dict[str, str]:
    """Register a passkey through the portal's pages, as passkey.js would; the JSON answer."""
    token = csrf_of(client.get("/register").text)
    step = client.post("/register", data={"csrf": token, "code": code})
    assert step.status_code == 200, step.text
    options = re.search(r'id="passkey-options">(.*?)</script>', step.text, re.S)
    ceremony = re.search(r'data-ceremony="([^"]+)"', step.text)
    assert options
    assert ceremony
    done = client.post(
        "/register/passkey",
        json={
            "ceremony": ceremony.group(1),
            "credential": json.loads(device.create(options.group(1))),
        },
        headers={"x-csrf-token": token},
    )
    assert done.status_code == 200, done.text
    answer: dict[str, str] = done.json()
    return answer


def passkey_sign_in(client: TestClient, device: SoftAuthenticator) -> tuple[int, dict[str, str]]:
    """Sign in with ``device`` in a browser of its own (no session cookie)."""
    client.cookies.clear()
    token = re.search(r'data-csrf="([^"]+)"', client.get("/signin").text)
    assert token
    headers = {"x-csrf-token": token.group(1)}
    begun = client.post("/signin/options", headers=headers).json()
    signed = client.post(
        "/signin/passkey",
        json={
            "ceremony": begun["ceremony"],
            "credential": json.loads(device.get(json.dumps(begun["options"]))),
        },
        headers=headers,
    )
    return signed.status_code, signed.json()


def post(client: TestClient, path: str, page: str = "/devices", **fields: str) -> int:
    """Post a devices form with the CSRF token of ``page``; the status (303 is done)."""
    token = csrf_of(client.get(page).text)
    r = client.post(path, data={"csrf": token, **fields}, follow_redirects=False)
    return r.status_code


def passkey_id(device: SoftAuthenticator, n: int = -1) -> str:
    return b64url(device.credentials[n].id)


def test_a_registrars_passkey_waits_is_seen_refused_and_an_approved_one_works(
    registry: tuple[World, TestClient],
) -> None:
    world, client = registry
    people = People.open(node_of(client))
    phone = SoftAuthenticator("localhost", ORIGIN)
    own = accounts_of(client).issue(people, world.alice.subject, "operator")
    assert register(client, own.code, phone) == {"next": "/?welcome=1"}  # no passkey yet: at once
    alice = client.cookies.get("credo_session")
    assert alice

    # the registrar issues a code for Alice and registers a passkey of its own with it
    client.cookies.clear()
    code, code_index = registrar_code(client, world, ALICE)
    intruder = SoftAuthenticator("localhost", ORIGIN)
    assert register(client, code, intruder) == {"next": "/register/pending"}
    assert client.cookies.get("credo_session") is None  # registering it signed nobody in
    status, body = passkey_sign_in(client, intruder)
    assert (status, body) == (401, {"code": "passkey_pending"})
    assert client.cookies.get("credo_session") is None
    assert client.get("/score", follow_redirects=False).status_code == 303
    assert client.get("/data/export.json", follow_redirects=False).status_code == 303

    # Alice sees the waiting passkey on every page, the code's log entry and its issuer
    client.cookies.clear()
    client.cookies.set("credo_session", alice)
    for page in ("/", "/records", "/access"):
        html = client.get(page).text
        assert "pending-wrap" in html
        assert REGISTRY in html
        assert f'action="/devices/passkeys/{passkey_id(intruder)}/refuse"' in html
    devices = client.get("/devices").text
    assert f"#{code_index}" in devices
    assert REGISTRY in devices
    export = client.get("/data/export.json").json()
    [logged] = [e for e in export["entries"] if e["index"] == code_index]
    assert (logged["kind"], logged["metadata"]["member"]) == ("account.code", "registry")
    assert logged["at"]

    # "this was not me": the passkey goes for good and the attempt is logged
    assert post(client, f"/devices/passkeys/{passkey_id(intruder)}/refuse", page="/") == 303
    status, body = passkey_sign_in(client, intruder)
    assert (status, body["code"]) == (401, "unknown_passkey")
    client.cookies.set("credo_session", alice)
    assert "pending-wrap" not in client.get("/").text
    events = [
        e
        for e in client.get("/data/export.json").json()["entries"]
        if e["kind"] == "account.device"
    ]
    assert [e["metadata"]["event"] for e in events] == ["refused"]
    assert events[0]["metadata"]["code_id"] == logged["metadata"]["code_id"]
    [refused] = [
        p
        for p in accounts_of(client).credentials_of(world.alice.subject)
        if p["state"] == "refused"
    ]
    assert refused["code"]["issued_by"] == "registry"  # still listed, with its code and registrar

    # a new device of Alice's own, approved from her passkey's session, works at once
    code, _ = registrar_code(client, world, ALICE)
    client.cookies.clear()
    laptop = SoftAuthenticator("localhost", ORIGIN)
    assert register(client, code, laptop) == {"next": "/register/pending"}
    assert passkey_sign_in(client, laptop)[0] == 401
    client.cookies.clear()
    client.cookies.set("credo_session", alice)
    assert post(client, f"/devices/passkeys/{passkey_id(laptop)}/approve") == 303
    client.cookies.clear()
    status, body = passkey_sign_in(client, laptop)
    assert (status, body) == (200, {"next": "/"})
    assert client.get("/score").status_code == 200


def test_approval_needs_a_session_signed_in_with_a_working_passkey(
    registry: tuple[World, TestClient],
) -> None:
    """The demo's list (or a stolen session without a passkey) cannot approve a device."""
    world, client = registry
    people = People.open(node_of(client))
    accounts = accounts_of(client)
    phone, other = SoftAuthenticator("localhost", ORIGIN), SoftAuthenticator("localhost", ORIGIN)
    register(client, accounts.issue(people, world.alice.subject, "operator").code, phone)
    client.cookies.clear()
    register(client, registrar_code(client, world, ALICE)[0], other)
    session = accounts.start_session(world.alice.subject)  # not a passkey's session
    client.cookies.set("credo_session", session.token)
    assert post(client, f"/devices/passkeys/{passkey_id(other)}/approve") == 403
    assert "/approve" not in client.get("/devices").text
    assert post(client, "/devices/link") == 403
    [waiting] = accounts.pending(world.alice.subject)
    assert waiting["id"] == passkey_id(other)


def test_rename_remove_end_sessions_and_the_last_passkey_asks_first(
    registry: tuple[World, TestClient],
) -> None:
    world, client = registry
    people = People.open(node_of(client))
    accounts = accounts_of(client)
    phone = SoftAuthenticator("localhost", ORIGIN)
    register(client, accounts.issue(people, world.alice.subject, "operator").code, phone)
    here = client.cookies.get("credo_session")
    elsewhere = accounts.start_session(
        world.alice.subject, user_agent="Mozilla/5.0 (Linux; Android 14) Firefox/130.0"
    )

    assert (
        post(client, f"/devices/passkeys/{passkey_id(phone)}/rename", name="  My   phone ") == 303
    )
    page = client.get("/devices").text
    assert "My phone" in page
    assert "Firefox on Android" in page
    assert post(client, f"/devices/passkeys/{passkey_id(phone)}/rename", name="a\u202eb") == 400
    [named] = accounts.credentials_of(world.alice.subject)
    assert named["name"] == "My phone"

    # the device link: a code made here adds a passkey that works at once
    token = csrf_of(client.get("/devices").text)
    linked = client.post("/devices/link", data={"csrf": token})
    code = re.search(r'id="device-code">([^<]+)<', linked.text)
    assert code
    assert f"/register?code={code.group(1)}" in linked.text
    laptop = SoftAuthenticator("localhost", ORIGIN)
    client.cookies.clear()
    assert register(client, code.group(1), laptop) == {"next": "/?welcome=1"}
    laptop_session = client.cookies.get("credo_session")
    client.cookies.clear()
    client.cookies.set("credo_session", here)
    [added] = [
        p for p in accounts.credentials_of(world.alice.subject) if p["id"] == passkey_id(laptop)
    ]
    assert (added["state"], added["code"]["kind"]) == ("active", "device")

    # end one session, then all others
    assert post(client, f"/devices/sessions/{elsewhere.id}/end") == 303
    assert accounts.session(elsewhere.token) is None
    assert post(client, "/devices/sessions/end-others") == 303
    assert accounts.session(laptop_session) is None  # type: ignore[arg-type]
    assert client.get("/devices").status_code == 200  # this one lives

    # removing a passkey that is not the last is direct; the last asks what is lost
    assert post(client, f"/devices/passkeys/{passkey_id(laptop)}/remove") == 303
    token = csrf_of(client.get("/devices").text)
    ask = client.post(f"/devices/passkeys/{passkey_id(phone)}/remove", data={"csrf": token})
    assert ask.status_code == 200
    assert 'name="confirm" value="yes"' in ask.text
    states = {p["id"]: p["state"] for p in accounts.credentials_of(world.alice.subject)}
    assert states[passkey_id(phone)] == "active"  # not yet
    done = client.post(
        f"/devices/passkeys/{passkey_id(phone)}/remove",
        data={"csrf": token, "confirm": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert [p["state"] for p in accounts.credentials_of(world.alice.subject)] == [
        "removed",
        "removed",
    ]
    assert client.get("/devices", follow_redirects=False).status_code == 303  # signed out
    assert passkey_sign_in(client, phone)[1]["code"] == "unknown_passkey"


def test_another_persons_passkey_or_session_is_not_found_and_nothing_changes(
    registry: tuple[World, TestClient],
) -> None:
    world, client = registry
    people = People.open(node_of(client))
    accounts = accounts_of(client)
    phone = SoftAuthenticator("localhost", ORIGIN)
    register(client, accounts.issue(people, world.alice.subject, "operator").code, phone)
    pending = SoftAuthenticator("localhost", ORIGIN)
    client.cookies.clear()
    register(client, registrar_code(client, world, ALICE)[0], pending)
    alice_session = accounts.start_session(world.alice.subject)
    before = (
        accounts.credentials_of(world.alice.subject),
        accounts.sessions_of(world.alice.subject),
    )

    bob_phone = SoftAuthenticator("localhost", ORIGIN)
    client.cookies.clear()
    register(client, accounts.issue(people, world.bob.subject, "operator").code, bob_phone)
    for path, fields in [
        (f"/devices/passkeys/{passkey_id(phone)}/rename", {"name": "mine now"}),
        (f"/devices/passkeys/{passkey_id(phone)}/remove", {"confirm": "yes"}),
        (f"/devices/passkeys/{passkey_id(pending)}/approve", {}),
        (f"/devices/passkeys/{passkey_id(pending)}/refuse", {}),
        (f"/devices/sessions/{alice_session.id}/end", {}),
        ("/devices/passkeys/AAAA/remove", {}),
        ("/devices/sessions/nosuchsession/end", {}),
    ]:
        assert post(client, path, **fields) == 404, path
    assert (
        accounts.credentials_of(world.alice.subject),
        accounts.sessions_of(world.alice.subject),
    ) == before
    assert accounts.session(alice_session.token) is not None
    assert [p["id"] for p in accounts.pending(world.alice.subject)] == [passkey_id(pending)]
    logged = {
        e["kind"] for e in [e.to_json() for e in people.rights.entries_of(world.alice.subject)]
    }
    assert "account.device" not in logged  # no refusal was logged in Alice's name
    page = client.get("/devices").text  # Bob's page lists his passkey only
    assert passkey_id(bob_phone) in page
    assert passkey_id(phone) not in page
