"""Public consultations through the services: opening, statements, votes, moderation,
translations, erasure and replay, and every bad input refused with nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from credo.errors import CredoError, EntryRejected, InputError, NotFound, RateLimited
from credo.ledger.keys import MemberKey
from credo.ledger.replay import verify_store
from credo.services.consultations import LIMITS, Consultations, graphemes, moment
from credo.services.node import DataDir, Node, admit_member
from credo.services.people import People

CID = "streets-2027"
QUESTION = {"en": "How should we share the streets?", "th": "เราควรแบ่งถนนกันอย่างไร"}


class World:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.people = People.open(node)
        self.c = Consultations(self.people)
        self.council: MemberKey = admit_member(
            node, "council", "Council", "government", ["convener"]
        )
        self.subjects = [node.vault.ensure_subject(f"CONS{n:04d}") for n in range(8)]

    def open(self, cid: str = CID, moderation: str = "post", **kw: object) -> None:
        self.c.open(
            "council",
            self.council,
            cid,
            QUESTION,
            closes_at=moment(30),
            moderation=moderation,
            opens_at=moment(-1),
            moderators=["watch"],
            **kw,  # type: ignore[arg-type]
        )

    def size(self) -> int:
        return self.node.store.tree_size()


@pytest.fixture
def world(data_dir: Path) -> Iterator[World]:
    node = Node(DataDir(data_dir)).start()
    yield World(node)
    node.close()


def test_a_person_writes_votes_changes_and_withdraws(world: World) -> None:
    world.open()
    alice, bob = world.subjects[:2]
    sid = world.c.submit_statement(alice, CID, "zh-Hans", "街道应该让孩子安全步行")
    assert world.c.mine(alice, CID, "en")["statements"][0]["fate"] == "published"
    shown, capped = world.c.next_statement(bob, CID, "zh-Hant", 0)
    assert shown is not None
    assert not capped
    assert shown.translator == "automatic"
    assert shown.text == "街道應該讓孩子安全步行"
    assert shown.original == "街道应该让孩子安全步行"
    world.c.vote(bob, CID, sid, "agree", "zh-Hant")
    assert world.node.store.get_statement(sid).agree == 1  # type: ignore[union-attr]
    world.c.vote(bob, CID, sid, "disagree", "zh-Hant")
    s = world.node.store.get_statement(sid)
    assert s is not None
    assert (s.agree, s.disagree) == (0, 1)
    mine = world.c.mine(bob, CID, "en")
    assert [v["vote"] for v in mine["votes"]] == ["disagree"]
    assert mine["votes"][0]["shown"] == "zh-Hant"
    assert world.c.next_statement(bob, CID, "en", 0) == (None, False)  # voted on all
    world.c.vote(bob, CID, sid, "withdraw", "zh-Hant")
    assert world.c.mine(bob, CID, "en")["votes"] == []
    assert world.node.store.get_statement(sid).disagree == 0  # type: ignore[union-attr]
    verify_store(world.node.store, opener=world.node.vault)


def test_participant_ids_are_per_consultation_and_per_person(world: World) -> None:
    world.open()
    world.open("parks-2027")
    alice, bob = world.subjects[:2]
    a1, a2 = world.c.participant(alice, CID), world.c.participant(alice, "parks-2027")
    assert a1 != a2
    assert a1 == world.c.participant(alice, CID)
    assert world.c.participant(bob, CID) != a1


def test_routing_shows_fewest_votes_first_and_caps_a_visit(world: World) -> None:
    world.open()
    a, b, c = world.subjects[:3]
    first = world.c.submit_statement(a, CID, "en", "More trees on every street")
    second = world.c.submit_statement(a, CID, "en", "Fewer cars in the old town")
    world.c.vote(b, CID, first, "agree", "en")
    shown, _ = world.c.next_statement(c, CID, "en", 0)
    assert shown is not None
    assert shown.id == second
    assert world.c.next_statement(c, CID, "en", 20) == (None, True)


def test_pre_review_holds_statements_until_a_moderator_accepts(world: World) -> None:
    world.open(moderation="pre")
    a, b = world.subjects[:2]
    sid = world.c.submit_statement(a, CID, "th", "ควรมีทางจักรยานที่ปลอดภัย")
    assert world.c.next_statement(b, CID, "en", 0) == (None, False)
    assert world.c.mine(a, CID, "en")["statements"][0]["fate"] == "waiting"
    queue = world.c.review_queue("watch", CID)
    assert [q["item"] for q in queue] == [sid]
    assert "participant" not in queue[0]
    world.c.moderate(
        "watch",
        MemberKey.load(DataDir(world.node.data.root).member_key("watch")),
        CID,
        sid,
        "accept",
    )
    assert world.c.mine(a, CID, "en")["statements"][0]["fate"] == "published"


def test_rejection_reason_reaches_the_author_and_the_log_holds_no_text(world: World) -> None:
    world.open()
    a = world.subjects[0]
    sid = world.c.submit_statement(a, CID, "en", "Buy cheap watches at example dot com")
    world.c.moderate("council", world.council, CID, sid, "reject", "spam")
    mine = world.c.mine(a, CID, "en")["statements"][0]
    assert (mine["fate"], mine["reason"]) == ("rejected", "spam")
    log = world.c.moderation_log(CID)
    assert log["counts"] == [{"decision": "reject", "reason": "spam", "count": 1}]
    assert "watches" not in repr(log)
    assert log["median_hours"] is not None
    with pytest.raises(InputError) as refused:
        world.c.vote(world.subjects[1], CID, sid, "agree", "en")
    assert refused.value.code == "statement_not_shown"


def test_enough_flags_hide_a_statement_until_reviewed(world: World) -> None:
    world.open()
    a = world.subjects[0]
    sid = world.c.submit_statement(a, CID, "en", "You are all idiots")
    for s in world.subjects[1:4]:
        world.c.flag(s, CID, sid, "abusive")
    assert world.node.store.get_statement(sid).status == "hidden"  # type: ignore[union-attr]
    assert world.c.statements(CID, "en") == []
    with pytest.raises(InputError):
        world.c.flag(world.subjects[1], CID, sid, "abusive")


def test_translations_proposed_by_people_and_accepted_by_a_moderator(world: World) -> None:
    world.open()
    a, b = world.subjects[:2]
    sid = world.c.submit_statement(a, CID, "en", "Streets are for people")
    tid = world.c.propose_translation(b, CID, sid, "th", "ถนนมีไว้สำหรับผู้คน")
    assert world.c.statements(CID, "th")[0].translator is None  # not yet accepted
    world.c.moderate("council", world.council, CID, tid, "accept")
    shown = world.c.statements(CID, "th")[0]
    assert (shown.text, shown.translator, shown.original) == (
        "ถนนมีไว้สำหรับผู้คน",
        "volunteer",
        "Streets are for people",
    )
    mine = world.c.propose_translation(a, CID, sid, "zh-Hans", "街道属于人们")
    world.c.moderate("council", world.council, CID, mine, "accept")
    assert world.c.statements(CID, "zh-Hans")[0].translator == "author"


def test_grapheme_limits_are_per_language() -> None:
    assert graphemes("👨‍👩‍👧") == 1
    assert graphemes("สวัสดีครับ") == 7
    assert LIMITS["zh-Hans"] < LIMITS["th"] < LIMITS["en"]


@pytest.mark.parametrize(
    ("lang", "text", "code"),
    [
        ("en", "", "empty_statement"),
        ("en", "   \n ", "empty_statement"),
        ("en", "\u200b\u200d\u2060\ufeff", "empty_statement"),
        ("th", "\u0e31\u0e48\u0301", "empty_statement"),
        ("en", "x" * 281, "statement_too_long"),
        ("zh-Hans", "中" * 141, "statement_too_long"),
        ("th", "ก" * 201, "statement_too_long"),
        ("en", "bell\x07", "bad_statement"),
        ("xx", "hello", "bad_language"),
    ],
)
def test_bad_statements_are_refused_and_nothing_is_written(
    world: World, lang: str, text: str, code: str
) -> None:
    world.open()
    before = world.size()
    with pytest.raises(InputError) as refused:
        world.c.submit_statement(world.subjects[0], CID, lang, text)
    assert refused.value.code == code
    assert world.size() == before


def test_a_limit_long_statement_in_emoji_counts_graphemes_not_code_points(world: World) -> None:
    world.open()
    world.c.submit_statement(world.subjects[0], CID, "en", "👨‍👩‍👧" * 280)


def test_votes_on_closed_unknown_or_rejected_are_refused(world: World) -> None:
    world.open()
    a, b = world.subjects[:2]
    sid = world.c.submit_statement(a, CID, "en", "Plant more trees")
    before = world.size()
    bad: list[tuple[str, str, str]] = [
        (CID, "0" * 32, "unknown_statement"),
        ("no-such-thing", sid, "unknown_consultation"),
        (CID, sid, "bad_vote"),
    ]
    for cid, statement, code in bad:
        with pytest.raises(CredoError) as refused:
            world.c.vote(b, cid, statement, "maybe" if code == "bad_vote" else "agree", "en")
        assert refused.value.code == code
    with pytest.raises(InputError) as refused:
        world.c.vote(b, CID, sid, "withdraw", "en")
    assert refused.value.code == "no_vote"
    world.c.close("council", world.council, CID)
    after_close = world.size()
    with pytest.raises(InputError) as refused:
        world.c.vote(b, CID, sid, "agree", "en")
    assert refused.value.code == "consultation_closed"
    assert world.size() == after_close == before + 1


def test_the_ledger_refuses_a_vote_with_someone_elses_participant_id(world: World) -> None:
    """A second account (or a faulty service) voting as someone else: refused by the
    ledger itself, nothing written."""
    world.open()
    a, b, mallory = world.subjects[:3]
    sid = world.c.submit_statement(a, CID, "en", "Plant more trees")
    meta = {
        "consultation": CID,
        "participant": world.c.participant(b, CID),
        "statement": sid,
        "vote": "disagree",
        "shown": "en",
    }
    before = world.size()
    with pytest.raises(EntryRejected) as refused:
        world.people.submit_personal("consultation.vote", mallory, meta)
    assert refused.value.code == "bad_participant"
    assert world.size() == before
    assert world.node.store.get_statement(sid).disagree == 0


def test_a_flood_of_statements_is_rate_limited(world: World) -> None:
    world.open()
    a = world.subjects[0]
    for n in range(5):
        world.c.submit_statement(a, CID, "en", f"Idea number {n}")
    before = world.size()
    with pytest.raises(RateLimited):
        world.c.submit_statement(a, CID, "en", "Idea number 6")
    assert world.size() == before
    world.c.submit_statement(world.subjects[1], CID, "en", "Someone else may still speak")


def test_erasure_removes_a_persons_votes_and_statements_and_replays_alike(world: World) -> None:
    world.open()
    a, b, c = world.subjects[:3]
    s_a = world.c.submit_statement(a, CID, "en", "Close the bridge to cars")
    s_b = world.c.submit_statement(b, CID, "en", "Open the bridge at night")
    world.c.vote(a, CID, s_b, "agree", "en")
    world.c.vote(c, CID, s_a, "agree", "en")
    world.c.vote(c, CID, s_b, "pass", "en")
    world.c.moderate("council", world.council, CID, s_a, "accept")
    world.people.rights.erase_subject(a)
    store = world.node.store
    assert store.get_statement(s_a) is None
    s = store.get_statement(s_b)
    assert s is not None
    assert (s.agree, s.passes) == (0, 1)
    assert [v.statement for v in store.votes_by(CID, world.c.participant(c, CID))] == [s_b]
    verify_store(store, opener=world.node.vault)
    verify_store(store)  # a stranger's replay: the public tables agree


def test_unknown_consultation_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.c.mine(world.subjects[0], "nothing-here", "en")


def test_only_a_convener_opens_and_a_moderator_moderates(world: World) -> None:
    bank = MemberKey.load(world.node.data.member_key("bank"))
    with pytest.raises(EntryRejected) as refused:
        world.c.open("bank", bank, "bank-asks", QUESTION, closes_at=moment(3))
    assert world.node.store.get_consultation("bank-asks") is None
    world.open()
    sid = world.c.submit_statement(world.subjects[0], CID, "en", "A fine idea")
    with pytest.raises(EntryRejected) as refused:
        world.c.moderate("bank", bank, CID, sid, "reject", "spam")
    assert refused.value.code == "not_moderator"
