"""GET /v1/kinds: every entry kind with its payload's JSON Schema, roles and an example."""

from __future__ import annotations

import json

import jsonschema
from fastapi.testclient import TestClient

from credo.ledger import standard_kinds


def test_every_kind_is_listed_with_its_roles(client: TestClient) -> None:
    r = client.get("/v1/kinds")
    assert r.status_code == 200
    listed = {k["kind"]: k for k in r.json()}
    assert set(listed) == {k.name for k in standard_kinds()}
    assert listed["record.put"]["roles"] == ["recorder"]
    assert listed["record.put"]["payload_type"] == "application/vnd.credo.record.put+json"


def test_each_kind_has_a_schema_its_example_satisfies_and_the_ledger_accepts(
    client: TestClient,
) -> None:
    """The example validates against the published JSON Schema and against the ledger's own
    model of the payload (the schema is the one the ledger checks, not a copy)."""
    kinds = standard_kinds()
    for kind in kinds:
        r = client.get(f"/v1/kinds/{kind.name}")
        assert r.status_code == 200, kind.name
        described = r.json()
        jsonschema.validate(described["example"], described["payload_schema"])
        kinds.parse_payload(json.dumps(described["example"]).encode(), kind.name)
        assert described["example"]["kind"] == kind.name


def test_the_schema_refuses_what_the_ledger_refuses(client: TestClient) -> None:
    described = client.get("/v1/kinds/attestation.issue").json()
    bad = dict(described["example"], body={**described["example"]["body"], "extra": 1})
    try:
        jsonschema.validate(bad, described["payload_schema"])
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("an unknown body field passed the published schema")


def test_an_unknown_kind_is_404(client: TestClient) -> None:
    r = client.get("/v1/kinds/record.delete")
    assert r.status_code == 404
    assert r.json()["code"] == "unknown_kind"
