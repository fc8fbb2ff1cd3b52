"""The rules endpoints: nothing before adoption, then the document in force and its schema."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from credo.scoring import DEFAULT_RULES_BYTES, DEFAULT_RULES_HASH
from credo.services.node import DataDir, Node
from tests.conftest import adopt_default_rules


def test_rules_in_force_and_schema(client: TestClient, data_dir: Path) -> None:
    missing = client.get("/v1/rules")
    assert missing.status_code == 404
    assert missing.json()["code"] == "no_rules"
    ledger = Node(DataDir(data_dir)).start()
    try:
        adopt_default_rules(ledger)
    finally:
        ledger.close()
    found = client.get("/v1/rules").json()
    assert found["current"]["hash"] == DEFAULT_RULES_HASH
    assert found["current"]["document"].encode() == DEFAULT_RULES_BYTES
    schema = client.get("/v1/rules/schema").json()
    assert schema["$schema"].startswith("https://json-schema.org/draft/2020-12")
