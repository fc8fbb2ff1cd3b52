"""Interoperability: the server accepts what independent implementations make.

- RFC 9421 request signatures made by `http-message-signatures`, not credo's signer;
- DSSE envelopes built and signed by `securesystemslib`, not credo's builder.
(That `credo.client` and Go's tlog verify the server's proofs is in tests/e2e.)
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import http_message_signatures as hms
import httpx
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner, SSlibKey

from tests._people import NID, grant, key_of, put_record


class _Keys(hms.HTTPSignatureKeyResolver):
    def __init__(self, private_key: Any) -> None:
        self.private_key = private_key

    def resolve_private_key(self, key_id: str) -> Any:
        return self.private_key

    def resolve_public_key(self, key_id: str) -> Any:
        return self.private_key.public_key()


def _signed_by_the_library(data_dir: Path, member: str, path: str, body: bytes) -> httpx.Request:
    key = key_of(data_dir, member)
    request = httpx.Request(
        "POST", f"http://testserver{path}", content=body,
        headers={"content-type": "application/json"},
    )  # fmt: skip
    signer = hms.HTTPMessageSigner(
        signature_algorithm=hms.algorithms.ED25519, key_resolver=_Keys(key.private_key)
    )
    signer.sign(
        request,
        key_id=key.key_id,
        created=datetime.now(UTC),
        nonce=secrets.token_urlsafe(18),
        label="sig1",
        covered_component_ids=("@method", "@path", "content-digest"),
        body=body,  # the library computes Content-Digest itself
    )
    return request


def test_a_request_signed_by_http_message_signatures_is_accepted(
    client: TestClient, data_dir: Path
) -> None:
    """A member read signed by an independent RFC 9421 implementation: authenticated,
    judged, logged. The same request tampered with after signing is refused."""
    put_record(client, data_dir, "bank", {"amount": 5})
    consent = grant(client, data_dir, "bank")
    body = json.dumps({
        "national_id": NID, "purpose": "credit_assessment",
        "basis": {"type": "consent", "id": consent}, "categories": ["finance"],
    }).encode()  # fmt: skip
    request = _signed_by_the_library(data_dir, "bank", "/v1/access", body)
    r = client.post("/v1/access", content=body, headers=dict(request.headers))
    assert r.status_code == 200, r.text
    assert r.json()["records"][0]["payload"] == {"amount": 5}
    again = _signed_by_the_library(data_dir, "bank", "/v1/access", body)
    tampered = body.replace(b"finance", b"health ")
    r = client.post("/v1/access", content=tampered, headers=dict(again.headers))
    assert r.status_code in (400, 401), r.text


def test_an_envelope_signed_by_securesystemslib_is_accepted(
    client: TestClient, data_dir: Path
) -> None:
    key = key_of(data_dir, "uni")
    raw = key.private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    public = SSlibKey(key.key_id, "ed25519", "ed25519", {"public": raw.hex()})
    statement = {
        "v": 1,
        "kind": "attestation.issue",
        "by": "uni",
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "body": {
            "digest": "sha256:" + hashlib.sha256(b"interop").hexdigest(),
            "doc_type": "diploma",
        },
    }
    envelope = Envelope(
        payload=json.dumps(statement).encode(),  # spaces and all: the log keeps the bytes
        payload_type="application/vnd.credo.attestation.issue+json",
        signatures={},
    )
    envelope.sign(CryptoSigner(key.private_key, public))
    r = client.post("/v1/entries", json={"entries": [envelope.to_dict()]})
    assert r.status_code == 200, r.text
    index = r.json()["results"][0]["index"]
    stored = client.get(f"/v1/entries/{index}").json()["entry"]
    assert (
        json.loads(__import__("base64").b64decode(stored))["payload"]
        == envelope.to_dict()["payload"]
    )
