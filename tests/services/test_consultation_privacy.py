"""Opinions stay private: what people said and voted in consultations reaches no member's
endpoint, no export to a member, no metric, no log line and no score, and a stranger's
linkage scan of the public log groups no two vote entries of one person better than chance.

People vote, change votes, write, flag and translate in two consultations, shuffled, through
the services; then the test plays each outsider in turn."""

from __future__ import annotations

import json
import logging
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from credo.api import create_app
from credo.api.httpsig import sign_request
from credo.ledger.categories import OPINION_KINDS, opinion_kind
from credo.ledger.entries import statement_of
from credo.services import rescorer
from credo.services.consultations import Consultations, moment
from credo.services.node import DataDir, Node, admit_member
from credo.services.people import People
from credo.settings import Settings
from tests._people import NID, grant, key_of, put_record, read
from tests.conftest import adopt_default_rules
from tests.services.test_people import _fields

VOTERS = 24
MARK = "kumquat-lighthouse"
"""In every statement's text: found in no member-facing answer or log line."""


class Crowd:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.c = Consultations(People.open(node))
        council = admit_member(node, "council", "Council", "government", ["convener"])
        for cid in ("alpha-2027", "beta-2027"):
            self.c.open(
                "council",
                council,
                cid,
                {"en": f"Question {cid}"},
                opens_at=moment(-1),
                closes_at=moment(30),
            )
        self.subjects = [node.vault.ensure_subject(f"VOTE{n:04d}") for n in range(VOTERS)]
        self.subjects[0] = node.vault.ensure_subject(NID)  # also has records a member reads
        rng = random.Random(20261207)
        statements: dict[str, list[str]] = {"alpha-2027": [], "beta-2027": []}
        for n, s in enumerate(self.subjects[:8]):
            for cid in statements:
                statements[cid].append(
                    self.c.submit_statement(s, cid, "en", f"{MARK} idea {n} in {cid}")
                )
        actions = []
        for s in self.subjects:
            for cid, ids in statements.items():
                for sid in rng.sample(ids, 3):
                    actions.append((s, cid, sid, rng.choice(("agree", "disagree", "pass"))))
        rng.shuffle(actions)
        for s, cid, sid, vote in actions:
            self.c.vote(s, cid, sid, vote, "en")
        for s, cid, sid, _ in actions[:20]:  # some change their minds
            self.c.vote(s, cid, sid, "agree", "en")
        self.participants = {
            self.c.participant(s, cid) for s in self.subjects for cid in statements
        }
        self.statements = statements


@pytest.fixture
def crowd(data_dir: Path, caplog: pytest.LogCaptureFixture) -> Iterator[tuple[Crowd, TestClient]]:
    caplog.set_level(logging.DEBUG)
    node = Node(DataDir(data_dir)).start()
    try:
        adopt_default_rules(node)
    finally:
        node.close()
    with TestClient(create_app(Settings(data_dir=data_dir, workers=0))) as client:
        put_record(client, data_dir, "bank", {"amount": 10})
        yield Crowd(client.app.state.node), client  # type: ignore[attr-defined]


def _secrets(crowd: Crowd) -> list[str]:
    return [*crowd.participants, *crowd.subjects, MARK]


def test_no_member_endpoint_export_metric_or_log_line_carries_an_opinion(
    crowd: tuple[Crowd, TestClient], data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    people, client = crowd
    bank = key_of(data_dir, "bank")
    answers: list[str] = []
    paths = client.get("/openapi.json").json()["paths"]
    routes = [p for p, ops in paths.items() if "get" in ops and "{" not in p]
    assert "/v1/kinds" in routes
    for path in routes:
        r = client.get(path, headers=sign_request(bank, "GET", path, b""))
        answers.append(r.text)
    size = people.node.store.tree_size()
    for index in range(size):  # every entry of the public log, as anyone reads it
        answers.append(client.get(f"/v1/entries/{index}").text)
    answers.append(client.get("/metrics").text)
    consent = grant(client, data_dir, "bank")  # the voter's records, read with consent
    granted = read(client, data_dir, "bank", ("consent", consent))
    assert granted.status_code == 200
    answers.append(granted.text)
    assert "consultation" not in json.dumps(granted.json()["records"])
    text = "\n".join(answers) + caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for secret in _secrets(people):
        assert secret not in text, secret[:8]
    for vote in ("disagree", '"agree"'):
        assert vote not in "\n".join(answers[-size - 2 : -2]), "a vote in clear on the log"


def test_no_score_reads_an_opinion() -> None:
    assert OPINION_KINDS
    assert all(opinion_kind(k) for k in OPINION_KINDS)
    assert not OPINION_KINDS & rescorer._SCORED_KINDS


def test_the_person_sees_their_own_votes_in_their_export(crowd: tuple[Crowd, TestClient]) -> None:
    people, _ = crowd
    export = people.c.people.rights.export_of(people.subjects[1]).to_json()
    kinds = Counter(e["kind"] for e in export["entries"])
    assert kinds["consultation.vote"] >= 6


def test_a_strangers_linkage_scan_links_no_two_votes_of_one_person(
    crowd: tuple[Crowd, TestClient],
) -> None:
    people, _ = crowd
    store = people.node.store
    votes = []
    for index, data in store.iter_entries():
        statement = statement_of(data)
        if statement["kind"] == "consultation.vote":
            subject = store.tag_subject(statement["body"]["tag"])
            assert subject is not None
            votes.append((index, data, subject))
    owners = Counter(subject for _, _, subject in votes)
    assert len(votes) >= VOTERS * 6
    chance = sum(math.comb(n, 2) for n in owners.values()) / math.comb(len(votes), 2)
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for _, data, subject in votes:
        for where, value in _fields(data):
            groups[(where, value)].append(subject)
    by_field: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (where, _), subjects in groups.items():
        by_field[where][0] += math.comb(len(subjects), 2)
        by_field[where][1] += sum(math.comb(n, 2) for n in Counter(subjects).values())
    assert {"body.tag", "body.sealed", "body.commitment", "at"} <= set(by_field)
    for where, (pairs, same) in by_field.items():
        bound = pairs * chance + 4 * math.sqrt(pairs * chance * (1 - chance)) + 1
        assert same <= bound, f"{where}: {same} of {pairs} pairs right, chance {chance:.3f}"
    # and no token longer than 16 characters recurs between two vote entries
    seen: dict[str, int] = {}
    for index, data, _ in votes:
        body = json.dumps(statement_of(data)["body"])
        for token in set(body.replace('"', " ").split()):
            if len(token) >= 16:
                assert token not in seen, (seen.get(token), index)
                seen[token] = index
