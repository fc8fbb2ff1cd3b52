"""The portal in a real browser: Debian's Chromium driven by Playwright at a 360x740 phone
viewport, against a real `credo serve`.

With JavaScript: register a passkey with an enrolment code through Chromium's virtual
authenticator (CDP ``WebAuthn``), sign out and in with it, read the score in Thai, switch to
Traditional Chinese, dispute a record and find the dispute on the log, revoke a consent and
see the member's next read refused, check every entry in the browser, then see the check fail
when a served proof is tampered with. Without JavaScript: the same flows through the demo
sign-in, except the in-browser check. Every page is screenshotted in every language (into
``build/portal-screenshots``) and checked with axe-core.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from credo.client.member import MemberClient
from credo.errors import PermissionDenied
from credo.ledger.keys import MemberKey
from credo.portal import i18n
from credo.services.node import DataDir
from tests.e2e._browser import demo_world, new_page
from tests.e2e._server import Server, free_port
from tests.portal.conftest import ALICE, BOB, World

SHOTS = Path(
    os.environ.get("CREDO_SCREENSHOTS", Path(__file__).parents[2] / "build/portal-screenshots")
)
pytestmark = pytest.mark.slow

SIGNED_IN_PAGES = {
    "home": "/",
    "score": "/score",
    "records": "/records",
    "access": "/access",
    "consents": "/consents",
    "consent-new": "/consents/new",
    "benefits": "/benefits",
    "programme": "/programme",
    "disputes": "/disputes",
    "data": "/data",
    "entries": "/entries",
    "export": "/data/export.html",
}
PUBLIC_PAGES = {
    "welcome": "/",
    "signin": "/signin",
    "register": "/register",
    "consortium": "/consortium",
    "help": "/help",
    "not-found": "/no/such/page",
}


def tr(code: str, message: str) -> str:
    return i18n.translations(code).gettext(message)


class Portal:
    def __init__(self, world: World, server: Server) -> None:
        self.world = world
        self.server = server
        self.url = f"http://localhost:{server.port}"  # passkeys need a domain, not an IP

    def invite(self, national_id: str) -> str:
        out = subprocess.run(
            ["credo", "person", "invite", "--data", str(self.world.root), "--national-id", "-"],
            input=national_id,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        found = re.search(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", out)
        assert found, out
        return found.group(0)

    def member(self, member: str) -> MemberClient:
        key = MemberKey.load(DataDir(self.world.root).member_key(member))
        return MemberClient(self.url, member, key)


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    root = tmp_path_factory.mktemp("browser") / "data"
    world = demo_world(root)  # a demo directory: the portal lists the roster
    port = free_port()
    env = {"CREDO_PUBLIC_URL": f"http://localhost:{port}"}
    server = Server(root, root.parent / "serve.log", env, workers=0, port=port)
    try:
        server.wait_ready()
        yield Portal(world, server)
    finally:
        server.stop()


def add_authenticator(page: Any) -> Any:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp


def switch_language(page: Any, tag: str) -> None:
    page.locator(f'header a[hreflang="{tag}"]').click()
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == tag


def dispute_first_record(page: Any, base: str, statement: str) -> str:
    """Open the records page, the first disputable record, and send a dispute; returns the
    log index the confirmation page names."""
    page.goto(f"{base}/records")
    page.locator("ul.records li a").first.click()
    page.locator('a[href$="/dispute"]').click()
    page.fill("#statement", statement)
    page.locator("main form button[type=submit]").first.click()
    assert statement in page.inner_text("dd.statement")
    page.locator('button[name="step"][value="send"]').click()
    page.wait_for_selector(".panel .ref")
    facts = page.inner_text("dl.facts")
    found = re.search(r"#(\d+)", facts)
    assert found, facts
    return found.group(1)


def revoke_first_consent(page: Any, base: str) -> None:
    page.goto(f"{base}/consents")
    page.locator("li.consent form button").first.click()
    page.locator('input[name="confirm"] ~ button[type=submit]').click()
    page.wait_for_load_state()


def test_passkey_score_language_dispute_consent_and_proof_check(
    portal: Portal, browser: Any
) -> None:
    base = portal.url
    page = new_page(browser)
    add_authenticator(page)
    code = portal.invite(ALICE)

    page.goto(f"{base}/register")
    page.fill("#code", code)
    page.locator("main form button[type=submit]").click()
    page.locator("#passkey-go").click()
    page.wait_for_url(re.compile(r"/\?welcome=1$"))
    assert page.locator("form.signout").count() == 1

    page.locator("form.signout button").click()  # out, and back in with the passkey
    page.goto(f"{base}/signin")
    page.locator("#passkey-go").click()
    page.wait_for_url(f"{base}/")
    assert page.locator("form.signout").count() == 1

    page.goto(f"{base}/score")  # Thai, from the browser's Accept-Language
    assert page.get_attribute("html", "lang") == "th"
    assert tr("th", "The main reasons") in page.inner_text("main")
    assert tr("th", "The main reasons") != "The main reasons"
    assert page.locator("ol.reasons > li").count() >= 1
    assert page.locator("svg.chart polyline").count() == 1
    switch_language(page, "zh-Hant")
    assert tr("zh_Hant", "The main reasons") in page.inner_text("main")

    index = dispute_first_record(page, base, "這筆貸款我已經還清了。")
    entry = httpx.get(f"{base}/v1/entries/{index}").json()
    assert b"application/vnd.credo.dispute.open+json" in base64.b64decode(entry["entry"])

    revoke_first_consent(page, base)
    basis = ("consent", portal.world.alice.consent)
    with portal.member("bank") as bank, pytest.raises(PermissionDenied, match="consent_revoked"):
        bank.read(ALICE, "credit_assessment", basis, ["finance"])
    page.goto(f"{base}/access")
    assert page.locator("li.outcome-refused").count() >= 1

    page.goto(f"{base}/entries")
    page.locator("#check-all").click()
    page.wait_for_selector("#proof-summary.proof-ok", timeout=60_000)
    assert page.locator("li[data-proof=bad]").count() == 0
    assert page.locator("li[data-proof=ok]").count() == page.locator("li[data-index]").count()

    def tamper(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        proof = body["proof"] or [body["entry"]]
        body["proof"] = [
            base64.b64encode(bytes(32)).decode(),
            *proof[1:],
        ]
        route.fulfill(response=response, body=json.dumps(body))

    page.route("**/v1/entries/*", tamper)
    page.reload()
    page.locator("#check-all").click()
    page.wait_for_selector("#proof-summary.proof-bad", timeout=60_000)
    assert page.locator("li[data-proof=bad]").count() >= 1
    assert page.locator(".proof-bad").first.is_visible()
    page.context.close()


def test_the_same_flows_with_javascript_off(portal: Portal, browser: Any) -> None:
    base = portal.url
    page = new_page(browser, javascript=False)
    page.goto(f"{base}/signin")
    assert page.locator("#passkey-go").is_hidden()  # passkeys need JavaScript
    page.locator('button.person[value="1"]').click()  # the demo list: Bob
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/score")
    assert page.get_attribute("html", "lang") == "th"
    assert tr("th", "The main reasons") in page.inner_text("main")
    switch_language(page, "zh-Hant")
    index = dispute_first_record(page, base, "這不是我的紀錄。")
    assert int(index) > 0
    revoke_first_consent(page, base)
    basis = ("consent", portal.world.bob.consent)
    with portal.member("bank") as bank, pytest.raises(PermissionDenied, match="consent_revoked"):
        bank.read(BOB, "credit_assessment", basis, ["finance"])
    page.goto(f"{base}/entries")
    assert page.locator("#check-all").is_hidden()
    page.context.close()


def test_every_page_in_every_language_screenshotted_and_accessible(
    portal: Portal, browser: Any
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems: list[str] = []
    for code, language in i18n.LANGUAGES.items():
        page = new_page(browser, locale=language.tag)
        shots = SHOTS / code
        shots.mkdir(parents=True, exist_ok=True)
        pages = list(PUBLIC_PAGES.items())
        for name, path in pages:
            page.goto(f"{portal.url}{path}")
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
            problems += serious(axe.run(page).response, code, path)
        page.goto(f"{portal.url}/signin")
        page.locator('button.person[value="0"]').click()
        page.wait_for_url(f"{portal.url}/")
        record = portal.world.alice.records[-1]
        page.goto(f"{portal.url}/disputes")
        disputes = page.locator("main ul.rows a")
        dispute = disputes.first.get_attribute("href") if disputes.count() else "/disputes"
        signed_in = {
            **SIGNED_IN_PAGES,
            "record": f"/records/{record}",
            "dispute-form": f"/records/{record}/dispute",
            "dispute": dispute,
            "consent": f"/consents/{portal.world.alice.consent}",
        }
        for name, path in signed_in.items():
            page.goto(f"{portal.url}{path}")
            assert page.get_attribute("html", "lang") == language.tag
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
            problems += serious(axe.run(page).response, code, path)
        page.context.close()
    assert problems == []


def test_no_national_id_reached_the_server_log(portal: Portal) -> None:
    """Whatever `credo serve` wrote while the flows above ran (its own INFO lines and any
    warning; request lines are not logged) names nobody."""
    logged = portal.server.log_path.read_text(errors="replace")
    for nid in (ALICE, BOB):
        assert nid not in logged


def serious(response: dict[str, Any], code: str, path: str) -> list[str]:
    return [
        f"{code} {path}: {v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
        for v in response.get("violations", [])
        if v.get("impact") in ("serious", "critical")
    ]
