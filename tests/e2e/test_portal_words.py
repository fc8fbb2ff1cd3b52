"""The demo's people in a real browser, in every language: every
page reads as words (no raw code, no untranslated English on a Thai or Chinese page), typed
text survives a language switch, and the Thai record, accesses, home and consortium pages are
screenshotted into docs/img at a 360x740 phone's size.

The checks are those of tests/portal/test_words.py, on the page as Chromium renders it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from credo import demo
from credo.portal.i18n import LANGUAGES
from credo.portal.since import SEEN_COOKIE
from credo.services.node import DataDir
from tests.e2e._browser import new_page
from tests.e2e._server import Server, free_port
from tests.portal.test_words import english_words, offending_codes, raw_codes, visible_text

DOCS_IMG = Path(
    os.environ.get("CREDO_DOCS_IMG", Path(__file__).parents[2] / "build" / "portal-th-screenshots")
)
"""Where the Thai screenshots go: ``build/`` by default, so a test run leaves the checkout as
it was; ``CREDO_DOCS_IMG=docs/img`` refreshes the ones docs/portal.md shows."""
pytestmark = pytest.mark.slow

PERSON_PAGES = ["/", "/score", "/records", "/access", "/consents", "/benefits", "/disputes"]
PUBLIC_PAGES = ["/consortium", "/help", "/no/such/page"]


class Demo:
    def __init__(self, root: Path, server: Server) -> None:
        self.root = root
        self.url = f"http://localhost:{server.port}"
        self.roster = demo.demo_roster(DataDir(root))


@pytest.fixture(scope="module")
def demo_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("words") / "demo"
    node = demo.seed_demo(root, people=60)
    members = [m.id for m in node.store.list_members()]
    node.close()
    port = free_port()
    env = {"CREDO_PUBLIC_URL": f"http://localhost:{port}"}
    server = Server(root, root.parent / "serve.log", env, workers=0, port=port)
    try:
        server.wait_ready()
        portal = Demo(root, server)
        portal.members = members  # type: ignore[attr-defined]
        yield portal
    finally:
        server.stop()


def sign_in_as(page: Any, base: str, index: int) -> None:
    page.goto(f"{base}/signin")
    page.locator(f'button.person[value="{index}"]').click()
    page.wait_for_url(f"{base}/")


def check(page: Any, code: str, codes: set[str], where: str) -> list[str]:
    text = visible_text(page.content(), LANGUAGES[code].tag)
    found = [f"{where}: raw codes {bad}" for bad in [offending_codes(text, codes)] if bad]
    if code != "en":
        latin = english_words(text)
        if latin:
            found.append(f"{where}: English {latin[:8]}")
    return found


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_every_demo_person_s_pages_read_as_words_in_a_browser(
    demo_portal: Demo, browser: Any, code: str
) -> None:
    """With JavaScript on, which is what can change a page's words after the server sent it.
    Without JavaScript a browser shows the server's HTML as sent, and
    tests/portal/test_words.py reads that for every person, page and language (a walk here
    without JavaScript repeated it, for 66 s of the suite).

    Each person is walked in two of the four languages, every other language in turn, so
    that every person and every language is walked with JavaScript on, by half the page
    loads (every person in every language was 120-150 s of the suite's 2-core time)."""
    base = demo_portal.url
    language = LANGUAGES[code]
    problems: list[str] = []
    seen = 0
    codes = raw_codes(demo_portal.members, english=code == "en")  # type: ignore[attr-defined]
    page = new_page(browser, locale=language.tag, javascript=True)
    for path in PUBLIC_PAGES:
        page.goto(f"{base}{path}")
        assert page.get_attribute("html", "lang") == language.tag, path
        problems += check(page, code, codes, f"{code} {path}")
        seen += 1
    turn = list(LANGUAGES).index(code) % 2
    for index, person in enumerate(demo_portal.roster):
        if index % 2 != turn:
            continue
        sign_in_as(page, base, index)
        paths = list(PERSON_PAGES)
        page.goto(f"{base}/records")
        links = page.locator("ul.records li a")
        if links.count():
            paths.append(links.first.get_attribute("href"))
        page.goto(f"{base}/disputes")
        disputes = page.locator("main ul.rows a")
        if disputes.count():
            paths.append(disputes.first.get_attribute("href"))
        for path in paths:
            page.goto(f"{base}{path}")
            problems += check(page, code, codes, f"{code} {person.profile}: {path}")
            seen += 1
        page.locator("form.signout button").click()
    page.context.close()
    assert seen > 15
    assert problems == [], "\n".join(problems[:40])


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_typed_text_survives_a_language_switch(
    demo_portal: Demo, browser: Any, javascript: bool
) -> None:
    base = demo_portal.url
    page = new_page(browser, locale="th-TH", javascript=javascript)
    sign_in_as(page, base, 0)
    page.goto(f"{base}/records")
    page.locator("ul.records li a").first.click()
    dispute = page.locator('a[href$="/dispute"]')
    if not dispute.count():  # the first record is disputed already: take another
        page.goto(f"{base}/records")
        page.locator("ul.records li a").nth(1).click()
    page.locator('a[href$="/dispute"]').click()
    page.locator("#statement").press_sequentially("ยอดเงินไม่ถูกต้อง")
    page.locator('header [lang="zh-Hans"]').click()
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert page.input_value("#statement") == "ยอดเงินไม่ถูกต้อง"
    page.locator("main form button[type=submit]").first.click()  # on to the check step
    page.wait_for_load_state()
    page.locator('header [lang="en"]').click()  # a switch from the check step
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "en"
    assert page.input_value("#statement") == "ยอดเงินไม่ถูกต้อง"
    page.context.close()


def test_thai_screenshots_for_the_docs(demo_portal: Demo, browser: Any) -> None:
    """The record, accesses, home and consortium pages in Thai, as docs/img/portal-th-*.png."""
    base = demo_portal.url
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    page = new_page(browser, locale="th-TH")
    sign_in_as(page, base, 0)  # the graduate: a repaid loan, a consent, a refused read
    month_ago = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    page.context.add_cookies([{"name": SEEN_COOKIE, "value": month_ago, "url": base}])
    page.goto(f"{base}/")  # "since your last visit", a month ago
    page.screenshot(path=str(DOCS_IMG / "portal-th-home.png"), full_page=True)
    page.goto(f"{base}/records")
    record = next(
        href
        for href in page.locator("ul.records li a").evaluate_all("els => els.map(e => e.href)")
        if re.search(r"/records/[0-9a-f]{32}$", href)
    )
    page.goto(record)
    page.screenshot(path=str(DOCS_IMG / "portal-th-record.png"), full_page=True)
    page.goto(f"{base}/access")
    page.screenshot(path=str(DOCS_IMG / "portal-th-access.png"), full_page=True)
    page.goto(f"{base}/consortium")
    page.screenshot(path=str(DOCS_IMG / "portal-th-consortium.png"), full_page=True)
    page.context.close()
    for name in ("home", "record", "access", "consortium"):
        assert (DOCS_IMG / f"portal-th-{name}.png").stat().st_size > 10_000
