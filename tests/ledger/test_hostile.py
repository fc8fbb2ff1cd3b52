"""Hostile and malformed signed entries: each is refused alone with a code, before it gets a
position, and never fails the entries submitted beside it. One test per finding."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credo.errors import EntryRejected
from credo.ledger import verify_store
from credo.ledger.dsse import Signature, encode_envelope, payload_type_for, sign_envelope
from credo.ledger.entries import envelope_json, make_envelope, make_payload
from credo.ledger.sequencer import Accepted
from credo.services.node import Node
from tests._people import sealed
from tests.conftest import attestation, member_key


def _attestations(data_dir: Path, start: int, count: int, by: str = "uni") -> list[Any]:
    return [attestation(data_dir, n, by) for n in range(start, start + count)]


def _signed(data_dir: Path, by: str, payload: bytes, kind: str) -> dict[str, Any]:
    env = sign_envelope(payload_type_for(kind), payload, [member_key(data_dir, by)])
    return envelope_json(env)


def test_one_member_blocks_other_members_writes_with_an_impossible_at(
    client: TestClient, data_dir: Path
) -> None:
    """A signed entry whose `at` is 2026-02-30 passed the RFC 3339 pattern and failed the
    whole group commit in apply: 245 of 300 other members' attestations got a 500. It is now
    refused alone, at validation; the 300 beside it are accepted."""
    bad = envelope_json(
        make_envelope(
            "dispute.answer",
            "bank",
            {"id": "0" * 32, "outcome": "upheld", "evidence": "checked"},
            [member_key(data_dir, "bank")],
            at="2026-02-30T00:00:00Z",
        )
    )
    entries = [*_attestations(data_dir, 0, 150), bad, *_attestations(data_dir, 150, 150)]
    r = client.post("/v1/entries", json={"entries": entries})
    assert r.status_code == 207, r.text
    results = r.json()["results"]
    refused = [x for x in results if x["status"] != "accepted"]
    assert len(refused) == 1
    assert refused[0]["code"] == "schema"
    assert "at" in refused[0]["reason"]
    assert [x["status"] for x in results].index("rejected") == 150
    assert sum(x["status"] == "accepted" for x in results) == 300


def test_an_impossible_calendar_date_is_refused_in_every_timestamp(ledger: Node) -> None:
    for body, field in (
        (
            {
                "record_id": "1" * 32,
                "category": "finance",
                "type": "loan.repaid",
                "effective_at": "2026-02-30T00:00:00Z",
                "commitment": "3" * 64,
                "vault_key": "4" * 32,
            },
            "effective_at",
        ),
        (
            {
                "id": "5" * 32,
                "member": "bank",
                "purpose": "credit_assessment",
                "categories": ["finance"],
                "valid_from": "2026-01-01T00:00:00Z",
                "valid_until": "2027-02-29T00:00:00Z",  # 2027 is no leap year
            },
            "valid_until",
        ),
    ):
        kind = "record.put" if field == "effective_at" else "consent.grant"
        by = "bank" if kind == "record.put" else "operator"
        with pytest.raises(EntryRejected) as refused:
            ledger.submit_one(kind, by, sealed(ledger, kind, by, body))
        assert refused.value.code == "schema", refused.value
        assert field in refused.value.message


def test_an_at_outside_the_clock_window_is_refused(ledger: Node, data_dir: Path) -> None:
    """`at` is judged against the log's clock before the entry gets a position: a day and
    more in the past, or minutes in the future, is bad_time; old entries still replay."""
    now = time.time()
    for offset in (-2 * 86_400, 3_600):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + offset))
        digest = hashlib.sha256(f"window {offset}".encode()).hexdigest()
        env = make_envelope(
            "attestation.issue",
            "uni",
            {"digest": f"sha256:{digest}", "doc_type": "diploma"},
            [member_key(data_dir, "uni")],
            at=stamp,
        )
        outcome = ledger.submit([envelope_json(env)])[0]
        assert isinstance(outcome, EntryRejected)
        assert outcome.code == "bad_time"
    ledger.sequencer.clock = lambda: now + 3 * 86_400  # the log's clock, days later
    assert isinstance(ledger.submit(_attestations(data_dir, 10, 1))[0], EntryRejected)
    ledger.sequencer.clock = time.time
    assert verify_store(ledger.store, opener=ledger.vault).entries == ledger.store.tree_size()


def test_signed_statements_are_ambiguous_with_a_duplicate_key(ledger: Node, data_dir: Path) -> None:
    """A payload naming "by" twice was accepted, last value wins, so two JSON parsers read
    two different signed statements. Refused with duplicate_key, in the body too."""
    payload = make_payload(
        "attestation.issue", "uni", {"digest": "sha256:" + "a" * 64, "doc_type": "diploma"}
    )
    twice = payload.replace(b'"by":"uni"', b'"by":"bank","by":"uni"')
    assert twice != payload
    nested = payload.replace(b'"doc_type":"diploma"', b'"doc_type":"x","doc_type":"diploma"')
    spaced = payload.replace(b'"by":"uni"', b'"by" : "bank", "by" :"uni"')
    for n, raw in enumerate((twice, nested, spaced)):
        valid = _attestations(data_dir, 20 + 2 * n, 2)
        outcomes = ledger.submit([valid[0], _signed(data_dir, "uni", raw, "attestation.issue"),
                                  valid[1]])  # fmt: skip
        assert isinstance(outcomes[1], EntryRejected)
        assert outcomes[1].code == "duplicate_key"
        assert isinstance(outcomes[0], Accepted)
        assert isinstance(outcomes[2], Accepted)


def test_a_quote_and_colon_inside_a_string_is_not_a_duplicate_key(
    ledger: Node, data_dir: Path
) -> None:
    """The fast duplicate check counts key tokens; a string holding an escaped quote and a
    colon counts more tokens than keys, and the exact check then finds no duplicate."""
    body = {"digest": "sha256:" + "b" * 64, "doc_type": "diploma", "note": 'he said "x": y'}
    raw = make_payload("attestation.issue", "uni", body)
    assert b'\\":' in raw
    outcome = ledger.submit([_signed(data_dir, "uni", raw, "attestation.issue")])[0]
    assert isinstance(outcome, Accepted), outcome


def test_signed_statements_are_ambiguous_with_a_signature_listed_twice(
    ledger: Node, data_dir: Path
) -> None:
    env = make_envelope(
        "attestation.issue",
        "uni",
        {"digest": "sha256:" + "c" * 64, "doc_type": "diploma"},
        [member_key(data_dir, "uni")],
    )
    doubled = type(env)(env.payload_type, env.payload, (*env.signatures, env.signatures[0]))
    outcome = ledger.submit([json.loads(encode_envelope(doubled))])[0]
    assert isinstance(outcome, EntryRejected)
    assert outcome.code == "duplicate_signature"
    other = Signature(env.signatures[0].keyid, bytes(64))
    twice = type(env)(env.payload_type, env.payload, (env.signatures[0], other))
    outcome = ledger.submit([json.loads(encode_envelope(twice))])[0]
    assert isinstance(outcome, EntryRejected)
    assert outcome.code == "duplicate_signature"


def test_a_request_body_with_a_duplicate_key_is_refused(client: TestClient, data_dir: Path) -> None:
    one = json.dumps(attestation(data_dir, 40))
    body = f'{{"entries":[{one}],"entries":[{one}]}}'
    r = client.post("/v1/entries", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "duplicate_key"
    env = attestation(data_dir, 41)
    inner = json.dumps(env)[:-1] + f',"payload":"{env["payload"]}"}}'
    r = client.post(
        "/v1/entries",
        content=f'{{"entries":[{inner}]}}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "duplicate_key"


def test_a_consent_valid_until_an_impossible_date_is_a_4xx_not_a_500(
    client: TestClient, data_dir: Path
) -> None:
    """POST /v1/consents with valid_until 2027-02-30 passed the pattern and failed later
    with a 500."""
    from tests._people import NID, key_of, signed_post

    body = {
        "national_id": NID,
        "member": "bank",
        "purpose": "credit_assessment",
        "categories": ["finance"],
        "valid_until": "2027-02-30T00:00:00Z",
    }
    r = signed_post(client, key_of(data_dir, "operator"), "/v1/consents", body)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "bad_time"
    assert "valid_until" in r.json()["detail"]
