"""The rules endpoints: nothing before adoption, then the document in force and its schema."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from credo.ledger.node import DataDir, Ledger
from credo.scoring import DEFAULT_RULES_BYTES, DEFAULT_RULES_HASH


def test_rules_in_force_and_schema(client: TestClient, data_dir: Path) -> None:
    missing = client.get("/v1/rules")
    assert missing.status_code == 404
    assert missing.json()["code"] == "no_rules"
    ledger = Ledger(DataDir(data_dir))
    try:
        body = {
            "id": "rules-1",
            "action": "adopt_rules",
            "params": {"document": DEFAULT_RULES_BYTES.decode()},
        }
        ledger.submit_one("governance.propose", "operator", body)
        for voter in ("operator", "watch"):
            ledger.submit_one("governance.vote", voter, {"proposal": "rules-1", "vote": "yes"})
    finally:
        ledger.close()
    found = client.get("/v1/rules").json()
    assert found["current"]["hash"] == DEFAULT_RULES_HASH
    assert found["current"]["document"].encode() == DEFAULT_RULES_BYTES
    schema = client.get("/v1/rules/schema").json()
    assert schema["$schema"].startswith("https://json-schema.org/draft/2020-12")
