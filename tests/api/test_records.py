"""``POST /v1/records/prepare-batch``: many records prepared in one signed call, checked
before any is sealed, sealed all or none, and answered alike for known and unknown people."""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credo.api import create_app
from credo.api.routes.records import MAX_PREPARE_BATCH
from credo.ledger.dsse import sign_envelope
from credo.ledger.entries import envelope_json
from credo.services.node import DataDir, Node
from credo.services.people import People
from credo.settings import Settings
from tests._people import NID, key_of, put_record, signed_post

PATH = "/v1/records/prepare-batch"
UNKNOWN = "QQ-0000-1111"


@pytest.fixture
def client(data_dir: Path) -> Iterator[TestClient]:
    """NID is known (the university recorded a degree)."""
    Node(DataDir(data_dir)).start().close()
    with TestClient(create_app(Settings(data_dir=data_dir, workers=0))) as c:
        put_record(c, data_dir, "uni", {"grade": "A"}, "education", "degree.awarded")
        yield c


def _record(nid: str, amount: int = 100, **extra: Any) -> dict[str, Any]:
    return {
        "national_id": nid,
        "category": "finance",
        "type": "loan.repaid",
        "payload": {"amount": amount},
        "effective_at": "2026-01-01T00:00:00Z",
        **extra,
    }


def _sealed_payloads(data_dir: Path) -> int:
    with sqlite3.connect(DataDir(data_dir).vault) as conn:
        count: int = conn.execute("SELECT count(*) FROM vault_records").fetchone()[0]
    return count


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return len(value) if isinstance(value, str) else value


def test_a_batch_is_prepared_in_order_and_every_entry_is_accepted(
    client: TestClient, data_dir: Path
) -> None:
    key = key_of(data_dir, "bank")
    records = [_record(NID, n) for n in range(5)] + [_record(f"BN-{n:04d}", n) for n in range(5)]
    r = signed_post(client, key, PATH, {"records": records})
    assert r.status_code == 200, r.text
    entries = r.json()["entries"]
    assert len(entries) == len(records)
    envelopes = []
    for asked, prepared in zip(records, entries, strict=True):
        assert prepared["kind"] == "record.put"
        meta = json.loads(prepared["metadata"])
        assert meta["record_id"] == prepared["record_id"]
        assert meta["category"] == "finance"
        payload = base64.b64decode(prepared["payload"])
        assert asked["national_id"].encode() not in payload  # sealed, never in clear
        env = sign_envelope(prepared["payloadType"], payload, [key])
        envelopes.append(envelope_json(env))
    s = client.post("/v1/entries", json={"entries": envelopes})
    assert s.status_code == 200, s.text
    people = People.open(client.app.state.node)
    ref = people.known(NID)
    assert ref is not None
    bank = [row for row in people.store.records_of(ref) if row.member == "bank"]
    assert len(bank) == 5
    opened = [people.records.open(ref, row, set()).payload for row in bank]
    assert sorted(p["amount"] for p in opened if p is not None) == list(range(5))


def test_a_batch_answers_alike_for_known_and_unknown_people(
    client: TestClient, data_dir: Path
) -> None:
    key = key_of(data_dir, "bank")
    r = signed_post(client, key, PATH, {"records": [_record(NID), _record(UNKNOWN)]})
    assert r.status_code == 200, r.text
    known, unknown = r.json()["entries"]
    assert _shape(known) == _shape(unknown)
    assert People.open(client.app.state.node).known(UNKNOWN) is None  # prepared, not known


@pytest.mark.parametrize(
    ("bad", "status", "code"),
    [
        ({"category": "education", "type": "degree.awarded"}, 422, "sector_not_allowed"),
        ({"national_id": "not an id!"}, 400, "bad_national_id"),
        ({"effective_at": "2026-02-30T00:00:00Z"}, 400, "bad_time"),
        ({"amends": "0" * 32}, 400, "bad_request"),
    ],
)
def test_one_bad_record_refuses_the_batch_and_seals_nothing(
    client: TestClient, data_dir: Path, bad: dict[str, Any], status: int, code: str
) -> None:
    before = _sealed_payloads(data_dir)
    records = [_record(UNKNOWN), _record(NID), _record(NID) | bad]
    r = signed_post(client, key_of(data_dir, "bank"), PATH, {"records": records})
    assert (r.status_code, r.json()["code"]) == (status, code)
    assert _sealed_payloads(data_dir) == before
    assert People.open(client.app.state.node).subject_ref(UNKNOWN) is None


def test_a_batch_is_refused_to_a_member_without_the_recorder_role(
    client: TestClient, data_dir: Path
) -> None:
    r = signed_post(client, key_of(data_dir, "watch"), PATH, {"records": [_record(NID)]})
    assert (r.status_code, r.json()["code"]) == (403, "role_not_allowed")


def test_a_batch_has_bounds(client: TestClient, data_dir: Path) -> None:
    key = key_of(data_dir, "bank")
    empty = signed_post(client, key, PATH, {"records": []})
    assert (empty.status_code, empty.json()["code"]) == (400, "bad_request")
    many = [_record(f"BN-{n:05d}") for n in range(MAX_PREPARE_BATCH + 1)]
    over = signed_post(client, key, PATH, {"records": many})
    assert (over.status_code, over.json()["code"]) == (400, "bad_request")
    assert _sealed_payloads(data_dir) == 1  # the fixture's degree only


def test_a_batch_may_be_larger_than_a_single_signed_call(
    client: TestClient, data_dir: Path
) -> None:
    records = [_record(f"BN-{n:05d}", n) for n in range(MAX_PREPARE_BATCH)]
    body = json.dumps({"records": records}).encode()
    assert len(body) > 64 * 1024  # over every other signed call's limit
    r = signed_post(client, key_of(data_dir, "bank"), PATH, body)
    assert r.status_code == 200, r.text
    assert len(r.json()["entries"]) == MAX_PREPARE_BATCH
