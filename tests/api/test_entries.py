"""POST /v1/entries refuses bad input precisely and writes nothing of it; attestations come
back with proofs that verify; /log tiles are served as C2SP tlog-tiles says."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credo.api.app import create_app
from credo.ledger.dsse import encode_envelope, parse_envelope, payload_type_for, sign_envelope
from credo.ledger.entries import envelope_json, make_envelope
from credo.ledger.keys import MemberKey
from credo.ledger.validate import MAX_BATCH_BYTES, MAX_BATCH_ENTRIES
from credo.services.forwarding import FORWARDED_HEADER, VOUCH_HEADER, vouch
from credo.settings import Settings
from credo.tlog import (
    Checkpoint,
    NoteVerifier,
    decode_entry_bundle,
    leaf_hash,
    open_checkpoint,
    verify_inclusion,
)
from tests.conftest import ORIGIN, attestation, member_key

PROBLEM = "application/problem+json"


def size(client: TestClient) -> int:
    return checkpoint(client).size


def checkpoint(client: TestClient) -> Checkpoint:
    vkey = client.get("/log/vkey").text.strip()
    note = client.get("/log/checkpoint").content
    return open_checkpoint(note, NoteVerifier.from_vkey(vkey), ORIGIN)


def post(client: TestClient, entries: list[Any]) -> Any:
    return client.post("/v1/entries", json={"entries": entries})


def signed(data_dir: Path, kind: str, by: str, body: dict[str, Any]) -> dict[str, Any]:
    return envelope_json(make_envelope(kind, by, body, [member_key(data_dir, by)]))


def digest_of(n: int) -> str:
    return "sha256:" + hashlib.sha256(f"document {n}".encode()).hexdigest()


def assert_problem(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert body["detail"]


def assert_rejected(r: Any, code: str) -> None:
    """A batch of one refused entry: 422 and the entry's own reason code."""
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (0, 1)
    (result,) = body["results"]
    assert result["status"] == "rejected"
    assert result["code"] == code, result
    assert result["reason"]
    assert result.get("index") is None


# --- the request body as a whole --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "bad_json"),
        (b"\xff\xfe", "bad_json"),
        (b"[]", "bad_request"),
        (b'"entries"', "bad_request"),
        (b'{"entries": {}}', "bad_request"),
        (b'{"entries": []}', "bad_request"),
        (b'{"entries": [], "extra": 1}', "bad_request"),
        (b'{"envelopes": [{}]}', "bad_request"),
    ],
    ids=["malformed", "not-utf8", "list", "string", "object", "empty", "extra-key", "wrong-key"],
)
def test_malformed_bodies_are_400_problems(client: TestClient, body: bytes, code: str) -> None:
    before = size(client)
    r = client.post("/v1/entries", content=body, headers={"content-type": "application/json"})
    assert_problem(r, 400, code)
    assert size(client) == before


def test_more_than_the_entry_limit_is_refused_whole(client: TestClient, data_dir: Path) -> None:
    before = size(client)
    one = attestation(data_dir, 1)
    r = post(client, [one] * (MAX_BATCH_ENTRIES + 1))
    assert_problem(r, 400, "batch_too_large")
    assert str(MAX_BATCH_ENTRIES) in r.json()["detail"]
    assert size(client) == before


def test_a_declared_length_over_the_byte_limit_is_refused_before_reading(
    client: TestClient, data_dir: Path
) -> None:
    before = size(client)
    body = json.dumps({"entries": [attestation(data_dir, 1)]}).encode()
    r = client.post(
        "/v1/entries",
        content=body,
        headers={"content-type": "application/json", "content-length": str(MAX_BATCH_BYTES + 1)},
    )
    assert_problem(r, 413, "body_too_large")
    assert size(client) == before


def test_a_body_over_the_byte_limit_is_refused(client: TestClient) -> None:
    before = size(client)
    body = b'{"entries": [' + b" " * MAX_BATCH_BYTES + b"]}"
    r = client.post("/v1/entries", content=body, headers={"content-type": "application/json"})
    assert_problem(r, 413, "body_too_large")
    assert size(client) == before


# --- one entry at a time ------------------------------------------------------------------


def _tampered_payload(env: dict[str, Any]) -> dict[str, Any]:
    payload = json.loads(base64.b64decode(env["payload"]))
    payload["body"]["doc_type"] = "forged"
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return {**env, "payload": base64.b64encode(raw).decode()}


def _bad_entries(data_dir: Path) -> dict[str, tuple[dict[str, Any], str]]:
    good = attestation(data_dir, 99)
    stranger = MemberKey.generate()
    uni = member_key(data_dir, "uni")
    body = {"digest": digest_of(99), "doc_type": "diploma"}
    return {
        "bad-base64-payload": ({**good, "payload": "not base64!"}, "bad_base64"),
        "bad-base64-sig": (
            {**good, "signatures": [{"keyid": uni.key_id, "sig": "%%%"}]},
            "bad_base64",
        ),
        "short-sig": (
            {**good, "signatures": [{"keyid": uni.key_id, "sig": "AAAA"}]},
            "bad_signature",
        ),
        "altered-payload": (_tampered_payload(good), "bad_signature"),
        "not-an-object": ("an envelope", "bad_envelope"),  # type: ignore[dict-item]
        "extra-field": ({**good, "x": 1}, "bad_envelope"),
        "no-signatures": ({**good, "signatures": []}, "bad_envelope"),
        "keyid-breaks-json": (
            {**good, "signatures": [{**good["signatures"][0], "keyid": 'k","x":"'}]},
            "bad_envelope",
        ),
        "bad-payload-type": ({**good, "payloadType": "text/plain"}, "bad_payload_type"),
        "unknown-kind": (
            envelope_json(make_envelope("nope.never", "uni", body, [uni])),
            "unknown_kind",
        ),
        "schema": (
            signed(data_dir, "attestation.issue", "uni", {"digest": "md5:1", "doc_type": "x"}),
            "schema",
        ),
        "payload-not-json": (
            envelope_json(sign_envelope(payload_type_for("attestation.issue"), b"{nope", [uni])),
            "bad_json",
        ),
        "unknown-key": (
            envelope_json(make_envelope("attestation.issue", "uni", body, [stranger])),
            "unknown_signer",
        ),
        "not-a-member": (
            envelope_json(make_envelope("attestation.issue", "ghost", body, [stranger])),
            "unknown_signer",
        ),
        "too-large": (
            signed(data_dir, "attestation.issue", "uni", {**body, "note": "x" * 17_000}),
            "too_large",
        ),
        "cosigned-by-unknown-key": (
            envelope_json(make_envelope("attestation.issue", "uni", body, [uni, stranger])),
            "unknown_signer",
        ),
        "cosignature-does-not-verify": (
            _with_forged_cosignature(
                envelope_json(make_envelope("attestation.issue", "uni", body, [uni])),
                member_key(data_dir, "bank").key_id,
            ),
            "bad_signature",
        ),
    }


def _with_forged_cosignature(env: dict[str, Any], key_id: str) -> dict[str, Any]:
    forged = {"keyid": key_id, "sig": base64.b64encode(bytes(64)).decode()}
    return {**env, "signatures": [*env["signatures"], forged]}


BAD = [
    "bad-base64-payload",
    "bad-base64-sig",
    "short-sig",
    "altered-payload",
    "not-an-object",
    "extra-field",
    "no-signatures",
    "bad-payload-type",
    "unknown-kind",
    "schema",
    "payload-not-json",
    "unknown-key",
    "not-a-member",
    "too-large",
    "keyid-breaks-json",
    "cosigned-by-unknown-key",
    "cosignature-does-not-verify",
]


@pytest.mark.parametrize("case", BAD)
def test_a_bad_entry_is_refused_with_its_reason_and_nothing_is_written(
    client: TestClient, data_dir: Path, case: str
) -> None:
    entry, code = _bad_entries(data_dir)[case]
    before = size(client)
    assert_rejected(post(client, [entry]), code)
    assert size(client) == before


def test_url_safe_base64_is_accepted_and_stored_in_the_standard_alphabet(
    client: TestClient, data_dir: Path
) -> None:
    """DSSE allows either base64 alphabet; the log stores credo's one serialisation."""
    for n in range(200, 230):  # a signature whose standard encoding has + or /
        good = attestation(data_dir, n)
        sig = good["signatures"][0]["sig"]
        if "+" in sig or "/" in sig:
            break
    else:
        pytest.fail("no signature with + or / in 30 tries")
    url_safe = {
        **good,
        "signatures": [{**good["signatures"][0], "sig": sig.replace("+", "-").replace("/", "_")}],
    }
    r = post(client, [url_safe])
    assert r.status_code == 200, r.text
    index = r.json()["results"][0]["index"]
    stored = base64.b64decode(client.get(f"/v1/entries/{index}").json()["entry"])
    assert stored == encode_envelope(parse_envelope(good))
    assert sig.encode() in stored


def test_a_mixed_batch_is_answered_entry_by_entry(client: TestClient, data_dir: Path) -> None:
    bad = _bad_entries(data_dir)
    good = [attestation(data_dir, n) for n in range(3)]
    batch = [
        good[0],
        bad["altered-payload"][0],
        good[1],
        bad["unknown-kind"][0],
        bad["too-large"][0],
        good[2],
        good[0],  # the same document again: refused by the ledger's state, not the schema
    ]
    before = size(client)
    r = post(client, batch)
    assert r.status_code == 207, r.text
    doc = r.json()
    assert (doc["accepted"], doc["rejected"]) == (3, 4)
    statuses = [(x["status"], x.get("code")) for x in doc["results"]]
    assert statuses == [
        ("accepted", None),
        ("rejected", "bad_signature"),
        ("accepted", None),
        ("rejected", "unknown_kind"),
        ("rejected", "too_large"),
        ("accepted", None),
        ("rejected", "attestation_exists"),
    ]
    indexes = [x["index"] for x in doc["results"] if x["status"] == "accepted"]
    assert indexes == [before, before + 1, before + 2]
    assert size(client) == before + 3
    # The answer carries the published checkpoint that covers the accepted entries.
    vkey = client.get("/log/vkey").text.strip()
    covering = open_checkpoint(doc["checkpoint"].encode(), NoteVerifier.from_vkey(vkey), ORIGIN)
    assert covering.size == before + 3
    assert doc["checkpoint"] == client.get("/log/checkpoint").text
    for index, env in zip(indexes, good, strict=True):
        stored = base64.b64decode(client.get(f"/v1/entries/{index}").json()["entry"])
        assert stored == encode_envelope(parse_envelope(env))


# --- attestations -------------------------------------------------------------------------


def check_logged(client: TestClient, logged: dict[str, Any], note: str) -> None:
    """The logged entry's inclusion proof verifies against the returned checkpoint."""
    vkey = client.get("/log/vkey").text.strip()
    cp = open_checkpoint(note.encode(), NoteVerifier.from_vkey(vkey), ORIGIN)
    entry = base64.b64decode(logged["entry"])
    proof = [base64.b64decode(h) for h in logged["proof"]]
    verify_inclusion(leaf_hash(entry), logged["index"], cp.size, proof, cp.root_hash)


def test_attestation_issue_then_revoke_by_the_issuer(client: TestClient, data_dir: Path) -> None:
    # A few more entries first, so the proofs are not trivially short.
    assert post(client, [attestation(data_dir, n) for n in range(100, 120)]).status_code == 200
    r = post(client, [attestation(data_dir, 7)])
    assert r.status_code == 200
    index = r.json()["results"][0]["index"]
    digest = digest_of(7)

    got = client.get(f"/v1/attestations/{digest}")
    assert got.status_code == 200, got.text
    doc = got.json()
    assert (doc["status"], doc["issuer"], doc["doc_type"]) == ("valid", "uni", "diploma")
    assert doc["issued"]["index"] == index
    assert doc["revoked"] is None
    assert len(doc["issued"]["proof"]) > 0
    check_logged(client, doc["issued"], doc["checkpoint"])
    # The bare hex digest names the same attestation.
    assert client.get(f"/v1/attestations/{digest.removeprefix('sha256:')}").json() == doc

    revoke = signed(
        data_dir, "attestation.revoke", "uni", {"digest": digest, "reason": "issued in error"}
    )
    assert post(client, [revoke]).status_code == 200
    doc = client.get(f"/v1/attestations/{digest}").json()
    assert doc["status"] == "revoked"
    assert doc["revoke_reason"] == "issued in error"
    check_logged(client, doc["issued"], doc["checkpoint"])
    check_logged(client, doc["revoked"], doc["checkpoint"])

    again = signed(data_dir, "attestation.revoke", "uni", {"digest": digest, "reason": "twice"})
    assert_rejected(post(client, [again]), "already_revoked")


def test_only_the_issuer_may_revoke(client: TestClient, data_dir: Path) -> None:
    assert post(client, [attestation(data_dir, 8)]).status_code == 200
    # The operator holds the issuer role too, but it did not issue this one.
    revoke = signed(
        data_dir, "attestation.revoke", "operator", {"digest": digest_of(8), "reason": "mine now"}
    )
    before = size(client)
    assert_rejected(post(client, [revoke]), "not_issuer")
    assert size(client) == before
    assert client.get(f"/v1/attestations/{digest_of(8)}").json()["status"] == "valid"


def test_a_member_without_the_issuer_role_may_not_attest(
    client: TestClient, data_dir: Path
) -> None:
    assert_rejected(post(client, [attestation(data_dir, 9, by="bank")]), "role_not_allowed")
    assert client.get(f"/v1/attestations/{digest_of(9)}").status_code == 404


def test_a_retired_members_entries_are_refused(client: TestClient, data_dir: Path) -> None:
    retire = signed(data_dir, "member.retire", "operator", {"id": "uni", "reason": "left"})
    assert post(client, [retire]).status_code == 200
    assert client.get("/v1/members/uni").json()["status"] == "retired"
    before = size(client)
    assert_rejected(post(client, [attestation(data_dir, 10)]), "retired_signer")
    assert size(client) == before


def test_attestation_lookups_that_fail(client: TestClient) -> None:
    assert_problem(client.get("/v1/attestations/not-a-digest"), 400, "bad_digest")
    assert_problem(client.get(f"/v1/attestations/{digest_of(404)}"), 404, "not_attested")


# --- /log tiles ---------------------------------------------------------------------------


def test_tiles_and_entry_bundles(client: TestClient, data_dir: Path) -> None:
    before = size(client)
    assert post(client, [attestation(data_dir, n) for n in range(260)]).status_code == 200
    total = before + 260
    partial = total - 256

    full = client.get("/log/tile/0/000")
    assert full.status_code == 200
    assert "immutable" in full.headers["cache-control"]
    assert len(full.content) == 256 * 32
    bundle = client.get("/log/tile/entries/000")
    assert bundle.status_code == 200
    assert "immutable" in bundle.headers["cache-control"]
    entries = decode_entry_bundle(bundle.content)
    assert len(entries) == 256
    assert full.content[:32] == leaf_hash(entries[0])
    assert full.content[-32:] == leaf_hash(entries[-1])

    part = client.get(f"/log/tile/0/001.p/{partial}")
    assert part.status_code == 200
    assert len(part.content) == partial * 32
    assert client.get("/log/tile/1/000.p/1").status_code == 200
    assert len(decode_entry_bundle(client.get(f"/log/tile/entries/001.p/{partial}").content)) == (
        partial
    )

    cp = client.get("/log/checkpoint")
    assert "immutable" not in cp.headers.get("cache-control", "")


@pytest.mark.parametrize(
    "path",
    ["tile/0/000", "tile/0/000.p/255", "tile/0/005", "tile/1/000", "tile/entries/000"],
)
def test_missing_tiles_are_404(client: TestClient, path: str) -> None:
    # The fixture's log has a handful of entries: only the partial tiles 0/000.p/<size> exist.
    assert_problem(client.get(f"/log/{path}"), 404, "no_tile")


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1",
        "tile/0/0000",
        "tile/x/000",
        "tile/0/000.p/256",
        "tile/0/000.p/0",
        "tile/0/000.p/abc",
        "tile/0/x000/001",
        "tile/entries/1",
        "tile/64/000",
        "tile/0",
    ],
)
def test_malformed_tile_paths_are_400(client: TestClient, path: str) -> None:
    r = client.get(f"/log/{path}")
    assert r.status_code == 400, (path, r.status_code, r.text)
    assert r.json()["code"]


def test_openapi_lists_entries(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "post" in spec["paths"]["/v1/entries"]
    assert "get" in spec["paths"]["/v1/entries/{index}"]


def test_all_rejected_is_a_problem_body(client: TestClient) -> None:
    r = client.post("/v1/entries", json={"entries": [{"nope": 1}]})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "bad_envelope"
    assert body["status"] == 422
    assert body["detail"]
    assert body["results"][0]["code"] == "bad_envelope"


# -- a sibling's vouch (credo.services.forwarding) ------------------------------------------


def _forged(data_dir: Path, n: int) -> bytes:
    """A body of one attestation whose signature, by an active member's key, is wrong."""
    env = attestation(data_dir, n)
    sig = bytearray(base64.b64decode(env["signatures"][0]["sig"]))  # type: ignore[index]
    sig[0] ^= 1
    env["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()  # type: ignore[index]
    return json.dumps({"entries": [env]}).encode()


def test_only_a_vouch_under_the_siblings_key_spares_the_signature_check(data_dir: Path) -> None:
    """What the siblings' key grants, shown by what it would let through: a wrong signature
    passes only with a good vouch on a forwarded body. Without the key (a member, another
    host) the same body is checked in full, whatever headers it carries."""
    key, other = b"k" * 32, b"o" * 32
    app = create_app(Settings(data_dir=data_dir, workers=0))
    app.state.vouch_key = key  # as credo.api.processes hands it to each serving process
    forwarded = {"Content-Type": "application/json", FORWARDED_HEADER: "1"}
    with TestClient(app) as client:
        refused = [
            ({}, key),  # not forwarded: a vouch from a member counts for nothing
            (forwarded, other),  # under another key
            (forwarded, None),  # no vouch
        ]
        for n, (headers, signer) in enumerate(refused):
            body = _forged(data_dir, n)
            sent = dict(headers or {"Content-Type": "application/json"})
            if signer is not None:
                sent[VOUCH_HEADER] = vouch(signer, body)
            answer = client.post("/v1/entries", content=body, headers=sent)
            assert answer.status_code == 422, (n, answer.text)
            assert answer.json()["code"] == "bad_signature"
        body = _forged(data_dir, 9)
        tampered = body.replace(b'{"entries"', b'{ "entries"')  # the same entries, other bytes
        assert tampered != body
        answer = client.post(
            "/v1/entries",
            content=tampered,
            headers={**forwarded, VOUCH_HEADER: vouch(key, body)},  # for other bytes
        )
        assert answer.json()["code"] == "bad_signature"
        answer = client.post(
            "/v1/entries", content=body, headers={**forwarded, VOUCH_HEADER: vouch(key, body)}
        )
        assert answer.status_code == 200, answer.text
        assert app.state.node.ledger.sequencer.stats.vouched == 1


def test_a_vouch_does_not_admit_a_key_that_is_not_a_members(data_dir: Path) -> None:
    """The vouch spares the signature's arithmetic, not the question of whose key it is."""
    stranger = MemberKey.generate()
    body = {"digest": "sha256:" + "ab" * 32, "doc_type": "diploma"}
    env = envelope_json(make_envelope("attestation.issue", "uni", body, [stranger]))
    raw = json.dumps({"entries": [env]}).encode()
    app = create_app(Settings(data_dir=data_dir, workers=0))
    app.state.vouch_key = key = b"k" * 32
    with TestClient(app) as client:
        answer = client.post(
            "/v1/entries",
            content=raw,
            headers={
                "Content-Type": "application/json",
                FORWARDED_HEADER: "1",
                VOUCH_HEADER: vouch(key, raw),
            },
        )
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "unknown_signer"
