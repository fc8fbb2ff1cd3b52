"""A way out of every dead end: the export as a page to read and print, the rules and how
the consortium decides in plain words, a help page with every member's contact point, what
happened since the last visit, and a 404 page in the person's language."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from credo.ledger.entries import public_key_b64
from credo.ledger.keys import MemberKey
from credo.portal.since import SEEN_COOKIE
from credo.services.people import People
from credo.services.reads import ReadRequest
from tests.portal.conftest import ALICE, DIGEST, World, node_of, sign_in


def test_the_readable_export_is_a_page_in_the_person_s_language(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.alice.subject)
    client.cookies.set("credo_lang", "th")
    assert 'href="/data/export.html"' in client.get("/data").text
    page = client.get("/data/export.html")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"  # personal: never cached
    assert page.headers["content-language"] == "th"
    assert "ข้อมูลทั้งหมดของคุณ" in page.text
    assert "2569" in page.text  # the Buddhist year of the records' 2026 dates
    assert "เงินกู้" in page.text or "ชำระ" in page.text  # the record type in Thai
    assert page.text.count('class="card export-record"') == 3
    assert "จำนวนเงิน" in page.text  # the payload's amount, labelled
    assert "amount" not in re.sub(r"<[^>]+>", " ", page.text)


def test_an_unknown_address_is_a_page_for_people_and_a_problem_for_programs(
    client: TestClient,
) -> None:
    client.cookies.set("credo_lang", "zh_Hant")
    page = client.get("/no/such/page", headers={"accept": "text/html,*/*"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "此網址沒有頁面" in page.text
    assert '<html lang="zh-Hant">' in page.text
    api = client.get("/v1/no-such-thing", headers={"accept": "text/html"})
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"
    program = client.get("/no/such/page", headers={"accept": "application/json"})
    assert program.headers["content-type"] == "application/problem+json"


def test_since_the_last_visit_lists_what_is_new_and_what_runs_out(
    fresh: tuple[World, TestClient],
) -> None:
    world, client = fresh
    sign_in(client, world.alice.subject)
    client.cookies.set("credo_lang", "en")
    first = client.get("/")
    assert "Since your last visit" not in first.text  # nothing to compare with yet
    assert SEEN_COOKIE in first.cookies
    _seen(client, _in_days(1))  # a visit after everything so far
    quiet = client.get("/")
    assert "Since your last visit" in quiet.text
    assert "Nothing new." in quiet.text
    # then the bank records something new and reads her data, and a consent nears its end
    node = node_of(client)
    people = People.open(node)
    bank = MemberKey.load(node.data.member_key("bank"))
    people.records.put(
        bank, "bank", ALICE, "finance", "bill.paid_on_time", {"amount": 900}, _in_days(-1)
    )
    consent = world.alice.consent
    people.reads.read(
        ReadRequest("bank", ALICE, "credit_assessment", ("consent", consent), ("finance",), DIGEST)
    )
    people.consents.grant(ALICE, "bank", "credit_assessment", ["finance"], _in_days(10))
    _seen(client, _in_days(-1))  # a visit yesterday
    busy = client.get("/").text
    assert "Nothing new." not in busy
    assert "New record:" in busy
    assert "Bill paid on time" in busy
    assert "Test Bank asked for your data:" in busy
    assert "Your consent for Test Bank ends on" in busy  # the new one; hers runs to 2099
    assert busy.count("Your consent for Test Bank ends on") == 1
    _seen(client, _in_days(1))  # a visit after all of it
    later = client.get("/").text
    assert "New record:" not in later
    assert "asked for your data" not in later
    assert "Your consent for Test Bank ends on" in later  # still runs out soon


def _seen(client: TestClient, when: str) -> None:
    client.cookies.delete(SEEN_COOKIE)
    client.cookies.set(SEEN_COOKIE, when)


def _in_days(days: int) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_help_lists_every_member_with_its_contact_point_from_admission(
    fresh: tuple[World, TestClient],
) -> None:
    _, client = fresh
    node_of(client).submit_one(
        "member.admit",
        "operator",
        {
            "id": "coop",
            "name": "Corner Cooperative",
            "sector": "company",
            "public_key": public_key_b64(MemberKey.generate()),
            "roles": ["recorder"],
            "names": {"th": "สหกรณ์หัวมุม"},
            "contact": "help@coop.example · 02 555 0100",
        },
    )
    client.cookies.set("credo_lang", "th")
    page = client.get("/help").text  # public: no sign-in needed
    assert "พาสคีย์คืออะไร" in page
    assert "สหกรณ์หัวมุม" in page
    assert "help@coop.example · 02 555 0100" in page
    assert "ไม่ได้ให้ช่องทางติดต่อ" in page  # the test members gave none


def test_the_consortium_page_says_who_votes_how_many_carry_and_what_passed(
    client: TestClient,
) -> None:
    client.cookies.set("credo_lang", "en")
    page = client.get("/consortium").text
    assert "2 members hold a vote:" in page
    assert "adopted when 2 of them vote yes: 2 in every 3 seats" in page
    assert "Adopt new scoring rules · adopted" in page
    assert "Loan repaid: 12 points each" in page
    assert "Starter level: from 300 points" in page
    assert "A member must answer a dispute within 30 days" in page
