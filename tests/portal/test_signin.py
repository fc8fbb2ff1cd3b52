"""Registering a passkey with an enrolment code and signing in with it, through the portal's
own pages and ceremony calls (a software authenticator stands in for the browser's), and the
cookies that carry the session."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from credo.demo import DemoPerson
from tests._authenticator import SoftAuthenticator
from tests.portal.conftest import ALICE, World, csrf_of, node_of, portal_client

ORIGIN = "http://localhost"


def register(client: TestClient, world: World, device: SoftAuthenticator) -> None:
    code = client.app.state.accounts.invite(world.alice.subject, "operator").code  # type: ignore[attr-defined]
    page = client.get("/register")
    token = csrf_of(page.text)
    step = client.post("/register", data={"csrf": token, "code": code.lower()})
    assert step.status_code == 200
    options = re.search(
        r'<script type="application/json" id="passkey-options">(.*?)</script>', step.text, re.S
    )
    ceremony = re.search(r'data-ceremony="([^"]+)"', step.text)
    assert options
    assert ceremony
    credential = json.loads(device.create(options.group(1)))
    done = client.post(
        "/register/passkey",
        json={"ceremony": ceremony.group(1), "credential": credential},
        headers={"x-csrf-token": token},
    )
    assert done.status_code == 200, done.text
    assert done.json() == {"next": "/?welcome=1"}


def test_register_then_sign_out_and_in_with_the_passkey(
    fresh: tuple[World, TestClient],
) -> None:
    world, client = fresh
    device = SoftAuthenticator("localhost", ORIGIN)
    register(client, world, device)
    cookie = client.cookies.get("credo_session")
    assert cookie
    home = client.get("/")
    assert "form" in home.text
    assert 'action="/signout"' in home.text
    client.post("/signout", data={"csrf": csrf_of(home.text)})
    assert client.get("/score", follow_redirects=False).status_code == 303
    # the old cookie is dead on the server too, not only deleted in this browser
    client.cookies.set("credo_session", cookie)
    assert client.get("/score", follow_redirects=False).status_code == 303
    client.cookies.clear()

    token = re.search(r'data-csrf="([^"]+)"', client.get("/signin").text).group(1)  # type: ignore[union-attr]
    refused = client.post("/signin/options", headers={"x-csrf-token": "forged"})
    assert refused.status_code == 403
    begun = client.post("/signin/options", headers={"x-csrf-token": token}).json()
    assertion = json.loads(device.get(json.dumps(begun["options"])))
    signed = client.post(
        "/signin/passkey",
        json={"ceremony": begun["ceremony"], "credential": assertion},
        headers={"x-csrf-token": token},
    )
    assert signed.status_code == 200, signed.text
    set_cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in set_cookie
    assert "samesite=lax" in set_cookie
    assert "secure" not in set_cookie  # plain HTTP on localhost only
    assert client.get("/score").status_code == 200
    client.cookies.delete("credo_session")  # signed out here; the form token still holds
    replay = client.post(
        "/signin/passkey",
        json={"ceremony": begun["ceremony"], "credential": assertion},
        headers={"x-csrf-token": token},
    )
    assert replay.status_code == 404
    assert replay.json() == {"code": "unknown_ceremony"}
    assert node_of(client).store.is_known(world.alice.subject)


def test_a_passkey_made_for_another_origin_and_a_garbled_body_are_refused(
    fresh: tuple[World, TestClient],
) -> None:
    world, client = fresh
    device = SoftAuthenticator("localhost", "http://evil.example")
    code = client.app.state.accounts.invite(world.alice.subject, "operator").code  # type: ignore[attr-defined]
    token = csrf_of(client.get("/register").text)
    step = client.post("/register", data={"csrf": token, "code": code})
    options = re.search(r'id="passkey-options">(.*?)</script>', step.text, re.S)
    ceremony = re.search(r'data-ceremony="([^"]+)"', step.text)
    assert options
    assert ceremony
    bad = client.post(
        "/register/passkey",
        json={
            "ceremony": ceremony.group(1),
            "credential": json.loads(device.create(options.group(1))),
        },
        headers={"x-csrf-token": token},
    )
    assert bad.status_code == 422
    assert bad.json() == {"code": "passkey_not_verified"}
    assert client.cookies.get("credo_session") is None
    garbage = client.post(
        "/register/passkey", content=b"{not json", headers={"x-csrf-token": token}
    )
    assert garbage.status_code == 400


def test_cookies_are_secure_off_localhost(world: World) -> None:
    from tests.portal.conftest import portal_app

    with TestClient(portal_app(world.root), base_url="https://credo.example") as client:
        r = client.get("/register")
        assert r.status_code == 200
        assert "secure" in r.headers["set-cookie"].lower()
        assert "httponly" in r.headers["set-cookie"].lower()
        assert "samesite=strict" in r.headers["set-cookie"].lower()


def test_the_roster_the_installer_is_given_is_offered_and_signs_in(world: World) -> None:
    """The portal imports no demo code: `credo serve` hands it a demo's roster; without one
    there is nobody to sign in as without a passkey."""
    person = DemoPerson(ALICE, "สมหญิง ใจดี", "th", "scored")
    with portal_client(world.root, roster=[person]) as client:
        page = client.get("/signin")
        assert "สมหญิง ใจดี" in page.text
        signed = client.post(
            "/signin/demo", data={"csrf": csrf_of(page.text), "person": "0"}, follow_redirects=False
        )
        assert signed.status_code == 303
        assert client.cookies.get("credo_session")
    with portal_client(world.root) as client:
        page = client.get("/signin")
        assert "สมหญิง ใจดี" not in page.text
        token = re.search(r'data-csrf="([^"]+)"', page.text)
        assert token
        refused = client.post("/signin/demo", data={"csrf": token.group(1), "person": "0"})
        assert refused.status_code == 400
        assert not client.cookies.get("credo_session")


def test_the_form_token_is_server_issued_in_a_host_cookie(world: World) -> None:
    """Login CSRF: an attacker who plants a form cookie of their choosing (from a sibling
    host, say) and posts the same value was let through by the double-submit check. The
    token is now the portal's own (nonce and HMAC) in a ``__Host-`` cookie; a planted value
    is replaced, so the posted copy no longer matches."""
    from tests.portal.conftest import portal_app

    with TestClient(portal_app(world.root), base_url="https://credo.example") as client:
        page = client.get("/register")
        set_cookie = page.headers["set-cookie"]
        assert set_cookie.startswith("__Host-credo_form=")
        lowered = set_cookie.lower()
        assert "secure" in lowered
        assert "path=/" in lowered
        assert "domain" not in lowered
        token = csrf_of(page.text)
        assert client.cookies.get("__Host-credo_form") == token
        ok = client.post("/register", data={"csrf": token, "code": "AAAA-BBBB-CCCC"})
        assert ok.status_code == 400  # past the token: the code itself is refused
        assert "not valid" in ok.text

        for planted in ("attacker-chosen", token.split(".")[0] + ".forged", "x." * 60):
            client.cookies.clear()
            client.cookies.set("__Host-credo_form", planted, domain="credo.example")
            r = client.post("/register", data={"csrf": planted, "code": "AAAA-BBBB-CCCC"})
            assert r.status_code == 403, planted
            assert "bad_csrf" in r.text or "expired" in r.text
            # and the refusal hands out a token of the portal's own instead
            assert client.cookies.get("__Host-credo_form") != planted


def test_signing_in_again_ends_the_earlier_session(fresh: tuple[World, TestClient]) -> None:
    world, client = fresh
    device = SoftAuthenticator("localhost", ORIGIN)
    register(client, world, device)
    first = client.cookies.get("credo_session")
    assert first
    home = client.get("/")
    csrf = csrf_of(home.text)
    begun = client.post("/signin/options", headers={"x-csrf-token": csrf}).json()
    assertion = json.loads(device.get(json.dumps(begun["options"])))
    again = client.post(
        "/signin/passkey",
        json={"ceremony": begun["ceremony"], "credential": assertion},
        headers={"x-csrf-token": csrf},
    )
    assert again.status_code == 200, again.text
    second = client.cookies.get("credo_session")
    assert second
    assert second != first
    assert client.get("/score").status_code == 200
    client.cookies.set("credo_session", first)  # the earlier session is over on the server
    assert client.get("/score", follow_redirects=False).status_code == 303


def test_code_attempts_and_passkey_ceremonies_are_rate_limited(
    fresh: tuple[World, TestClient],
) -> None:
    world, client = fresh
    token = csrf_of(client.get("/register").text)
    tried = 0
    for _ in range(30):
        r = client.post("/register", data={"csrf": token, "code": "AAAA-BBBB-CCCC"})
        if r.status_code == 429:
            break
        assert r.status_code == 400
        tried += 1
    assert tried == 10  # ten guesses per client in ten minutes
    assert "Too many attempts" in r.text
    # a right code is refused too while the limit holds: guesses are counted, not tried
    code = client.app.state.accounts.invite(world.alice.subject, "operator").code  # type: ignore[attr-defined]
    assert client.post("/register", data={"csrf": token, "code": code}).status_code == 429

    begun = 0
    for _ in range(100):
        r = client.post("/signin/options", headers={"x-csrf-token": token})
        if r.status_code == 429:
            break
        assert r.status_code == 200
        begun += 1
    assert begun == 30  # thirty ceremonies a minute
    assert r.json() == {"code": "too_many_attempts"}
