"""Benefits (issue 4): a provider learns yes or no, only for its own benefit, and the question
is an access entry the person sees."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from credo.api import create_app
from credo.api.httpsig import sign_request
from credo.ledger.dsse import sign_envelope
from credo.ledger.entries import envelope_json
from credo.services.node import DataDir, Node, admit_member
from credo.services.people import People
from credo.services.programme import Programme
from credo.settings import Settings
from tests.conftest import adopt_default_rules, member_key

ALICE = "ID-ALICE-0001"  # enrolled, rides a lot
BOB = "ID-BOB-0002"  # enrolled, no records
CAROL = "ID-CAROL-0003"  # never enrolled
URL = "/v1/benefits/bike-deposit-free/eligibility"


@pytest.fixture
def programme_dir(data_dir: Path) -> Path:
    ledger = Node(DataDir(data_dir)).start()
    people = People.open(ledger)
    try:
        admit_member(ledger, "citybikes", "City Bikes", "transport", ["recorder", "provider"])
        adopt_default_rules(ledger)
        key = member_key(data_dir, "citybikes")
        now = datetime.now(UTC)
        for week in range(5):
            for day in range(7):
                when = (now - timedelta(days=7 * week + day, hours=1)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                )
                for type_ in ("bike.returned_on_time", "ride.completed", "ride.completed"):
                    people.records.put(key, "citybikes", ALICE, "mobility", type_, {}, when)
        prog = Programme(people)
        prog.enrol(ALICE)
        prog.enrol(BOB)
    finally:
        people.close()
        ledger.close()
    return data_dir


@pytest.fixture
def api(programme_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data_dir=programme_dir, workers=0))) as c:
        yield c


def ask(client: TestClient, data_dir: Path, member: str, national_id: str, url: str = URL):
    body = json.dumps({"national_id": national_id}).encode()
    headers = sign_request(member_key(data_dir, member), "POST", url, body)
    return client.post(url, content=body, headers={**headers, "content-type": "application/json"})


def _export(data_dir: Path, national_id: str) -> dict[str, object]:
    ledger = Node(DataDir(data_dir)).start()
    people = People.open(ledger)
    try:
        return people.rights.export(national_id).to_json()
    finally:
        people.close()
        ledger.close()


def test_provider_learns_yes_or_no_only(api: TestClient, programme_dir: Path) -> None:
    yes = ask(api, programme_dir, "citybikes", ALICE)
    assert yes.status_code == 200, yes.text
    assert yes.json()["eligible"] is True
    assert set(yes.json()) == {"benefit", "eligible", "access_index"}  # no score, no records
    assert ask(api, programme_dir, "citybikes", BOB).json()["eligible"] is False
    assert ask(api, programme_dir, "citybikes", CAROL).json()["eligible"] is False


def test_only_the_benefits_provider_may_ask(api: TestClient, programme_dir: Path) -> None:
    refused = ask(api, programme_dir, "bank", ALICE)
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_provider"
    unknown = ask(api, programme_dir, "citybikes", ALICE, "/v1/benefits/free-money/eligibility")
    assert unknown.status_code == 403
    assert unknown.json()["code"] == "unknown_benefit"


def test_a_member_without_the_provider_role_is_refused_and_its_question_logged(
    api: TestClient, programme_dir: Path
) -> None:
    """Regression: a member with no provider role got 422 not_provider and its question was
    not logged (the ledger refused the refused-question entry itself)."""
    refused = ask(api, programme_dir, "uni", ALICE)
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "not_provider"
    seen = [a for a in _export(programme_dir, ALICE)["access"] if a["member"] == "uni"]  # type: ignore[index, attr-defined]
    assert [(a["outcome"], a["reason"]) for a in seen] == [("refused", "not_provider")]


def test_unauthenticated_question_is_refused(api: TestClient) -> None:
    r = api.post(URL, json={"national_id": ALICE})
    assert r.status_code == 401
    assert r.json()["code"] == "unauthenticated"


def test_every_question_is_in_the_persons_export(api: TestClient, programme_dir: Path) -> None:
    ask(api, programme_dir, "citybikes", ALICE)
    ask(api, programme_dir, "bank", ALICE)
    accesses = _export(programme_dir, ALICE)["access"]
    assert isinstance(accesses, list)
    asked = [(a["member"], a["purpose"], a["outcome"]) for a in accesses]
    assert ("citybikes", "benefit:bike-deposit-free", "granted") in asked
    assert ("bank", "benefit:bike-deposit-free", "refused") in asked


def test_score_recomputed_on_each_new_record(api: TestClient, programme_dir: Path) -> None:
    ledger: Node = api.app.state.node  # type: ignore[attr-defined]
    store = ledger.store
    people = People.open(ledger)
    try:
        bob = people.vault.subject_ref(BOB)
    finally:
        people.close()
    assert bob is not None
    assert bob in store.list_enrolled()
    body = json.dumps(
        {"national_id": BOB, "category": "mobility", "type": "ride.completed", "payload": {}}
    ).encode()
    url = "/v1/records/prepare"
    headers = sign_request(member_key(programme_dir, "citybikes"), "POST", url, body)
    r = api.post(url, content=body, headers={**headers, "content-type": "application/json"})
    assert r.status_code == 200, r.text
    prepared = r.json()
    env = sign_envelope(
        prepared["payloadType"],
        base64.b64decode(prepared["payload"]),
        [member_key(programme_dir, "citybikes")],
    )
    done = api.post("/v1/entries", json={"entries": [envelope_json(env)]})
    assert done.status_code == 200, done.text
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the rescorer works off the write path
        row = store.get_score(bob)
        if row is not None and prepared["record_id"] in row.doc:
            break
        time.sleep(0.05)
    assert row is not None
    assert row.score == 301
