"""Every page, signed in and out; what a person may and may not reach; the flows as plain
forms (no JavaScript: the browser tests cover the same with a real browser)."""

from __future__ import annotations

import json
import logging
import re

import pytest
from fastapi.testclient import TestClient

from credo.services.people import People
from credo.services.reads import ReadRequest
from tests.portal.conftest import ALICE, BOB, DIGEST, World, csrf_of, node_of, sign_in

PAGES = [
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
]


def own_pages(world: World) -> list[str]:
    return [
        *PAGES,
        f"/records/{world.alice.records[0]}",
        f"/records/{world.alice.records[0]}/dispute",
        f"/consents/{world.alice.consent}",
    ]


def test_every_page_renders_for_a_signed_in_person_with_strict_headers(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.alice.subject)
    for path in own_pages(world):
        r = client.get(path, headers={"accept-language": "th"})
        assert r.status_code == 200, (path, r.text[:500])
        assert '<html lang="th">' in r.text
        assert r.headers["content-language"] == "th"
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        if path != "/consortium":
            assert r.headers["cache-control"] == "no-store"


def test_a_person_cannot_reach_anyone_elses_records_consents_or_disputes(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.alice.subject)
    bob = world.bob
    for path in [
        f"/records/{bob.records[0]}",
        f"/records/{bob.records[0]}/dispute",
        f"/consents/{bob.consent}",
        f"/disputes/{bob.dispute}",
    ]:
        r = client.get(path)
        assert r.status_code == 404, path
        assert "Not mine." not in r.text
    r = client.post(
        f"/records/{bob.records[1]}/dispute",
        data={"csrf": csrf, "step": "send", "statement": "hijack"},
        follow_redirects=False,
    )
    assert r.status_code == 404
    r = client.post(
        f"/consents/{bob.consent}/revoke",
        data={"csrf": csrf, "confirm": "yes"},
        follow_redirects=False,
    )
    assert r.status_code == 404
    store = node_of(client).store
    assert store.get_consent(bob.consent).revoked_idx is None  # type: ignore[union-attr]
    assert [d.id for d in store.disputes_of(bob.subject)] == [bob.dispute]
    for path in ["/records", "/consents", "/disputes", "/access", "/data/export.json"]:
        body = client.get(path).text
        for other in [*bob.records, bob.consent, bob.subject]:
            assert other not in body, (path, other)


def test_pages_need_a_session_and_forms_need_a_token(client: TestClient, world: World) -> None:
    for path in own_pages(world)[1:]:
        if path == "/consortium":
            continue
        r = client.get(path, follow_redirects=False)
        assert (r.status_code, r.headers.get("location")) == (303, "/signin"), path
    r = client.post("/programme/withdraw", data={"csrf": "x"}, follow_redirects=False)
    assert r.status_code == 401
    csrf = sign_in(client, world.alice.subject)
    for token in ("", "not-the-token", csrf[:-1]):
        r = client.post("/programme/withdraw", data={"csrf": token}, follow_redirects=False)
        assert r.status_code == 403, token
    r = client.post(
        "/programme/withdraw",
        content=json.dumps({"csrf": csrf}),
        headers={"content-type": "application/json"},
        follow_redirects=False,
    )
    assert r.status_code == 400
    assert node_of(client).store.is_enrolled(world.alice.subject)


def test_a_form_of_one_session_is_refused_in_another(client: TestClient, world: World) -> None:
    alice_csrf = sign_in(client, world.alice.subject)
    sign_in(client, world.bob.subject)
    r = client.post("/programme/withdraw", data={"csrf": alice_csrf}, follow_redirects=False)
    assert r.status_code == 403
    assert node_of(client).store.is_enrolled(world.bob.subject)


def test_dispute_flow_checks_answers_then_confirms_with_reference_and_date(
    fresh: tuple[World, TestClient],
) -> None:
    world, client = fresh
    csrf = sign_in(client, world.alice.subject)
    record = world.alice.records[1]
    form = client.get(f"/records/{record}/dispute")
    assert 'name="statement"' in form.text
    empty = client.post(
        f"/records/{record}/dispute", data={"csrf": csrf, "step": "check", "statement": " "}
    )
    assert empty.status_code == 400
    assert 'role="alert"' in empty.text
    check = client.post(
        f"/records/{record}/dispute",
        data={"csrf": csrf, "step": "check", "statement": "I repaid this loan <early>."},
    )
    assert check.status_code == 200
    assert "I repaid this loan &lt;early&gt;." in check.text
    change = client.post(
        f"/records/{record}/dispute",
        data={"csrf": csrf, "step": "change", "statement": "I repaid this loan <early>."},
    )
    assert "I repaid this loan &lt;early&gt;.</textarea>" in change.text
    sent = client.post(
        f"/records/{record}/dispute",
        data={"csrf": csrf, "step": "send", "statement": "I repaid this loan early."},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    dispute_id = re.fullmatch(r"/disputes/([0-9a-f]{32})\?opened=1", sent.headers["location"])
    assert dispute_id
    page = client.get(sent.headers["location"])
    reference = "-".join(dispute_id.group(1)[k : k + 4] for k in (0, 4, 8)).upper()
    assert reference in page.text
    assert "Test Bank must answer by" in page.text
    store = node_of(client).store
    (opened,) = [d for d in store.disputes_of(world.alice.subject) if d.record_id == record]
    assert opened.id == dispute_id.group(1)
    assert f"#{opened.opened_idx}" in page.text
    # on the log: the entry about Alice at that index is a dispute.open
    rights = People.open(node_of(client)).rights
    entries = {e.index: e.kind for e in rights.entries_of(world.alice.subject)}
    assert entries[opened.opened_idx] == "dispute.open"


def test_revoking_a_consent_makes_the_next_read_refused_and_visible(
    fresh: tuple[World, TestClient],
) -> None:
    world, client = fresh
    csrf = sign_in(client, world.alice.subject)
    consent = world.alice.consent
    ask = client.post(f"/consents/{consent}/revoke", data={"csrf": csrf})
    assert 'name="confirm" value="yes"' in ask.text
    assert node_of(client).store.get_consent(consent).revoked_idx is None  # type: ignore[union-attr]
    done = client.post(f"/consents/{consent}/revoke", data={"csrf": csrf, "confirm": "yes"})
    assert done.status_code == 200
    assert "Revoked" in done.text
    people = People.open(node_of(client))
    read = people.reads.read(
        ReadRequest("bank", ALICE, "credit_assessment", ("consent", consent), ("finance",), DIGEST)
    )
    assert read.decision.outcome == "refused"
    page = client.get("/access")
    assert "You had revoked the consent" in page.text


def test_programme_enrol_withdraw_and_erasure_with_its_confirmation(
    fresh: tuple[World, TestClient],
) -> None:
    world, client = fresh
    csrf = sign_in(client, world.bob.subject)
    store = node_of(client).store
    client.post("/programme/withdraw", data={"csrf": csrf, "confirm": "yes"})
    assert not store.is_enrolled(world.bob.subject)
    assert "You are not in the credit programme" in client.get("/score").text
    client.post("/programme/enrol", data={"csrf": csrf})
    assert store.is_enrolled(world.bob.subject)
    export = client.get("/data/export.json")
    assert export.headers["content-disposition"].startswith("attachment")
    assert len(export.json()["records"]) == 3
    refused = client.post("/data/erase", data={"csrf": csrf})
    assert refused.status_code == 400
    assert store.is_known(world.bob.subject)
    erased = client.post("/data/erase", data={"csrf": csrf, "understood": "yes"})
    assert erased.status_code == 200
    assert "Your data is erased" in erased.text
    assert client.get("/score", follow_redirects=False).status_code == 303
    assert store.is_subject_erased(world.bob.subject)


def test_no_national_id_in_any_url_page_or_log_line(
    client: TestClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sign_in(client, world.alice.subject)
    seen: list[str] = []
    for path in own_pages(world):
        r = client.get(path)
        seen.append(str(r.url))
        seen.extend(re.findall(r'(?:href|action|src)="([^"]+)"', r.text))
        for nid in (ALICE, BOB):
            assert nid not in r.text, path
    for nid in (ALICE, BOB):
        assert not [u for u in seen if nid in u]
        assert nid not in caplog.text


def test_language_follows_the_browser_and_the_switch(client: TestClient) -> None:
    assert '<html lang="th">' in client.get("/", headers={"accept-language": "th-TH"}).text
    zh = client.get("/", headers={"accept-language": "zh-TW,zh;q=0.8"})
    assert '<html lang="zh-Hant">' in zh.text
    assert '<html lang="en">' in client.get("/", headers={"accept-language": "fr"}).text
    switched = client.get("/lang/zh_Hans?next=/consortium", follow_redirects=False)
    assert switched.headers["location"] == "/consortium"
    assert client.get("/", headers={"accept-language": "th"}).text.count('lang="zh-Hans"') >= 1
    assert '<html lang="zh-Hans">' in client.get("/", headers={"accept-language": "th"}).text
    for target in ("//evil.example/", "https://evil.example/", "/\\evil"):
        r = client.get("/lang/th", params={"next": target}, follow_redirects=False)
        assert r.headers["location"] == "/", target


def test_signed_out_forms_carry_a_token_bound_to_a_cookie(client: TestClient) -> None:
    page = client.get("/register")
    token = csrf_of(page.text)
    assert client.cookies.get("credo_form") == token  # plain HTTP on localhost: no __Host-
    r = client.post("/register", data={"csrf": "forged", "code": "AAAA-BBBB-CCCC"})
    assert r.status_code == 403
    r = client.post("/register", data={"csrf": token, "code": "AAAA-BBBB-CCCC"})
    assert r.status_code == 400
    assert "not valid" in r.text


def test_the_log_check_lists_entries_a_page_at_a_time(client: TestClient, world: World) -> None:
    from credo.portal.routes.data import ENTRIES_PER_PAGE

    sign_in(client, world.alice.subject)
    total = len(node_of(client).store.entries_of(world.alice.subject))
    first = client.get("/entries")
    shown = re.findall(r'<li data-index="(\d+)"', first.text)
    assert len(shown) == min(total, ENTRIES_PER_PAGE)
    assert shown == sorted(shown, key=int, reverse=True)  # newest first
    beyond = client.get("/entries", params={"page": 99})
    assert beyond.status_code == 200
    assert client.get("/entries", params={"page": 0}).status_code == 422


def test_a_thai_statement_of_2000_characters_is_accepted(fresh: tuple[World, TestClient]) -> None:
    """The form's limit counted bytes: 2,000 Thai characters are 6,000 bytes in UTF-8 and
    18,000 percent-encoded, past the old 16 KiB, so the portal refused what the page offers.
    Characters are counted now; one more than 2,000, or a statement of zero-width spaces, is
    still refused."""
    world, client = fresh
    csrf = sign_in(client, world.alice.subject)
    record = world.alice.records[2]
    thai = ("ฉันชำระเงินกู้นี้ครบแล้ว" * 100)[:2000]
    assert len(thai) == 2000
    assert len(thai.encode()) == 6000
    check = client.post(
        f"/records/{record}/dispute", data={"csrf": csrf, "step": "check", "statement": thai}
    )
    assert check.status_code == 200, check.text
    sent = client.post(
        f"/records/{record}/dispute",
        data={"csrf": csrf, "step": "send", "statement": thai},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    for bad in (thai + "ก", "\u200b" * 50, "ไม่ใช่\u202eของฉัน"):
        refused = client.post(
            f"/records/{world.alice.records[1]}/dispute",
            data={"csrf": csrf, "step": "check", "statement": bad},
        )
        assert refused.status_code == 400
        assert 'role="alert"' in refused.text
