"""Member authentication: RFC 9421 HTTP Message Signatures with Ed25519 over
"@method" "@path" "content-digest" (RFC 9530), with created and nonce."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from credo.api.httpsig import content_digest, parse_signature_input, sign_request, signature_base
from credo.errors import AuthenticationError
from credo.ledger.keys import MemberKey
from tests._people import NID, key_of, signed_post

PATH = "/v1/records/prepare"
BODY = json.dumps(
    {"national_id": NID, "category": "finance", "type": "loan.repaid", "payload": {"a": 1}}
).encode()


def _post(client: TestClient, headers: dict[str, str], body: bytes = BODY) -> tuple[int, str]:
    r = client.post(PATH, content=body, headers=headers | {"content-type": "application/json"})
    return r.status_code, r.json().get("code", "")


def test_a_signed_request_is_accepted(client: TestClient, data_dir: Path) -> None:
    assert signed_post(client, key_of(data_dir, "bank"), PATH, BODY).status_code == 200


def test_signature_base_matches_rfc_9421_layout() -> None:
    key = MemberKey.generate()
    headers = sign_request(key, "post", "/p", b"x", created=1, nonce="n" * 16)
    parsed = parse_signature_input(headers["Signature-Input"])
    base = signature_base("post", "/p", content_digest(b"x"), parsed.params_text).decode()
    assert base.splitlines() == [
        '"@method": POST',
        '"@path": /p',
        f'"content-digest": {content_digest(b"x")}',
        '"@signature-params": ("@method" "@path" "content-digest");created=1;'
        f'keyid="{key.key_id}";nonce="{"n" * 16}";alg="ed25519"',
    ]
    assert content_digest(b"x").startswith("sha-256=:")
    assert content_digest(b"x").endswith(":")


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        ("no_headers", "unauthenticated"),
        ("body_changed", "bad_signature"),
        ("path_changed", "bad_signature"),
        ("signature_garbled", "bad_signature"),
        ("stale", "bad_signature"),
        ("future", "bad_signature"),
        ("no_nonce", "bad_signature"),
        ("fewer_components", "bad_signature"),
        ("unknown_key", "unknown_member"),
        ("other_key_same_keyid", "bad_signature"),
    ],
)
def test_bad_signatures_are_refused(
    client: TestClient, data_dir: Path, tamper: str, code: str
) -> None:
    key = key_of(data_dir, "bank")
    now = int(time.time())
    headers = sign_request(key, "POST", PATH, BODY)
    body = BODY
    if tamper == "no_headers":
        headers = {}
    elif tamper == "body_changed":
        body = BODY.replace(b"loan.repaid", b"loan.opened")
        headers["Content-Digest"] = content_digest(body)
    elif tamper == "path_changed":
        headers = sign_request(key, "POST", "/v1/access", BODY)
    elif tamper == "signature_garbled":
        headers["Signature"] = "sig1=:" + base64.b64encode(b"\0" * 64).decode() + ":"
    elif tamper == "stale":
        headers = sign_request(key, "POST", PATH, BODY, created=now - 310)
    elif tamper == "future":
        headers = sign_request(key, "POST", PATH, BODY, created=now + 310)
    elif tamper == "no_nonce":
        headers["Signature-Input"] = headers["Signature-Input"].replace(";nonce=", ";x=")
    elif tamper == "fewer_components":
        headers["Signature-Input"] = headers["Signature-Input"].replace(' "content-digest"', "")
    elif tamper == "unknown_key":
        headers = sign_request(MemberKey.generate(), "POST", PATH, BODY)
    elif tamper == "other_key_same_keyid":
        forged = sign_request(MemberKey.generate(), "POST", PATH, BODY)
        headers["Signature"] = forged["Signature"]
    assert _post(client, headers, body) == (401, code)


def test_replayed_nonce_is_refused(client: TestClient, data_dir: Path) -> None:
    headers = sign_request(key_of(data_dir, "bank"), "POST", PATH, BODY)
    assert _post(client, headers)[0] == 200
    assert _post(client, headers) == (401, "bad_signature")


def test_retired_member_is_refused(client: TestClient, data_dir: Path) -> None:
    from credo.ledger.entries import envelope_json, make_envelope

    op = key_of(data_dir, "operator")
    env = make_envelope("member.retire", "operator", {"id": "bank", "reason": "left"}, [op])
    assert client.post("/v1/entries", json={"entries": [envelope_json(env)]}).status_code == 200
    headers = sign_request(key_of(data_dir, "bank"), "POST", PATH, BODY)
    assert _post(client, headers) == (401, "retired")


def test_problem_body_shape(client: TestClient) -> None:
    r = client.post(PATH, content=BODY)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert {"type", "title", "status", "code", "detail"} <= set(r.json())


def test_oversized_body_is_413(client: TestClient, data_dir: Path) -> None:
    body = json.dumps({"payload": {"x": "y" * 70_000}}).encode()
    r = signed_post(client, key_of(data_dir, "bank"), PATH, body)
    assert (r.status_code, r.json()["code"]) == (413, "body_too_large")


def test_parser_rejects_odd_input() -> None:
    for header in ["", "sig1=", 'sig1=("@method");created=1', "sig1=(x)", "a=b, c=d"]:
        with pytest.raises(AuthenticationError):
            parse_signature_input(header)
