"""The authorization matrix: every people's-data endpoint called as each member role, as an
unknown member, with a bad signature and unauthenticated. Only the intended cells succeed, and
every read by a member (granted or refused) is an access entry the person sees in the export.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credo.api.httpsig import sign_request
from credo.ledger.keys import MemberKey
from credo.services.node import DataDir, Node
from credo.services.people import People
from tests._people import NID, grant, key_of, put_record, read, signed_post

# operator: admin/issuer/voter; uni: issuer/recorder/reader (university); bank: recorder/
# reader/provider; clinic: recorder/reader (hospital); watch: voter/witness (civil society).
MEMBERS = ("operator", "uni", "bank", "clinic", "watch")
CALLERS = (*MEMBERS, "unknown", "bad_signature", "unauthenticated")

# Status (and problem code) each caller gets from each endpoint.
EXPECTED: dict[str, dict[str, tuple[int, str]]] = {
    "prepare": {
        "operator": (403, "role_not_allowed"),
        "uni": (422, "sector_not_allowed"),
        "bank": (200, ""),
        "clinic": (422, "sector_not_allowed"),
        "watch": (403, "role_not_allowed"),
    },
    "read": {
        "operator": (403, "role_not_allowed"),
        "uni": (403, "consent_other_member"),
        "bank": (200, ""),
        "clinic": (403, "consent_other_member"),
        "watch": (403, "role_not_allowed"),
    },
    "grant": {
        "operator": (201, ""),
        "uni": (403, "role_not_allowed"),
        "bank": (403, "role_not_allowed"),
        "clinic": (403, "role_not_allowed"),
        "watch": (403, "role_not_allowed"),
    },
    "revoke": {
        "operator": (200, ""),
        "uni": (403, "role_not_allowed"),
        "bank": (403, "role_not_allowed"),
        "clinic": (403, "role_not_allowed"),
        "watch": (403, "role_not_allowed"),
    },
}
for _row in EXPECTED.values():
    _row |= {
        "unknown": (401, "unknown_member"),
        "bad_signature": (401, "bad_signature"),
        "unauthenticated": (401, "unauthenticated"),
    }


def _call(
    client: TestClient, data_dir: Path, caller: str, path: str, body: dict[str, Any]
) -> tuple[int, str]:
    import json

    raw = json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if caller in MEMBERS:
        headers |= sign_request(key_of(data_dir, caller), "POST", path, raw)
    elif caller == "unknown":
        headers |= sign_request(MemberKey.generate(), "POST", path, raw)
    elif caller == "bad_signature":
        real = sign_request(key_of(data_dir, "bank"), "POST", path, raw)
        forged = sign_request(MemberKey.generate(), "POST", path, raw)
        headers |= real | {"Signature": forged["Signature"]}
    r = client.post(path, content=raw, headers=headers)
    code = r.json().get("code", "") if r.status_code >= 400 else ""
    return r.status_code, code


def test_authorization_matrix(client: TestClient, data_dir: Path) -> None:
    put_record(client, data_dir, "bank", {"amount": 10})
    consent = grant(client, data_dir, "bank")
    bodies = {
        "prepare": (
            "/v1/records/prepare",
            {"national_id": NID, "category": "finance", "type": "loan.repaid", "payload": {}},
        ),
        "read": (
            "/v1/access",
            {
                "national_id": NID,
                "purpose": "credit_assessment",
                "basis": {"type": "consent", "id": consent},
                "categories": ["finance"],
            },
        ),
        "grant": (
            "/v1/consents",
            {
                "national_id": NID,
                "member": "uni",
                "purpose": "service_provision",
                "categories": ["education"],
                "valid_until": "2099-01-01T00:00:00Z",
            },
        ),
    }
    got: dict[str, dict[str, tuple[int, str]]] = {name: {} for name in EXPECTED}
    for caller in CALLERS:
        for name, (path, body) in bodies.items():
            got[name][caller] = _call(client, data_dir, caller, path, body)
        fresh = grant(client, data_dir, "bank")  # each caller tries to revoke a live consent
        got["revoke"][caller] = _call(
            client, data_dir, caller, f"/v1/consents/{fresh}/revoke", {"reason": "by_person"}
        )
    assert got == EXPECTED

    # Every read by a member, granted or refused, is in the person's export; none by others.
    export = _export(data_dir, client)
    readers = sorted(a["member"] for a in export["access"])
    assert readers == sorted(MEMBERS)
    granted = [a for a in export["access"] if a["outcome"] == "granted"]
    assert [a["member"] for a in granted] == ["bank"]
    assert granted[0]["record_ids"] == [r["record_id"] for r in export["records"]]


def _export(data_dir: Path, client: TestClient) -> dict[str, Any]:
    people: People = client.app.state.people  # type: ignore[attr-defined]
    return people.rights.export(NID).to_json()


@pytest.mark.parametrize(
    "path",
    ["/log/checkpoint", "/v1/members", "/v1/members/bank", "/v1/proofs/inclusion?index=0&size=1"],
)
def test_public_log_endpoints_stay_public(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"category": "astrology", "type": "x.y"}, 422, "unknown_category"),
        ({"category": "health", "type": "visit.completed"}, 422, "sector_not_allowed"),
        ({"national_id": "no!"}, 400, "bad_national_id"),
        ({"national_id": "1" * 65}, 400, "bad_request"),
        ({"payload": {"x": "y" * 17_000}}, 413, "payload_too_large"),
        ({"payload": {"iris_scan": "..."}}, 422, "biometric_refused"),
        ({"unexpected": 1}, 400, "bad_request"),
    ],
)
def test_bad_input_is_a_clear_4xx_and_writes_nothing(
    client: TestClient, data_dir: Path, body: dict[str, Any], status: int, code: str
) -> None:
    full = {"national_id": NID, "category": "finance", "type": "loan.repaid", "payload": {}}
    size = client.get("/log/checkpoint").text.splitlines()[1]
    r = signed_post(client, key_of(data_dir, "bank"), "/v1/records/prepare", full | body)
    assert (r.status_code, r.json()["code"]) == (status, code)
    assert NID not in r.text
    assert client.get("/log/checkpoint").text.splitlines()[1] == size
    people: People = client.app.state.people  # type: ignore[attr-defined]
    assert people.vault.subject_ref(NID) is None


def test_malformed_reads_are_4xx_and_write_nothing(client: TestClient, data_dir: Path) -> None:
    put_record(client, data_dir, "bank", {"amount": 1})
    consent = grant(client, data_dir, "bank")
    size = client.get("/log/checkpoint").text.splitlines()[1]
    for kwargs in (
        {"purpose": "gossip"},
        {"categories": ("finance", "astrology")},
        {"nid": "??"},
    ):
        r = read(client, data_dir, "bank", ("consent", consent), **kwargs)  # type: ignore[arg-type]
        assert r.status_code in (400, 422), r.text
    assert client.get("/log/checkpoint").text.splitlines()[1] == size


def test_refused_read_points_at_its_access_entry(client: TestClient, data_dir: Path) -> None:
    consent = grant(client, data_dir, "bank")
    signed_post(client, key_of(data_dir, "operator"), f"/v1/consents/{consent}/revoke", {})
    r = read(client, data_dir, "bank", ("consent", consent))
    assert r.status_code == 403
    assert r.json()["code"] == "consent_revoked"
    entry = client.get(f"/v1/entries/{r.json()['access_index']}")
    assert entry.status_code == 200


def test_no_national_id_or_payload_in_logs(
    client: TestClient, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Capture every log record of a full flow, bad requests included."""
    marker = "tangerine-submarine-4412"
    caplog.set_level(logging.DEBUG)
    put_record(client, data_dir, "bank", {"note": marker})
    consent = grant(client, data_dir, "bank")
    assert read(client, data_dir, "bank", ("consent", consent)).status_code == 200
    signed_post(client, key_of(data_dir, "operator"), f"/v1/consents/{consent}/revoke", {})
    assert read(client, data_dir, "bank", ("consent", consent)).status_code == 403
    signed_post(
        client,
        key_of(data_dir, "bank"),
        "/v1/records/prepare",
        {"national_id": NID, "category": "nope", "type": "a.b", "payload": {"n": marker}},
    )
    people: People = client.app.state.people  # type: ignore[attr-defined]
    people.rights.export(NID).to_json()
    people.rights.erase(NID)
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for secret in (NID, NID.replace("-", ""), marker):
        assert secret not in text


def test_ledger_is_readable_without_the_vault(data_dir: Path) -> None:
    """Scoring and verification run on the ledger alone: no payload is ever needed."""
    led = Node(DataDir(data_dir)).start()
    try:
        assert led.store.records_of("0" * 32) == []
    finally:
        led.close()
