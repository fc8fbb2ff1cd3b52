"""A public consultation in a real browser (Debian's Chromium, Playwright, 360x740), against a
real `credo serve`: a Thai person signs in, votes on statements written in Chinese and English
(seeing their translations and who made them), writes a statement, changes a vote, sees their
votes listed and finds each on the log, with JavaScript (a vote without a reload, the proof
check in the browser) and without it (plain forms, then `credo person verify` on the export).
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from credo.portal import i18n
from credo.services.node import DataDir, Node
from tests.e2e._browser import Site, demo_world, new_page, open_streets, served, tr
from tests.portal.conftest import World

pytestmark = pytest.mark.slow
CID = "streets-2027"
ZH = "街道应该让孩子安全步行"
ZH_TH = "ถนนควรให้เด็กเดินได้อย่างปลอดภัย"
EN = "Fewer cars in the old town"


def _consultation(root: Path, world: World) -> None:
    node = Node(DataDir(root)).start()
    try:
        service, council = open_streets(node, CID)
        bob = world.bob.subject  # a Chinese reader writes in Chinese and English
        zh = service.submit_statement(bob, CID, "zh-Hans", ZH)
        service.submit_statement(bob, CID, "en", EN)
        service.translate_as_moderator("council", council, CID, zh, "th", ZH_TH)
    finally:
        node.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("consult") / "data"
    world = demo_world(root)
    _consultation(root, world)
    with served(root, world) as running:
        yield running


def _sign_in(page: Any, base: str, button: str) -> None:
    page.goto(f"{base}/signin")
    page.locator(f'button.person[value="{button}"]').click()
    page.wait_for_url(f"{base}/")


def _on_log(base: str, index: int) -> None:
    entry = httpx.get(f"{base}/v1/entries/{index}").json()
    assert b"application/vnd.credo.consultation.vote+json" in base64.b64decode(entry["entry"])


def test_a_thai_person_votes_without_reloads_writes_changes_and_checks(
    site: Site, browser: Any
) -> None:
    base = site.url
    page = new_page(browser)  # th-TH
    _sign_in(page, base, "0")  # Alice
    page.goto(f"{base}/consultations")
    page.locator("main a[href='/consultations/streets-2027']").first.click()
    page.wait_for_url(f"{base}/consultations/{CID}")
    card = page.locator("#statement-card")
    assert ZH_TH in card.inner_text()
    assert tr("th", "Translated by a moderator") in card.inner_text()
    card.locator("details summary").first.click()  # the original, one tap away
    assert ZH in card.inner_text()
    page.evaluate("window.__stayed = true")
    card.locator("button[value=agree]").click()
    page.wait_for_selector(f"#statement-card blockquote:has-text('{EN}')")
    assert page.evaluate("window.__stayed") is True  # no reload
    assert page.url == f"{base}/consultations/{CID}"
    first = int(re.search(r"#(\d+)", card.locator(".notice").inner_text()).group(1))  # type: ignore[union-attr]
    card.locator("button[value=disagree]").click()
    page.wait_for_selector("#statement-card p:not(.notice)")
    assert page.evaluate("window.__stayed") is True

    page.goto(f"{base}/consultations/{CID}/write")
    page.fill("#text", "ควรมีที่จอดจักรยานใกล้สถานีรถไฟทุกแห่ง")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/mine\?written=1$"))
    assert "ควรมีที่จอดจักรยานใกล้สถานีรถไฟทุกแห่ง" in page.inner_text("main")

    votes = page.locator("ul.entries > li[data-index]")
    assert votes.count() == 2
    votes.first.locator("button[value=disagree]").click()  # change the first vote
    page.wait_for_url(f"{base}/consultations/{CID}/mine")
    assert page.locator("ul.entries > li[data-index]").count() == 2
    page.locator("#check-all").click()
    page.wait_for_selector("#proof-summary.proof-ok", timeout=60_000)
    assert page.locator("li[data-proof=ok]").count() == 2
    indices = [
        int(i)
        for i in page.locator("li[data-index]").evaluate_all("els => els.map(e => e.dataset.index)")
    ]
    assert first not in indices  # the changed vote is a new entry
    for index in [first, *indices]:
        _on_log(base, index)
    page.context.close()


def test_the_same_with_javascript_off_and_credo_person_verify(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    base = site.url
    page = new_page(browser, javascript=False)
    _sign_in(page, base, "1")  # Bob
    page.goto(f"{base}/consultations/{CID}")
    page.locator("#statement-card button[value=pass]").click()
    page.wait_for_url(re.compile(r"voted=\d+"))
    page.locator("#statement-card button[value=agree]").click()
    page.wait_for_url(re.compile(r"n=2&voted=\d+"))
    page.goto(f"{base}/consultations/{CID}/mine")
    votes = page.locator("ul.entries > li[data-index]")
    assert votes.count() == 2
    votes.first.locator("button[value=withdraw]").click()
    page.wait_for_url(f"{base}/consultations/{CID}/mine")
    assert page.locator("ul.entries > li[data-index]").count() == 1
    assert page.locator("#check-all").is_hidden()  # the in-browser check needs JavaScript
    export = page.request.get(f"{base}/data/export.json")
    assert export.ok
    path = tmp_path / "export.json"
    path.write_bytes(export.body())
    kinds = [e["kind"] for e in json.loads(path.read_text())["entries"]]
    assert kinds.count("consultation.vote") == 3
    done = subprocess.run(
        ["credo", "person", "verify", "--export", str(path), "--url", base],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    page.context.close()


def test_every_consultation_page_in_every_language_is_accessible(site: Site, browser: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    from tests.e2e.test_portal_browser import serious

    axe = Axe()
    problems: list[str] = []
    base = site.url
    for code, language in i18n.LANGUAGES.items():
        page = new_page(browser, locale=language.tag)
        for path in ("/consultations", f"/consultations/{CID}/moderation"):
            page.goto(f"{base}{path}")
            problems += serious(axe.run(page).response, code, path)
        _sign_in(page, base, "0")
        statement = page.goto(f"{base}/consultations/{CID}")
        assert statement is not None
        sid = page.locator("#statement-card input[name=statement]")
        paths = [
            f"/consultations/{CID}",
            f"/consultations/{CID}/write",
            f"/consultations/{CID}/mine",
        ]
        if sid.count():
            paths.append(f"/consultations/{CID}/statements/{sid.first.input_value()}/translate")
        for path in paths:
            page.goto(f"{base}{path}")
            assert page.get_attribute("html", "lang") == language.tag
            problems += serious(axe.run(page).response, code, path)
        page.context.close()
    assert problems == []
