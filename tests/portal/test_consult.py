"""Consultations in the portal as plain forms (the browser test adds JavaScript): voting,
changing and withdrawing, writing, the person's own list checked against the log, and every
refusal writing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from credo.ledger.keys import MemberKey
from credo.services.consultations import Consultations, moment
from credo.services.node import admit_member
from credo.services.people import People
from tests.portal.conftest import World, _seed, node_of, portal_client, sign_in

CID = "streets-2027"


class Setup:
    def __init__(self, world: World, client: TestClient) -> None:
        self.world, self.client = world, client
        node = node_of(client)
        self.node = node
        self.service = Consultations(People.open(node))
        self.council: MemberKey = admit_member(
            node, "council", "City Council", "government", ["convener"]
        )
        self.service.open(
            "council",
            self.council,
            CID,
            {"en": "How should we share the streets?", "th": "เราควรแบ่งถนนกันอย่างไร"},
            opens_at=moment(-1),
            closes_at=moment(30),
            moderation="post",
        )
        bob = world.bob.subject
        self.zh = self.service.submit_statement(bob, CID, "zh-Hans", "街道应该让孩子安全步行")
        self.en = self.service.submit_statement(bob, CID, "en", "Fewer cars in the old town")
        tid = self.service.translate_as_moderator(
            "council", self.council, CID, self.zh, "th", "ถนนควรให้เด็กเดินได้อย่างปลอดภัย"
        )
        assert tid

    def size(self) -> int:
        return self.node.store.tree_size()


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    world = _seed(tmp_path / "data")
    with portal_client(world.root) as c:
        yield Setup(world, c)


def test_pages_render_in_every_language(setup: Setup) -> None:
    c = setup.client
    sign_in(c, setup.world.alice.subject)
    for code in ("th", "zh_Hans", "zh_Hant", "en"):
        c.cookies.set("credo_lang", code)
        for path in (
            "/consultations",
            f"/consultations/{CID}",
            f"/consultations/{CID}/write",
            f"/consultations/{CID}/mine",
            f"/consultations/{CID}/moderation",
            f"/consultations/{CID}/statements/{setup.en}/translate",
        ):
            r = c.get(path)
            assert r.status_code == 200, (code, path)
            assert "Content-Security-Policy" in r.headers


def test_a_thai_reader_sees_a_translation_with_its_translator(setup: Setup) -> None:
    c = setup.client
    sign_in(c, setup.world.alice.subject)
    c.cookies.set("credo_lang", "th")
    page = c.get(f"/consultations/{CID}").text
    assert "ถนนควรให้เด็กเดินได้อย่างปลอดภัย" in page  # fewest votes first: the first written
    assert "街道应该让孩子安全步行" in page  # the original, one tap away
    c.cookies.set("credo_lang", "zh_Hant")
    assert "街道應該讓孩子安全步行" in c.get(f"/consultations/{CID}").text  # OpenCC


def test_vote_change_withdraw_with_plain_forms_and_find_each_vote_on_the_log(
    setup: Setup,
) -> None:
    c, alice = setup.client, setup.world.alice.subject
    csrf = sign_in(c, alice)
    r = c.post(
        f"/consultations/{CID}/vote",
        follow_redirects=False,
        data={"csrf": csrf, "statement": setup.zh, "vote": "agree", "shown": "th", "n": "0"},
    )
    assert r.status_code == 303
    index = int(r.headers["location"].rsplit("voted=", 1)[1])
    assert f"#{index}" in c.get(r.headers["location"]).text
    mine = c.get(f"/consultations/{CID}/mine").text
    assert f'data-index="{index}"' in mine
    assert f'data-index="{index}"' in c.get("/entries").text  # the portal's log check
    r = c.post(
        f"/consultations/{CID}/vote",
        follow_redirects=False,
        data={
            "csrf": csrf,
            "statement": setup.zh,
            "vote": "disagree",
            "shown": "th",
            "next": f"/consultations/{CID}/mine",
        },
    )
    assert r.headers["location"] == f"/consultations/{CID}/mine"
    s = setup.node.store.get_statement(setup.zh)
    assert s is not None
    assert (s.agree, s.disagree) == (0, 1)
    c.post(
        f"/consultations/{CID}/vote",
        data={"csrf": csrf, "statement": setup.zh, "vote": "withdraw", "shown": "th"},
    )
    assert setup.node.store.get_statement(setup.zh).disagree == 0  # type: ignore[union-attr]
    exported = c.get("/data/export.json").json()["entries"]  # what `credo person verify` checks
    votes = [e for e in exported if e["kind"] == "consultation.vote"]
    assert index in [e["index"] for e in votes]
    assert {e["metadata"]["vote"] for e in votes} == {"agree", "disagree", "withdraw"}


def test_a_vote_in_the_background_answers_the_next_statement(setup: Setup) -> None:
    c = setup.client
    csrf = sign_in(c, setup.world.alice.subject)
    r = c.post(
        f"/consultations/{CID}/vote",
        headers={"x-credo-fetch": "1"},
        data={"csrf": csrf, "statement": setup.zh, "vote": "pass", "shown": "en", "n": "0"},
    )
    assert r.status_code == 200
    answer = r.json()
    assert "Fewer cars in the old town" in answer["html"]
    assert f"#{answer['index']}" in answer["html"]


def test_votes_without_session_or_token_or_as_another_session_write_nothing(
    setup: Setup,
) -> None:
    c = setup.client
    before = setup.size()
    form = {"statement": setup.zh, "vote": "agree", "shown": "en"}
    r = c.post(f"/consultations/{CID}/vote", data={"csrf": "x", **form}, follow_redirects=False)
    assert r.status_code == 401
    alice_csrf = sign_in(c, setup.world.alice.subject)
    for token in ("", "wrong"):
        r = c.post(f"/consultations/{CID}/vote", data={"csrf": token, **form})
        assert r.status_code == 403
    sign_in(c, setup.world.bob.subject)  # a second account posting Alice's form
    r = c.post(f"/consultations/{CID}/vote", data={"csrf": alice_csrf, **form})
    assert r.status_code == 403
    assert setup.size() == before


@pytest.mark.parametrize(
    ("statement", "vote", "status"),
    [("0" * 32, "agree", 404), ("nonsense", "agree", 404), (None, "maybe", 400)],
)
def test_votes_on_unknown_statements_or_bad_choices_are_refused(
    setup: Setup, statement: str | None, vote: str, status: int
) -> None:
    c = setup.client
    csrf = sign_in(c, setup.world.alice.subject)
    before = setup.size()
    r = c.post(
        f"/consultations/{CID}/vote",
        data={"csrf": csrf, "statement": statement or setup.zh, "vote": vote, "shown": "en"},
    )
    assert r.status_code == status
    assert setup.size() == before


def test_rejected_statements_and_closed_consultations_take_no_vote(setup: Setup) -> None:
    c = setup.client
    csrf = sign_in(c, setup.world.alice.subject)
    setup.service.moderate("council", setup.council, CID, setup.en, "reject", "off_topic")
    before = setup.size()
    form = {"csrf": csrf, "statement": setup.en, "vote": "agree", "shown": "en"}
    assert c.post(f"/consultations/{CID}/vote", data=form).status_code == 400
    setup.service.close("council", setup.council, CID)
    form["statement"] = setup.zh
    r = c.post(f"/consultations/{CID}/vote", data=form)
    assert r.status_code == 400
    assert setup.size() == before + 1  # the close only


@pytest.mark.parametrize("text", ["", "   ", "\u200b\u200b", "x" * 281])
def test_empty_or_over_long_statements_are_refused_on_the_form(setup: Setup, text: str) -> None:
    c = setup.client
    csrf = sign_in(c, setup.world.alice.subject)
    before = setup.size()
    r = c.post(f"/consultations/{CID}/statements", data={"csrf": csrf, "lang": "en", "text": text})
    assert r.status_code == 400
    assert 'aria-invalid="true"' in r.text
    assert setup.size() == before


def test_a_statement_is_written_then_listed_and_a_flood_is_refused(setup: Setup) -> None:
    c = setup.client
    csrf = sign_in(c, setup.world.alice.subject)
    for n in range(5):
        r = c.post(
            f"/consultations/{CID}/statements",
            follow_redirects=False,
            data={"csrf": csrf, "lang": "th", "text": f"ความคิดที่ {n}"},
        )
        assert r.status_code == 303
    assert "ความคิดที่ 4" in c.get(f"/consultations/{CID}/mine").text
    before = setup.size()
    r = c.post(
        f"/consultations/{CID}/statements", data={"csrf": csrf, "lang": "th", "text": "อีกหนึ่ง"}
    )
    assert r.status_code == 429
    assert setup.size() == before


def test_the_moderation_log_never_shows_a_rejected_text(setup: Setup) -> None:
    setup.service.moderate("council", setup.council, CID, setup.en, "reject", "off_topic")
    page = setup.client.get(f"/consultations/{CID}/moderation").text
    assert "Fewer cars" not in page
    assert "Off topic" in page


def test_a_proposal_informed_by_a_consultation_shows_it_on_the_consortium_page(
    setup: Setup,
) -> None:
    node = setup.node
    node.submit_one(
        "governance.propose",
        "operator",
        {"id": "retire-uni", "action": "retire_member", "params": {"id": "uni", "reason": "left"}},
    )
    setup.service.open(
        "council",
        setup.council,
        "leave-uni",
        {"en": "Should the university leave?"},
        opens_at=moment(-1),
        closes_at=moment(3),
        proposal="retire-uni",
    )
    page = setup.client.get("/consortium").text
    assert "/consultations/leave-uni" in page
    assert "Should the university leave?" in page
    assert "Informs proposal <code>retire-uni</code>" in page


def test_a_visit_is_capped_until_the_person_asks_for_more(setup: Setup) -> None:
    c = setup.client
    sign_in(c, setup.world.alice.subject)
    page = c.get(f"/consultations/{CID}?n=20").text
    assert 'href="/consultations/streets-2027?n=0"' in page
    assert 'name="vote"' not in page
    assert 'name="vote"' in c.get(f"/consultations/{CID}?n=0").text


def test_flagging_and_proposing_a_translation_through_the_forms(setup: Setup) -> None:
    c = setup.client
    csrf = sign_in(c, setup.world.alice.subject)
    r = c.post(
        f"/consultations/{CID}/flag",
        data={"csrf": csrf, "statement": setup.en, "reason": "off_topic", "n": "0"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert setup.node.store.get_statement(setup.en).flags == 1  # type: ignore[union-attr]
    before = setup.size()
    again = c.post(
        f"/consultations/{CID}/flag", data={"csrf": csrf, "statement": setup.en, "reason": "spam"}
    )
    assert again.status_code == 400
    assert setup.size() == before
    path = f"/consultations/{CID}/statements/{setup.en}/translate"
    same = c.post(path, data={"csrf": csrf, "lang": "en", "text": "Fewer cars"})
    assert same.status_code == 400
    assert setup.size() == before
    r = c.post(
        path, data={"csrf": csrf, "lang": "th", "text": "รถน้อยลงในเมืองเก่า"}, follow_redirects=False
    )
    assert r.status_code == 303
    proposed = setup.node.store.translations_of(setup.en)
    assert [(t.lang, t.status, t.translator) for t in proposed] == [("th", "proposed", "volunteer")]
