"""A consultation's public results page in a real browser (Debian's Chromium, Playwright,
360x740, JavaScript off), against a real `credo serve`: in Thai and in Traditional Chinese,
without signing in, the opinion map and its table, axe clean; a signed-in Thai participant
finds their pseudonym and group; vTaiwan's imported conversation, under 150 KB."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from credo.portal import i18n
from credo.services.consultation_results import ConsultationResults
from credo.services.node import DataDir, Node
from tests.e2e._browser import Site, demo_world, new_page, open_streets, served, tr
from tests.portal.conftest import World

pytestmark = pytest.mark.slow
CID = "streets-2027"
VTAIWAN = (
    Path(os.environ.get("CREDO_POLIS_DATA", Path(__file__).parents[2] / ".." / "shared/data/polis"))
    / "vtaiwan.uberx"
)
STATEMENTS = [
    ("zh-Hans", "街道应该让孩子安全步行"),
    ("en", "Fewer cars in the old town"),
    ("th", "ควรมีที่จอดจักรยานใกล้สถานีรถไฟ"),
    ("zh-Hant", "公車應該更準時"),
    ("en", "Keep parking as it is"),
    ("th", "ถนนควรปลอดภัยสำหรับผู้สูงอายุ"),
    ("en", "Close the bridge to cars on Sundays"),
    ("zh-Hans", "应该有更多的树"),
]


def _consultation(root: Path, world: World) -> None:
    """Forty people in two camps vote on eight statements; Alice votes too; a result is
    published; vTaiwan is imported when its data is at hand."""
    node = Node(DataDir(root)).start()
    try:
        service, council = open_streets(node, CID)
        people = [node.vault.ensure_subject(f"RESULTS{n:04d}") for n in range(40)]
        sids = [
            service.submit_statement(people[n], CID, lang, text)
            for n, (lang, text) in enumerate(STATEMENTS)
        ]
        for n, subject in enumerate([*people, world.alice.subject]):
            for k, sid in enumerate(sids):
                camp = n % 2 == 0
                vote = "agree" if camp == (k % 2 == 0) or (k == 7) else "disagree"
                if (n + k) % 7 == 3:
                    vote = "pass"
                service.vote(subject, CID, sid, vote, ("th", "zh-Hant", "en")[n % 3])
        results = ConsultationResults(service, root / "documents")
        results.publish("council", council, CID)
        if VTAIWAN.exists():
            results.import_polis(
                "council", council, VTAIWAN, "vtaiwan-uberx", question_lang="zh-Hant"
            )
    finally:
        node.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("results") / "data"
    world = demo_world(root)
    _consultation(root, world)
    with served(root, world) as running:
        yield running


def _axe(browser: Any, url: str, locale: str, code: str, cookies: list[Any]) -> list[str]:
    """axe's serious and critical findings on the page as a browser without JavaScript
    gets it. axe is itself a script (a page without JavaScript cannot run it), so the page
    is loaded with the page's own scripts refused, which leaves the same DOM, then axe is
    injected."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.e2e.test_portal_browser import serious

    page = new_page(browser, locale=locale)
    page.context.add_cookies(cookies)
    page.route("**/*.js", lambda route: route.abort())
    page.route("**/*.js?*", lambda route: route.abort())
    page.goto(url)
    found = serious(Axe().run(page).response, code, url)
    page.context.close()
    return found


@pytest.mark.parametrize(("code", "locale"), [("th", "th-TH"), ("zh_Hant", "zh-TW")])
def test_the_results_page_without_javascript_is_readable_and_accessible(
    site: Site, browser: Any, code: str, locale: str
) -> None:
    page = new_page(browser, locale=locale, javascript=False)
    page.context.add_cookies([{"name": "credo_lang", "value": code, "url": site.url}])
    problems: list[str] = []
    paths = [f"/consultations/{CID}/results"]
    if VTAIWAN.exists():
        paths.append("/consultations/vtaiwan-uberx/results")
    for path in paths:
        answer = page.goto(f"{site.url}{path}")
        assert answer is not None
        assert answer.status == 200
        assert len(answer.body()) < 150_000, (path, len(answer.body()))
        assert page.get_attribute("html", "lang") == i18n.LANGUAGES[code].tag
        main = page.inner_text("main")
        assert tr(code, "Results") in main
        assert tr(code, "Opinion map") in main
        assert page.locator("svg.opinion-map[role=img] circle").count() > 0
        assert page.locator("table caption").first.inner_text() == tr(code, "Opinion groups")
        assert page.locator("table tbody tr").count() >= 2
        assert tr(code, "Participation by language") in main
        problems += _axe(browser, f"{site.url}{path}", locale, code, page.context.cookies())
    assert problems == []
    page.context.close()


def test_a_signed_in_participant_sees_their_pseudonym_and_group(site: Site, browser: Any) -> None:
    page = new_page(browser, locale="th-TH", javascript=False)
    page.goto(f"{site.url}/signin")
    page.locator('button.person[value="0"]').click()  # Alice
    page.wait_for_url(f"{site.url}/")
    page.goto(f"{site.url}/consultations/{CID}/results")
    card = page.inner_text("section.card")
    assert tr("th", "Where you stand") in card
    prefix = tr("th", "Your pseudonym in the published vote matrix: %(pseudonym)s").split("%")[0]
    assert prefix in card
    closest = tr("th", "You are closest to group %(label)s.").split("%")[0]
    assert closest in card
    url = f"{site.url}/consultations/{CID}/results"
    assert _axe(browser, url, "th-TH", "th", page.context.cookies()) == []
    page.context.close()
