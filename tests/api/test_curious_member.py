"""The curious member: a member with no consent and no mandate learns nothing about a person
through any endpoint (not a ref, not a tag it could link, not whether credo knows them), and
every attempt that names a person credo knows is in that person's export."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credo.api import create_app
from credo.ledger.entries import statement_of
from credo.services.node import DataDir, Node
from credo.services.people import People
from credo.settings import Settings
from tests._people import NID, key_of, put_record, signed_post
from tests.conftest import adopt_default_rules

UNKNOWN = "QQ-0000-1111"
TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{16,}")


@pytest.fixture
def client(data_dir: Path) -> Iterator[TestClient]:
    """NID is known (the university recorded a degree); the rules offer benefits."""
    node = Node(DataDir(data_dir)).start()
    try:
        adopt_default_rules(node)
    finally:
        node.close()
    with TestClient(create_app(Settings(data_dir=data_dir, workers=0))) as c:
        put_record(c, data_dir, "uni", {"grade": "A"}, "education", "degree.awarded")
        yield c


def _people(client: TestClient) -> People:
    return People.open(client.app.state.node)


def _shape(value: Any) -> Any:
    """A JSON value with every string replaced by its length: what two answers share."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items() if k not in ("access_index", "detail")}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return len(value) if isinstance(value, str) else value


def _prepare(client: TestClient, data_dir: Path, nid: str) -> dict[str, Any]:
    body = {
        "national_id": nid,
        "category": "finance",
        "type": "loan.repaid",
        "payload": {"amount": 100},
        "effective_at": "2026-01-01T00:00:00Z",
    }
    r = signed_post(client, key_of(data_dir, "bank"), "/v1/records/prepare", body)
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    statement = json.loads(base64.b64decode(answer["payload"]))
    answer["statement"] = statement | {"at": "(the time)"}
    return answer


def test_preparing_a_record_says_nothing_and_creates_nobody(
    client: TestClient, data_dir: Path
) -> None:
    known, again, unknown = (_prepare(client, data_dir, n) for n in (NID, NID, UNKNOWN))
    assert _shape(known) == _shape(unknown)  # the same answer, field for field, length for length
    assert "subject" not in known
    tokens = [set(TOKEN.findall(json.dumps(a["statement"]["body"]))) for a in (known, again)]
    assert not tokens[0] & tokens[1]  # two preparations for one person share nothing
    people = _people(client)
    assert people.known(UNKNOWN) is None  # prepared, never submitted: nobody was created
    for attempt in (
        lambda: people.rights.export(UNKNOWN).to_json(),
        lambda: people.rights.erase(UNKNOWN),
    ):
        with pytest.raises(Exception, match="no data is held") as info:
            attempt()
        assert getattr(info.value, "code", None) == "unknown_subject"


def _answers(client: TestClient, data_dir: Path, path: str, body: dict[str, Any]) -> list[Any]:
    """The member's answers for the known and the unknown person."""
    out = []
    for nid in (NID, UNKNOWN):
        r = signed_post(client, key_of(data_dir, "bank"), path, body | {"national_id": nid})
        out.append((r.status_code, r.json()))
    return out


ATTEMPTS = {
    "read with a made-up consent": (
        "/v1/access",
        {
            "purpose": "credit_assessment",
            "basis": {"type": "consent", "id": "0" * 32},
            "categories": ["education"],
        },
        "unknown_consent",
    ),
    "read with a mandate it lacks": (
        "/v1/access",
        {
            "purpose": "legal_obligation",
            "basis": {"type": "mandate", "id": "no-such-mandate"},
            "categories": ["education"],
        },
        "unknown_mandate",
    ),
    "eligibility for another provider's benefit": (
        "/v1/benefits/bike-deposit-free/eligibility",
        {},
        "not_provider",
    ),
}


@pytest.mark.parametrize("attempt", ATTEMPTS.values(), ids=ATTEMPTS.keys())
def test_a_refused_attempt_looks_the_same_for_anyone_and_the_person_sees_it(
    client: TestClient, data_dir: Path, attempt: tuple[str, dict[str, Any], str]
) -> None:
    path, body, code = attempt
    (known_status, known), (unknown_status, unknown) = _answers(client, data_dir, path, body)
    assert known_status == unknown_status == 403
    assert known["code"] == unknown["code"] == code
    assert _shape(known) == _shape(unknown)
    people = _people(client)
    export = people.rights.export(NID).to_json()
    seen = [a for a in export["access"] if a["index"] == known["access_index"]]
    assert len(seen) == 1, export["access"]
    assert seen[0]["member"] == "bank"
    assert seen[0]["outcome"] == "refused"
    store = people.store
    logged = [store.read_entries(known["access_index"], 1)[0]]
    logged.append(store.read_entries(unknown["access_index"], 1)[0])
    statements = [statement_of(e) for e in logged]
    assert statements[0]["kind"] == statements[1]["kind"]
    assert _shape(statements[0]["body"]) == _shape(statements[1]["body"])
    ref = people.vault.subject_ref(NID)
    assert ref is not None
    assert ref.encode() not in b"".join(logged)
    assert store.tag_subject(statements[1]["body"]["tag"]) != ref  # a decoy names nobody


def test_member_only_endpoints_refuse_the_curious_member_alike(
    client: TestClient, data_dir: Path
) -> None:
    grant = {
        "member": "bank",
        "purpose": "credit_assessment",
        "categories": ["education"],
        "valid_until": "2099-01-01T00:00:00Z",
    }
    for path, body in (("/v1/consents", grant),):
        (s1, a1), (s2, a2) = _answers(client, data_dir, path, body)
        assert (s1, a1["code"]) == (s2, a2["code"]) == (403, "role_not_allowed")
    record = _people(client).store.records_of(_people(client).vault.subject_ref(NID) or "")[0]
    for record_id in (record.record_id, "f" * 32):  # the university's record, and none
        r = signed_post(
            client,
            key_of(data_dir, "bank"),
            "/v1/records/prepare-retraction",
            {"record_id": record_id, "reason": "entered_in_error"},
        )
        assert (r.status_code, r.json()["code"]) == (404, "unknown_record")
