"""Helpers for the people's-data tests: signed API calls, records, consents."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from credo.api.httpsig import sign_request
from credo.ledger.dsse import sign_envelope
from credo.ledger.entries import envelope_json, statement_of
from credo.ledger.keys import MemberKey
from credo.ledger.personal import open_statement
from credo.services.node import DataDir

NID = "ZX-9876-5432"
FAR_FUTURE = "2099-01-01T00:00:00Z"


def key_of(data_dir: Path, member: str) -> MemberKey:
    return MemberKey.load(DataDir(data_dir).member_key(member))


def signed_post(
    client: TestClient, key: MemberKey | None, path: str, body: dict[str, Any] | bytes
) -> Response:
    """POST a JSON body signed (RFC 9421) with ``key``; unsigned when ``key`` is None."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if key is not None:
        headers |= sign_request(key, "POST", path, raw)
    return client.post(path, content=raw, headers=headers)


def put_record(
    client: TestClient,
    data_dir: Path,
    member: str,
    payload: dict[str, Any],
    category: str = "finance",
    type_: str = "loan.repaid",
    nid: str = NID,
) -> str:
    """Prepare over the API, sign the returned payload, submit it; returns the record id."""
    key = key_of(data_dir, member)
    body = {
        "national_id": nid,
        "category": category,
        "type": type_,
        "payload": payload,
    }
    r = signed_post(client, key, "/v1/records/prepare", body)
    assert r.status_code == 200, r.text
    prepared = r.json()
    env = sign_envelope(prepared["payloadType"], base64.b64decode(prepared["payload"]), [key])
    s = client.post("/v1/entries", json={"entries": [envelope_json(env)]})
    assert s.status_code == 200, s.text
    return str(prepared["record_id"])


def grant(
    client: TestClient,
    data_dir: Path,
    member: str,
    purpose: str = "credit_assessment",
    categories: tuple[str, ...] = ("finance",),
    valid_until: str = FAR_FUTURE,
    valid_from: str | None = None,
    nid: str = NID,
) -> str:
    body: dict[str, Any] = {
        "national_id": nid,
        "member": member,
        "purpose": purpose,
        "categories": list(categories),
        "valid_until": valid_until,
    }
    if valid_from is not None:
        body["valid_from"] = valid_from
    r = signed_post(client, key_of(data_dir, "operator"), "/v1/consents", body)
    assert r.status_code == 201, r.text
    return str(r.json()["consent_id"])


def read(
    client: TestClient,
    data_dir: Path,
    member: str,
    basis: tuple[str, str],
    purpose: str = "credit_assessment",
    categories: tuple[str, ...] = ("finance",),
    nid: str = NID,
) -> Response:
    body = {
        "national_id": nid,
        "purpose": purpose,
        "basis": {"type": basis[0], "id": basis[1]},
        "categories": list(categories),
    }
    return signed_post(client, key_of(data_dir, member), "/v1/access", body)


def sealed(
    node: Any, kind: str, by: str, meta: dict[str, Any], national_id: str = "TESTPERSON01"
) -> dict[str, Any]:
    """A personal entry's body as the vault seals it, for a person (reserved if new): what
    tests that submit entries straight to the ledger need in place of a raw body."""
    subject = node.vault.ensure_subject(national_id)
    s = node.vault.seal_meta(subject, kind, by, meta)
    return {"tag": s.tag, "sealed": s.sealed, "commitment": s.commitment}


def opened(node: Any, index: int) -> dict[str, Any]:
    """The sealed metadata of the personal entry at ``index``, opened by the node's vault."""
    got = open_statement(node.vault, statement_of(node.store.read_entries(index, 1)[0]))
    assert got is not None
    assert got.plaintext is not None
    meta: dict[str, Any] = json.loads(got.plaintext)
    return meta
