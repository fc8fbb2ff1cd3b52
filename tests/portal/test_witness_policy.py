"""The log check page carries the witness policy governance adopted, as proof.js reads it:
each witness's key (name, key ID, raw Ed25519 key), the groups and the quorum, rendered by the
server from the parsed policy; without an adopted policy, nothing of it."""

from __future__ import annotations

import base64
import html
import json
import re
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi.testclient import TestClient

from credo.portal import i18n
from credo.tlog.cosignature import CosignatureSigner, cosignature_key_id, cosigned_message
from tests.portal.conftest import World, node_of, sign_in

SCRIPT = re.compile(r'<script type="application/json" id="witness-policy">(.*?)</script>', re.S)
OK_WITH = "In the log: proof, signature and witnesses check out."
OK_WITHOUT = "In the log: proof and signature check out."
CHECKPOINT = "example.test/log\n5\n" + base64.b64encode(bytes(32)).decode() + "\n"


def page_policy(client: TestClient) -> Any:
    page = client.get("/entries", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    found = SCRIPT.findall(page.text)
    assert len(found) <= 1
    return (json.loads(found[0]) if found else None), page.text


def data_ok(text: str) -> str:
    found = re.search(r'data-ok="([^"]*)"', text)
    assert found
    return html.unescape(found.group(1))


def adopt(client: TestClient, policy: str) -> None:
    node = node_of(client)
    body = {"id": "witnesses-1", "action": "adopt_witness_policy", "params": {"policy": policy}}
    node.submit_one("governance.propose", "operator", body)
    for voter in ("operator", "watch"):
        node.submit_one("governance.vote", voter, {"proposal": "witnesses-1", "vote": "yes"})


def test_without_a_policy_the_page_asks_for_no_quorum(client: TestClient, world: World) -> None:
    sign_in(client, world.alice.subject)
    policy, text = page_policy(client)
    assert policy is None
    assert "witness-policy" not in text
    assert data_ok(text) == OK_WITHOUT


def test_the_adopted_policy_is_on_the_page_as_proof_js_reads_it(
    fresh: tuple[World, TestClient],
) -> None:
    world, client = fresh
    sign_in(client, world.alice.subject)
    signers = [CosignatureSigner(f"w{i}.example", Ed25519PrivateKey.generate()) for i in range(3)]
    # A name with markup in it: the JSON must come back whole, not end the script element.
    names = ["uni", "bank", "</script><b>x"]
    lines = [
        f"witness {n} {s.verifier_key()} http://127.0.0.1:9/{i}"
        for i, (n, s) in enumerate(zip(names, signers, strict=True))
    ]
    policy_text = "\n".join(
        [*lines, "group banks any bank", f"group top 2 uni banks {names[2]}", "quorum top", ""]
    )
    adopt(client, policy_text)

    policy, text = page_policy(client)
    assert "<b>x" not in text
    assert policy["quorum"] == "top"
    assert policy["groups"] == [  # in order: each defined before a group names it
        {"name": "banks", "threshold": 1, "members": ["bank"]},
        {"name": "top", "threshold": 2, "members": ["uni", "banks", names[2]]},
    ]
    assert [w["name"] for w in policy["witnesses"]] == names
    for w, signer in zip(policy["witnesses"], signers, strict=True):
        assert set(w) == {"name", "key_name", "key_id", "key"}
        assert w["key_name"] == signer.name
        raw = base64.b64decode(w["key"], validate=True)
        assert raw == signer.public_key
        assert w["key_id"] == signer.key_id.hex() == cosignature_key_id(w["key_name"], raw).hex()
        # What the browser does with it: verify a cosignature under that raw key.
        cosig = signer.cosign(CHECKPOINT, 1_700_000_000)
        key = Ed25519PublicKey.from_public_bytes(raw)
        key.verify(cosig.signature, cosigned_message(CHECKPOINT, cosig.timestamp))
    assert data_ok(text) == OK_WITH
    assert i18n.translations("th").gettext(OK_WITH) != OK_WITH
