"""The demo's public consultations: one open, informing a rules proposal, with statements in
all four languages, translations by their authors, volunteers and a moderator, a rejected
statement for the moderation log, and votes from a few thousand demo people; and one closed.

Called once the demo's people are on the log (`seed_consultations`); the demo's seeding
(`credo.demo.seed`) only hands over the node,
the subject refs of its people and the log's time. Votes go in batches through
`People.submit_batch` (one group commit per thousand), so a few thousand voters add seconds
to a seeding of about a minute, not minutes.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from typing import Any

from credo.ledger.entries import envelope_json, make_envelope
from credo.ledger.keys import MemberKey
from credo.ledger.schema import rfc3339
from credo.scoring import DEFAULT_RULES_BYTES
from credo.services.consultations import Consultations
from credo.services.node import Node
from credo.services.people import People

OPEN_ID = "city-streets-2027"
CLOSED_ID = "library-hours-2026"
PROPOSAL_ID = "rules-2027-streets"
GRANT_ID = "convener-rights-watch"
CONVENER = "rights-watch"
"""A civil-society member: governance grants it the convener role (``grant_role``)."""
MODERATORS = ("digital-rights-foundation",)
"""Named by the convener to moderate with it."""
VOTERS = 2_000
VOTES_EACH = 3
DAY = 86_400

QUESTION = {
    "en": "How should the city share its streets between walking, cycling and cars?",
    "th": "เมืองควรแบ่งถนนให้คนเดิน จักรยาน และรถยนต์อย่างไร",
    "zh-Hans": "城市应如何在步行、骑车和汽车之间分配街道？",
    "zh-Hant": "城市應如何在步行、騎車和汽車之間分配街道？",
}
DESCRIPTION = {
    "en": "What you say informs the consortium's vote on proposal rules-2027-streets.",
    "th": "ความเห็นของคุณใช้ประกอบการลงมติของภาคีในข้อเสนอ rules-2027-streets",
    "zh-Hans": "你的意见将为联盟对提案 rules-2027-streets 的投票提供参考。",
    "zh-Hant": "你的意見將為聯盟對提案 rules-2027-streets 的投票提供參考。",
}
STATEMENTS: list[tuple[str, str]] = [
    ("th", "ควรมีทางจักรยานที่แยกจากถนนรถยนต์ในทุกเขต"),
    ("th", "ทางเท้าต้องกว้างพอสำหรับรถเข็นและผู้สูงอายุ"),
    ("th", "ควรจำกัดความเร็วรถในย่านโรงเรียนไว้ที่ 30 กม./ชม."),
    ("zh-Hans", "街道应该让孩子能安全地步行上学"),
    ("zh-Hans", "老城区应该在周末禁止汽车通行"),
    ("zh-Hant", "公車專用道應該延長到晚上十點"),
    ("zh-Hant", "每個路口都應該有無障礙的行人號誌"),
    ("en", "Parking spaces should become trees and benches where streets are narrow"),
    ("en", "Bike returns on time should keep counting toward the civic credit score"),
    ("en", "Delivery vans need loading zones so they stop blocking cycle lanes"),
]
TRANSLATIONS: dict[int, list[tuple[str, str, str]]] = {
    # statement index: (language, text, who) — who: author | volunteer | moderator
    0: [("en", "Every district should have bike lanes separated from car traffic", "volunteer")],
    3: [
        ("th", "ถนนควรให้เด็ก ๆ เดินไปโรงเรียนได้อย่างปลอดภัย", "moderator"),
        ("en", "Streets should let children walk to school safely", "author"),
    ],
    5: [("en", "Bus lanes should run until ten at night", "moderator")],
    7: [
        ("th", "ที่จอดรถควรกลายเป็นต้นไม้และม้านั่งในที่ที่ถนนแคบ", "volunteer"),
        ("zh-Hans", "在狭窄的街道上，停车位应改为树木和长椅", "moderator"),
    ],
}
SPAM = ("en", "Cheap watches, best price, visit our shop today")
CLOSED_QUESTION = {
    "en": "Should the public libraries open on Sunday mornings?",
    "th": "ห้องสมุดประชาชนควรเปิดเช้าวันอาทิตย์หรือไม่",
    "zh-Hans": "公共图书馆应该在周日上午开放吗？",
    "zh-Hant": "公共圖書館應該在週日上午開放嗎？",
}
CLOSED_STATEMENTS = [
    ("en", "Sunday mornings are when working parents can bring their children"),
    ("th", "ควรเปิดวันอาทิตย์แต่ปิดวันจันทร์แทน"),
    ("zh-Hans", "周日开放需要给员工额外的补贴"),
]


def seed_consultations(
    node: Node, subjects: list[str], now: float, seed: int = 2027
) -> dict[str, Any]:
    """Open and fill the demo's two consultations at the log's time ``now`` (the entries are
    dated within its last hour); ``subjects`` are the demo people's refs (the erased are
    skipped). Returns what was written, for the demo's summary and its tests."""
    rng = random.Random(seed)  # noqa: S311 (a reproducible demo, not a secret)
    people = People.open(node)
    service = Consultations(people)
    keys: dict[str, MemberKey] = {}

    def key(member: str) -> MemberKey:
        if member not in keys:
            keys[member] = MemberKey.load(node.data.member_key(member))
        return keys[member]

    def signed(kind: str, by: str, body: dict[str, Any], at: str) -> dict[str, Any]:
        return envelope_json(make_envelope(kind, by, body, [key(by)], at=at))

    at: Callable[[float], str] = lambda minutes: rfc3339(now - 3600 + minutes * 60)  # noqa: E731
    live = [s for s in subjects if people.vault.participant(s, OPEN_ID) is not None]
    if len(live) < 20:
        return {"statements": 0, "votes": 0}
    _grant_convener(node, people, signed, at(0))
    proposal = {
        "id": PROPOSAL_ID,
        "action": "adopt_rules",
        "params": {"document": DEFAULT_RULES_BYTES.decode()},
        "rationale": "Keep the rules, and ask the public first how the streets should be shared.",
    }
    opened = {
        "id": OPEN_ID,
        "question": QUESTION,
        "description": DESCRIPTION,
        "opens_at": rfc3339(now - DAY),
        "closes_at": rfc3339(now + 30 * DAY),
        "moderation": "post",
        "proposal": PROPOSAL_ID,
        "moderators": ["open-data-lab"] if node.store.get_member("open-data-lab") else [],
    }
    closed = {
        "id": CLOSED_ID,
        "question": CLOSED_QUESTION,
        "description": {},
        "opens_at": rfc3339(now - 2 * DAY),
        "closes_at": rfc3339(now + 10 * DAY),
        "moderation": "pre",
        "moderators": [],
    }
    people.submit_batch(
        [
            signed("governance.propose", CONVENER, proposal, at(1)),
            signed("consultation.open", CONVENER, opened, at(2)),
            signed("consultation.open", CONVENER, closed, at(2)),
        ]
    )
    authors = rng.sample(live, len(STATEMENTS) + 1)
    ids: list[str] = []
    envelopes = []
    for (lang, text), author in zip([*STATEMENTS, SPAM], authors, strict=True):
        item, env = service.statement_envelope(author, OPEN_ID, lang, text, at(3))
        ids.append(item)
        envelopes.append(env)
    closed_ids = []
    for (lang, text), author in zip(CLOSED_STATEMENTS, authors, strict=False):
        item, env = service.statement_envelope(author, CLOSED_ID, lang, text, at(3))
        closed_ids.append(item)
        envelopes.append(env)
    people.submit_batch(envelopes)
    decisions = [
        signed(
            "consultation.moderate",
            CONVENER,
            {"consultation": OPEN_ID, "item": ids[-1], "decision": "reject", "reason": "spam"},
            at(4),
        ),
        *(
            signed(
                "consultation.moderate",
                CONVENER,
                {
                    "consultation": CLOSED_ID,
                    "item": item,
                    "decision": "accept",
                    "reason": "meets_guidelines",
                },
                at(4),
            )
            for item in closed_ids
        ),
    ]
    for n, item in enumerate(ids[:4]):  # post-review: the first few reviewed and kept
        decisions.append(
            signed(
                "consultation.moderate",
                CONVENER,
                {
                    "consultation": OPEN_ID,
                    "item": item,
                    "decision": "accept",
                    "reason": "meets_guidelines",
                },
                at(4 + n / 10),
            )
        )
    people.submit_batch(decisions)
    translations, accept = _translations(service, people, signed, ids, authors, live, rng, at)
    people.submit_batch(translations)
    people.submit_batch(accept)
    votes = _votes(service, live, ids[:-1], rng, at(20), OPEN_ID, VOTERS, VOTES_EACH)
    votes += _votes(service, live, closed_ids, rng, at(20), CLOSED_ID, 200, 2)
    people.submit_batch(votes)
    people.submit_batch([signed("consultation.close", CONVENER, {"id": CLOSED_ID}, at(50))])
    return {"statements": len(ids) + len(closed_ids), "votes": len(votes)}


def _grant_convener(
    node: Node, people: People, signed: Callable[..., dict[str, Any]], at: str
) -> None:
    """Governance grants the convener role: the civil-society member proposes, and just
    enough voters to reach the quorum vote yes, in one group commit."""
    body = {
        "id": GRANT_ID,
        "action": "grant_role",
        "params": {"id": CONVENER, "role": "convener"},
    }
    seats = [m.id for m in node.store.list_members() if "voter" in m.roles and m.status == "active"]
    num, den = json.loads(node.store.get_meta("quorum") or "[2, 3]")
    needed = math.ceil(len(seats) * num / den)
    votes = [
        signed("governance.vote", member, {"proposal": GRANT_ID, "vote": "yes"}, at)
        for member in seats[:needed]
    ]
    people.submit_batch([signed("governance.propose", CONVENER, body, at), *votes])


def _translations(
    service: Consultations,
    people: People,
    signed: Callable[..., dict[str, Any]],
    ids: list[str],
    authors: list[str],
    live: list[str],
    rng: random.Random,
    at: Callable[[float], str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    proposed, accept = [], []
    for n, versions in TRANSLATIONS.items():
        for lang, text, who in versions:
            item = f"{rng.getrandbits(128):032x}"
            if who == "moderator":
                body = {
                    "consultation": OPEN_ID,
                    "statement": ids[n],
                    "id": item,
                    "lang": lang,
                    "text": text,
                }
                proposed.append(signed("consultation.translation", CONVENER, body, at(6)))
                continue
            person = authors[n] if who == "author" else rng.choice(live)
            meta = {
                "consultation": OPEN_ID,
                "participant": service.participant(person, OPEN_ID),
                "statement": ids[n],
                "id": item,
                "lang": lang,
                "text": text,
            }
            proposed.append(people.operator_envelope("consultation.translate", person, meta, at(6)))
            accept.append(
                signed(
                    "consultation.moderate",
                    CONVENER,
                    {
                        "consultation": OPEN_ID,
                        "item": item,
                        "decision": "accept",
                        "reason": "meets_guidelines",
                    },
                    at(7),
                )
            )
    return proposed, accept


def _votes(
    service: Consultations,
    live: list[str],
    ids: list[str],
    rng: random.Random,
    at: str,
    consultation: str,
    voters: int,
    each: int,
) -> list[dict[str, Any]]:
    """Each voter votes on a few statements, in the language they read (a demo person's
    language is not known here: drawn), with leanings so that the results have shape."""
    leaning = {s: rng.random() for s in ids}
    out = []
    for person in rng.sample(live, min(voters, len(live))):
        shown = rng.choice(("th", "th", "zh-Hans", "zh-Hant", "en"))
        for statement in rng.sample(ids, min(each, len(ids))):
            roll = rng.random()
            vote = "pass" if roll < 0.15 else "agree" if roll < leaning[statement] else "disagree"
            out.append(service.vote_envelope(person, consultation, statement, vote, shown, at))
    return out
