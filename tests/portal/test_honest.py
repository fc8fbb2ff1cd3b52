"""Score pages that keep their promises: what a dispute does to the score is shown in figures
before it is sent (and is what happens), the levels are named apart from the members, each
level's threshold and benefits are listed, and an answered dispute shows the member's answer,
the person's own words and what to do next."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from credo.ledger.keys import MemberKey
from credo.services.disputing import dispute_preview
from credo.services.node import DataDir
from credo.services.people import People
from credo.services.programme import Programme
from tests.portal.conftest import World, node_of, sign_in


def _figures(html: str) -> tuple[int, int, int]:
    found = re.search(
        r"this record's (\d+) points? do(?:es)? not count: your score would go from (\d+) to (\d+)",
        html,
    )
    assert found, "no score preview on the page"
    points, before, after = (int(g) for g in found.groups())
    return points, before, after


def test_the_dispute_preview_gives_the_figures_that_then_happen(
    fresh: tuple[World, TestClient],
) -> None:
    world, client = fresh
    csrf = sign_in(client, world.alice.subject)
    record = world.alice.records[2]  # the newest repaid loan: it earns the most
    before_score = int(re.search(r'class="big">(\d+)', client.get("/score").text).group(1))
    points, before, after = _figures(client.get(f"/records/{record}").text)
    assert before == before_score
    assert points == before - after > 0
    assert _figures(client.get(f"/records/{record}/dispute").text) == (points, before, after)
    check = client.post(
        f"/records/{record}/dispute", data={"csrf": csrf, "step": "check", "statement": "Wrong."}
    )
    assert _figures(check.text) == (points, before, after)
    client.post(
        f"/records/{record}/dispute", data={"csrf": csrf, "step": "send", "statement": "Wrong."}
    )
    score_page = client.get("/score").text
    assert int(re.search(r'class="big">(\d+)', score_page).group(1)) == after
    assert "the points it earned do not count until the member answers" in score_page


def test_a_record_that_earns_nothing_says_disputing_changes_nothing(
    fresh: tuple[World, TestClient],
) -> None:
    world, client = fresh
    sign_in(client, world.alice.subject)
    people = People.open(node_of(client))
    preview = dispute_preview(people, world.alice.subject, "0" * 32)  # not one of hers
    assert preview is not None
    assert preview.points == 0
    assert dispute_preview(people, "f" * 32, world.alice.records[0]) is None  # not enrolled


def test_levels_are_not_called_members_and_each_shows_its_threshold(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.alice.subject)
    client.cookies.set("credo_lang", "en")
    page = client.get("/score").text
    assert "Starter level" in page
    for points in ("300 points", "350 points", "450 points", "600 points"):
        assert points in page
    assert "Rent a city bike without a deposit." in page
    assert "counting only your records about Getting around" in page
    client.cookies.set("credo_lang", "th")
    home = client.get("/").text
    assert "ระดับเริ่มต้น" in home
    assert "สมาชิก" not in re.sub(r"<[^>]+>", " ", home.split('class="big"')[1][:200])
    benefits = client.get("/benefits").text
    client.cookies.set("credo_lang", "en")
    benefits = client.get("/benefits").text
    assert "Counting only those records, your score is" in benefits
    assert "that is 350 points, counting only your records about" in benefits


def test_an_answered_dispute_shows_the_answer_the_statement_and_next_steps(
    fresh: tuple[World, TestClient],
) -> None:
    world, client = fresh
    node = node_of(client)
    assert world.bob.dispute is not None
    key = MemberKey.load(DataDir(world.root).member_key("bank"))
    Programme(People.open(node)).answer(
        key, "bank", world.bob.dispute, "upheld", "Paid late twice."
    )
    sign_in(client, world.bob.subject)
    client.cookies.set("credo_lang", "en")
    page = client.get(f"/disputes/{world.bob.dispute}").text
    assert "Paid late twice." in page  # the member's answer
    assert "Not mine." in page  # Bob's own statement, read back from the vault
    assert "ask the member for a review by a person" in page
    assert "The member checks the record and answers" not in page  # not the open steps
    assert "Contact Test Bank:" in page


def test_leaving_the_programme_first_says_what_is_lost_then_asks_again(
    fresh: tuple[World, TestClient],
) -> None:
    world, client = fresh
    csrf = sign_in(client, world.alice.subject)
    client.cookies.set("credo_lang", "en")
    store = node_of(client).store
    score = int(re.search(r'class="big">(\d+)', client.get("/score").text).group(1))
    asked = client.post("/programme/withdraw", data={"csrf": csrf})
    assert asked.status_code == 200
    assert store.is_enrolled(world.alice.subject)  # one tap deletes nothing
    assert f"your score of {score} and your level" in asked.text
    assert "This cannot be undone" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    left = client.post(
        "/programme/withdraw", data={"csrf": csrf, "confirm": "yes"}, follow_redirects=False
    )
    assert left.status_code == 303
    assert not store.is_enrolled(world.alice.subject)


def test_the_erasure_step_counts_what_it_destroys(client: TestClient, world: World) -> None:
    sign_in(client, world.alice.subject)
    client.cookies.set("credo_lang", "en")
    page = client.get("/data").text
    assert "3 records about you can never be read again" in page
    assert "the record of 1 access to your data can no longer be linked to you" in page
    assert re.search(r"your score of \d+ and its history are deleted", page)
