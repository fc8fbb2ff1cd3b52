"""Your devices in a real browser (Debian's Chromium through Playwright, against `credo serve`).

With JavaScript: Alice registers a passkey with an enrolment code (Chromium's virtual
authenticator), then a second code is used on another browser: that passkey waits, cannot
sign in and says why; Alice sees it on her home page with the code's issuer and removes it
with "this was not me"; she renames her passkey, makes a link for a new device and signs out
everywhere else. Without JavaScript: Bob (the demo's list) renames and removes his passkeys
(the last one only after a page saying what is lost), ends another session, and gets a 404
for Alice's passkey and session, which stay as they were. The devices page passes axe in
every language.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from credo.portal import i18n
from credo.services.accounts import Accounts
from credo.services.node import DataDir
from tests._authenticator import SoftAuthenticator
from tests.e2e._browser import demo_world, new_page
from tests.e2e._server import Server, free_port
from tests.e2e.test_portal_browser import SHOTS, add_authenticator, serious
from tests.portal.conftest import ALICE, World

pytestmark = pytest.mark.slow

CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")


def tr(code: str, message: str) -> str:
    return i18n.translations(code).gettext(message)


class Portal:
    def __init__(self, world: World, server: Server, url: str) -> None:
        self.world = world
        self.server = server
        self.url = url

    def invite(self, national_id: str) -> str:
        """A code from `credo person invite`, which logs it (naming the operator)."""
        done = subprocess.run(
            ["credo", "person", "invite", "--data", str(self.world.root), "--national-id", "-"],
            input=national_id,
            capture_output=True,
            text=True,
            check=True,
        )
        found = CODE.search(done.stdout)
        assert found, done.stdout
        assert "account.code" in done.stderr
        return found.group(0)

    def accounts(self) -> Accounts:
        return Accounts.open(DataDir(self.world.root), rp_id="localhost", origin=self.url)


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    root = tmp_path_factory.mktemp("devices") / "data"
    world = demo_world(root)
    port = free_port()
    url = f"http://localhost:{port}"
    # Bob has two passkeys before the server starts: a phone, then a tablet added from it
    accounts = Accounts.open(DataDir(root), rp_id="localhost", origin=url)
    try:
        phone, tablet = SoftAuthenticator("localhost", url), SoftAuthenticator("localhost", url)
        ceremony, options = accounts.begin_registration(
            accounts.invite(world.bob.subject, "operator").code
        )
        added = accounts.register(ceremony, phone.create(options))
        session = accounts.start_session(world.bob.subject, credential=added.credential)
        ceremony, options = accounts.begin_registration(accounts.device_link(session).code)
        assert accounts.register(ceremony, tablet.create(options)).state == "active"
        accounts.end_session(session.token)
    finally:
        accounts.close()
    server = Server(
        root, root.parent / "serve.log", {"CREDO_PUBLIC_URL": url}, workers=0, port=port
    )
    try:
        server.wait_ready()
        yield Portal(world, server, url)
    finally:
        server.stop()


def sign_in_with_passkey(page: Any, base: str) -> None:
    page.goto(f"{base}/signin")
    page.locator("#passkey-go").click()
    page.wait_for_url(f"{base}/")


def test_a_waiting_passkey_is_refused_and_devices_are_managed_with_javascript(
    portal: Portal, browser: Any
) -> None:
    base = portal.url
    page = new_page(browser, locale="en-GB")
    add_authenticator(page)
    page.goto(f"{base}/register")
    page.fill("#code", portal.invite(ALICE))
    page.locator("main form button[type=submit]").click()
    page.locator("#passkey-go").click()
    page.wait_for_url(re.compile(r"/\?welcome=1$"))

    # somebody else holds a second code for Alice and registers a passkey with it
    other = new_page(browser, locale="en-GB")
    add_authenticator(other)
    other.goto(f"{base}/register")
    other.fill("#code", portal.invite(ALICE))
    other.locator("main form button[type=submit]").click()
    other.locator("#passkey-go").click()
    other.wait_for_url(f"{base}/register/pending")
    assert "72" in other.inner_text("main")
    other.goto(f"{base}/signin")
    other.locator("#passkey-go").click()
    error = other.locator("#passkey-error")
    error.wait_for(state="visible")
    assert "still waiting" in error.inner_text()
    other.goto(f"{base}/score")
    assert other.url == f"{base}/signin"  # nothing opens

    # Alice's home page shows it, with its issuer; one tap removes it
    page.goto(f"{base}/")
    banner = page.locator(".pending-wrap")
    assert "The consortium's operator" in banner.inner_text()  # who issued the code
    banner.locator("button", has_text="This was not me").click()
    page.wait_for_url(f"{base}/devices?done=refused")
    assert page.locator(".pending-wrap").count() == 0
    assert page.locator("li.passkey.state-refused").count() == 1
    codes = page.locator("ul.codes li")  # from the log: both codes, and the refusal
    assert codes.filter(has_text="Enrolment code").count() == 2
    assert codes.filter(has_text="You refused a new passkey").count() == 1
    other.goto(f"{base}/signin")
    other.locator("#passkey-go").click()
    other.locator("#passkey-error").wait_for(state="visible")
    assert "not registered" in other.locator("#passkey-error").inner_text()
    other.context.close()

    # rename, a link for a new device, and signing out everywhere else
    mine = page.locator("li.passkey.state-active")
    mine.locator("summary").click()
    mine.locator("input[name=name]").fill("Alice's phone")
    mine.locator("button", has_text="Rename").click()
    page.wait_for_url(f"{base}/devices?done=renamed")
    assert "Alice's phone" in page.locator("li.passkey.state-active").inner_text()
    page.locator("form[action='/devices/link'] button").click()
    assert CODE.fullmatch(page.inner_text("#device-code").strip())
    assert "/register?code=" in page.inner_text("#device-link")

    elsewhere = new_page(browser, locale="en-GB")
    elsewhere.goto(f"{base}/signin")
    elsewhere.locator('button.person[value="0"]').click()  # Alice again, from the demo list
    elsewhere.wait_for_url(f"{base}/")
    page.goto(f"{base}/devices")
    assert page.locator("li.session").count() == 2
    page.locator("form[action='/devices/sessions/end-others'] button").click()
    page.wait_for_url(f"{base}/devices?done=ended_others")
    assert page.locator("li.session").count() == 1
    elsewhere.goto(f"{base}/score")
    assert elsewhere.url == f"{base}/signin"
    elsewhere.context.close()
    page.context.close()


def test_passkeys_and_sessions_without_javascript_and_nobody_elses(
    portal: Portal, browser: Any
) -> None:
    base = portal.url
    accounts = portal.accounts()
    try:
        alice_before = accounts.credentials_of(portal.world.alice.subject)
        alice_session = accounts.start_session(portal.world.alice.subject)
        bob_elsewhere = accounts.start_session(
            portal.world.bob.subject, user_agent="Firefox/1 Android"
        )
    finally:
        accounts.close()
    page = new_page(browser, locale="en-GB", javascript=False)
    page.goto(f"{base}/signin")
    page.locator('button.person[value="1"]').click()  # Bob, from the demo list
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/devices")
    assert page.locator("li.passkey.state-active").count() == 2

    first = page.locator("li.passkey").first
    first.locator("summary").click()
    first.locator("input[name=name]").fill("Tablet")
    first.locator("button", has_text="Rename").click()
    page.wait_for_url(f"{base}/devices?done=renamed")
    assert page.locator("li.passkey", has_text="Tablet").count() == 1

    # the other session, ended from here
    page.locator("li.session", has_text="Firefox on Android").locator("button").click()
    page.wait_for_url(f"{base}/devices?done=ended")
    assert page.locator("li.session").count() == 1

    # another person's passkey and session: 404, and nothing changes
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    for path in (
        f"/devices/passkeys/{alice_before[0]['id']}/remove",
        f"/devices/passkeys/{alice_before[0]['id']}/rename",
        f"/devices/sessions/{alice_session.id}/end",
    ):
        r = page.request.post(f"{base}{path}", form={"csrf": csrf, "name": "x", "confirm": "yes"})
        assert r.status == 404, path
    accounts = portal.accounts()
    try:
        assert accounts.credentials_of(portal.world.alice.subject) == alice_before
        assert accounts.session(alice_session.token) is not None
        assert accounts.session(bob_elsewhere.token) is None
    finally:
        accounts.close()

    # remove one passkey, then the last: a page first says what is lost
    tablet = page.locator("li.passkey", has_text="Tablet")
    tablet.locator("summary").click()
    tablet.locator("button", has_text="Remove this passkey").click()
    page.wait_for_url(f"{base}/devices?done=removed")
    last = page.locator("li.passkey.state-active")
    last.locator("summary").click()
    last.locator("button", has_text="Remove this passkey").click()
    assert page.locator("h1").inner_text() == "Remove your last passkey?"
    assert "registry office" in page.inner_text("main")
    page.locator("a", has_text="Keep it").click()
    assert page.locator("li.passkey.state-active").count() == 1
    last = page.locator("li.passkey.state-active")
    last.locator("summary").click()
    last.locator("button", has_text="Remove this passkey").click()
    page.locator("button", has_text="Remove my last passkey").click()
    page.wait_for_url(f"{base}/devices?done=removed")
    assert page.locator("li.passkey.state-removed").count() == 2  # both still listed
    page.context.close()


def test_the_devices_pages_read_in_every_language_and_pass_axe(
    portal: Portal, browser: Any
) -> None:
    """The devices page, the waiting-passkey banner and the last passkey's warning, in every
    language: translated, screenshotted (build/portal-screenshots) and free of serious axe
    violations."""
    from axe_playwright_python.sync_playwright import Axe

    accounts = portal.accounts()
    try:  # Alice has one working passkey and one waiting (whatever ran before)
        alice = portal.world.alice.subject
        working = [p for p in accounts.credentials_of(alice) if p["state"] == "active"]
        for _ in range(2 - len(working) if len(working) < 2 else 0):
            ceremony, options = accounts.begin_registration(accounts.invite(alice, "operator").code)
            accounts.register(ceremony, SoftAuthenticator("localhost", portal.url).create(options))
    finally:
        accounts.close()
    axe = Axe()
    problems: list[str] = []
    for code, language in i18n.LANGUAGES.items():
        shots = SHOTS / code
        shots.mkdir(parents=True, exist_ok=True)
        page = new_page(browser, locale=language.tag)
        page.goto(f"{portal.url}/signin")
        page.locator('button.person[value="0"]').click()
        page.wait_for_url(f"{portal.url}/")
        assert tr(code, "A new passkey is waiting") in page.inner_text(".pending-wrap")
        page.screenshot(path=str(shots / "home-pending.png"), full_page=True)
        problems += serious(axe.run(page).response, code, "/ (a passkey waiting)")
        page.goto(f"{portal.url}/devices")
        assert page.get_attribute("html", "lang") == language.tag
        assert tr(code, "Where you are signed in") in page.inner_text("main")
        page.screenshot(path=str(shots / "devices.png"), full_page=True)
        problems += serious(axe.run(page).response, code, "/devices")
        if page.locator("li.passkey.state-active").count() == 1:
            last = page.locator("li.passkey.state-active")
            last.locator("summary").click()
            last.locator("form[action$='/remove'] button").click()
            assert tr(code, "What you lose") in page.inner_text("main")
            page.screenshot(path=str(shots / "device-remove.png"), full_page=True)
            problems += serious(axe.run(page).response, code, "remove the last passkey")
        page.context.close()
    assert problems == []
