"""Every page of the demo's people, in every language, reads as words: no raw code (a member
id, a purpose, a payload key, a tier name as the ledger spells it) and, on a Thai or Chinese
page, no English a layperson would have to translate.

The demo is seeded small (its roster still has one person of every kind: scored, disputing,
answered, expired, not enrolled, hospital visits, a car, a revoked consent) and every page
each roster person can reach is read, with their records, consents and disputes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from credo import demo
from credo.ledger.categories import CATEGORIES, PURPOSES
from credo.portal.fields import COMMON, FIELDS, TERMS
from credo.portal.i18n import LANGUAGES
from credo.portal.labels import LABELS
from credo.services.node import DataDir
from credo.services.people import People
from tests.portal.conftest import node_of, portal_client, sign_in

SKIPPED = {"code", "pre", "script", "style", "noscript", "svg", "title"}
"""Where a code is the point (a log key, a checkpoint, a reference) or nothing is shown."""

ALLOWED_LATIN = {
    "credo",
    "API",
    "JSON",
    "PDF",
    "HTML",
    "C2SP",
    "ID",
    "RFC",
    "JavaScript",
    "Python",
}
"""Latin words a Thai or Chinese page may show: the service's name and technical names."""


class _Text(HTMLParser):
    """The text a reader sees, skipping code, and any element marked in another language
    (a demo person's own name, the language switcher's names)."""

    def __init__(self, page_lang: str) -> None:
        super().__init__()
        self.page_lang = page_lang
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "img", "input", "meta", "link", "hr", "wbr"):
            return
        found = dict(attrs)
        lang = found.get("lang")
        cls = found.get("class") or ""
        skip = (
            tag in SKIPPED
            or (lang is not None and tag != "html" and lang != self.page_lang)
            or {"ref", "statement", "name"} & set(cls.split())
        )
        self.stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            name, _ = self.stack.pop()
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if not any(skip for _, skip in self.stack):
            self.parts.append(data)


def visible_text(html: str, lang: str) -> str:
    parser = _Text(lang)
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def raw_codes(node_members: list[str], english: bool = False) -> set[str]:
    """The codes a page must not show. On an English page a one-word code (``health``,
    ``amount``) is also an English word, so only codes with a separator are looked for
    there; on other pages the English check catches the rest."""
    codes = set(node_members)
    codes |= set(PURPOSES) | set(CATEGORIES)
    codes |= {t for c in CATEGORIES.values() for t in c.types}
    for group in LABELS.values():
        codes |= set(group)
    for fields in (COMMON, *FIELDS.values()):
        codes |= set(fields)
    codes |= {"enrolment", "THB"}
    if english:
        codes = {c for c in codes if re.search(r"[_.:-]", c) or c.isupper()}
    return codes


def offending_codes(text: str, codes: set[str]) -> list[str]:
    found = []
    for code in codes:
        if re.search(rf"(?<![\w.:/-]){re.escape(code)}(?![\w:-]|\.\w)", text):
            found.append(code)
    return sorted(found)


def english_words(text: str) -> list[str]:
    """Latin-script words on a Thai or Chinese page that are not names the page may show."""
    words = re.findall(r"[A-Za-z0-9'’]+", text)
    return [
        w
        for w in words
        if re.search("[A-Za-z]", w)
        and w not in ALLOWED_LATIN
        and not (w.isupper() and re.search("[0-9]", w))  # an example code: K7QF-M2XD-9RTA
    ]


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("words") / "demo"
    demo.seed_demo(root, people=60).close()
    return root


@pytest.fixture(scope="module")
def client(demo_root: Path) -> Iterator[TestClient]:
    with portal_client(demo_root) as c:
        yield c


def pages_of(client: TestClient, national_id: str) -> list[str]:
    """Every page a person can reach: the fixed ones, and each record, consent and dispute."""
    node = node_of(client)
    people = People.open(node)
    subject = people.known(national_id)
    assert subject is not None
    sign_in(client, subject)
    pages = [
        "/",
        "/score",
        "/records",
        "/access",
        "/consents",
        "/consents/new",
        "/benefits",
        "/programme",
        "/disputes",
        "/data",
        "/entries",
        "/consortium",
        "/help",
        "/data/export.html",
        "/no/such/page",
    ]
    store = node.store
    pages += [f"/records/{r.record_id}" for r in store.records_of(subject)[:12]]
    pages += [f"/consents/{c.id}" for c in store.consents_of(subject)]
    pages += [f"/disputes/{d.id}" for d in store.disputes_of(subject)]
    for d in store.disputes_of(subject)[:1]:
        pages.append(f"/records/{d.record_id}")
    active = [r for r in store.records_of(subject) if r.status == "active"]
    if active:
        pages.append(f"/records/{active[0].record_id}/dispute")
    return pages


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_every_page_of_every_demo_person_reads_as_words(
    client: TestClient, demo_root: Path, code: str
) -> None:
    roster = demo.demo_roster(DataDir(demo_root))
    assert len(roster) >= 10
    members = [m.id for m in node_of(client).store.list_members()]
    codes = raw_codes(members, english=code == "en")
    lang = LANGUAGES[code].tag
    client.cookies.set("credo_lang", code)
    problems: list[str] = []
    read = 0
    for person in roster:
        for page in pages_of(client, person.national_id):
            response = client.get(page, headers={"accept": "text/html"})
            assert response.status_code in (200, 404), (page, response.status_code)
            assert response.headers["content-type"].startswith("text/html"), page
            text = visible_text(response.text, lang)
            read += 1
            bad = offending_codes(text, codes)
            if bad:
                problems.append(f"{person.profile}: {page}: raw codes {bad}")
            if code != "en":
                latin = english_words(text)
                if latin:
                    problems.append(f"{person.profile}: {page}: English {latin[:8]}")
    client.cookies.delete("credo_session")
    for page in ("/", "/signin", "/register", "/help", "/consortium"):  # signed out
        text = visible_text(client.get(page).text, lang)
        bad = offending_codes(text, codes)
        if bad:
            problems.append(f"signed out: {page}: raw codes {bad}")
        if code != "en" and english_words(text):
            problems.append(f"signed out: {page}: English {english_words(text)[:8]}")
    assert read > 150
    assert problems == [], "\n".join(problems[:40])


def test_the_checker_finds_a_raw_code_and_english() -> None:
    """The walk above can fail: a payload key, a member id and an English word are caught."""
    codes = raw_codes(["first-bank"])
    text = visible_text(
        '<p>amount 50000 · first-bank</p><p lang="en">Oliver</p><code>ab-cd</code>', "th"
    )
    assert offending_codes(text, codes) == ["amount", "first-bank"]
    assert english_words(visible_text("<p>ธนาคาร Revenue Department</p>", "th")) == [
        "Revenue",
        "Department",
    ]


def test_every_payload_term_and_field_label_is_in_the_catalogs() -> None:
    from credo.portal.catalogs import extract

    messages = {m.id for m in extract() if m.id}
    for fields in (COMMON, *FIELDS.values()):
        for field in fields.values():
            assert field.label in messages
    assert set(TERMS.values()) <= messages
