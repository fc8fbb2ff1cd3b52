"""/log tiles that cannot exist are clear 4xx problems, never a store error or a 500
(issue "No stranger or member can break credo for anyone else", finding 1)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from credo.api.tiles import MAX_TILE_PATH
from credo.tlog import (
    Checkpoint,
    CosignatureSigner,
    NoteVerifier,
    entries_path,
    parse_note,
    parse_policy,
    tile_path,
)
from tests.api.test_entries import assert_problem, size

# The paths: tile index 2**63, whose first entry is past what SQLite's integers hold.
PAST_2_63 = "x009/x223/x372/x036/x854/x775/808"


@pytest.mark.parametrize("kind", ["0", "entries", "1", "63"])
def test_tile_index_overflow_is_404_not_500(client: TestClient, kind: str) -> None:
    assert_problem(client.get(f"/log/tile/{kind}/{PAST_2_63}"), 404, "no_tile")
    assert_problem(client.get(f"/log/tile/{kind}/{PAST_2_63}.p/1"), 404, "no_tile")


@pytest.mark.parametrize("index", [2**55, 2**63 - 1, 2**64 - 1, 2**64, 10**18])
def test_tile_index_overflow_any_large_index_is_404(client: TestClient, index: int) -> None:
    for path in (tile_path(0, index), entries_path(index), tile_path(2, index, 3)):
        assert_problem(client.get(f"/log/{path}"), 404, "no_tile")


def test_tile_index_overflow_tiles_past_the_tree_edge_are_404(client: TestClient) -> None:
    n = size(client)  # a handful of entries: only partial tiles of width n at level 0
    assert client.get(f"/log/{tile_path(0, 0, n)}").status_code == 200
    assert client.get(f"/log/{entries_path(0, n)}").status_code == 200
    for path in (tile_path(0, 0, n + 1), entries_path(0, n + 1), tile_path(0, 1, 1)):
        assert_problem(client.get(f"/log/{path}"), 404, "no_tile")
    assert_problem(client.get(f"/log/{entries_path(1, 1)}"), 404, "no_tile")
    assert_problem(client.get(f"/log/{tile_path(1, 0, 1)}"), 404, "no_tile")


def test_tile_index_overflow_an_overlong_path_is_400_before_parsing(client: TestClient) -> None:
    longest = entries_path(2**64 - 1, 255)
    assert len(longest) == MAX_TILE_PATH
    assert_problem(client.get(f"/log/{longest}"), 404, "no_tile")
    many_elements = "tile/0/x001/" + "x000/" * 3000 + "000"
    r = client.get(f"/log/{many_elements}")
    assert r.status_code == 400, r.text
    assert str(MAX_TILE_PATH) in r.json()["detail"]


# --- witness cosignatures and the quorum header ------------------------------------------

SIGNERS = [CosignatureSigner(f"w{i}.test", Ed25519PrivateKey.generate()) for i in range(3)]
POLICY = (
    "".join(
        f"witness W{i} {s.verifier_key()} http://127.0.0.1:9/w{i}\n" for i, s in enumerate(SIGNERS)
    )
    + "group g 2 W0 W1 W2\nquorum g\n"
)


def adopt_policy(client: TestClient, text: str = POLICY) -> None:
    """Governance's effect (the vote is tested in tests/ledger): the policy in the store."""
    with client.app.state.node.store.write() as tx:  # type: ignore[attr-defined]
        tx.set_meta("witness_policy", text)


def cosign(client: TestClient, *signers: CosignatureSigner) -> None:
    """What witnessing keeps when these witnesses cosign the latest checkpoint."""
    store = client.app.state.node.store  # type: ignore[attr-defined]
    note = store.latest_checkpoint()
    text = parse_note(note).text
    with store.write() as tx:
        for s in signers:
            line = s.cosign(text, 1700000000).line().encode()
            tx.put_cosignature(Checkpoint.from_text(text).size, s.name, line)


def test_without_a_witness_policy_the_checkpoint_is_served_as_before(client: TestClient) -> None:
    r = client.get("/log/checkpoint")
    assert r.status_code == 200
    assert "credo-witness-quorum" not in r.headers
    assert r.content == client.app.state.node.store.latest_checkpoint()  # type: ignore[attr-defined]
    assert_problem(client.get("/log/witness-policy"), 404, "no_witness_policy")
    assert "credo_witness_quorum_met" not in client.get("/metrics").text


def test_the_checkpoint_carries_its_cosignatures_and_says_whether_they_meet_the_quorum(
    client: TestClient,
) -> None:
    adopt_policy(client)
    assert client.get("/log/witness-policy").text == POLICY
    r = client.get("/log/checkpoint")
    assert r.headers["credo-witness-quorum"] == "unmet"
    assert client.get("/v1/entries/0").headers["credo-witness-quorum"] == "unmet"
    assert "credo_witness_quorum_met 0.0" in client.get("/metrics").text
    cosign(client, SIGNERS[0])
    assert client.get("/log/checkpoint").headers["credo-witness-quorum"] == "unmet"
    cosign(client, SIGNERS[2])
    r = client.get("/log/checkpoint")
    assert r.headers["credo-witness-quorum"] == "met"
    vkey = NoteVerifier.from_vkey(client.get("/log/vkey").text.strip())
    verified = parse_policy(POLICY).verify_log_checkpoint(r.content, vkey)
    assert verified.witnesses == {"W0", "W2"}
    entry = client.get("/v1/entries/0")
    assert entry.headers["credo-witness-quorum"] == "met"
    assert entry.json()["checkpoint"].encode() == r.content
    assert "credo_witness_quorum_met 1.0" in client.get("/metrics").text
    # A stricter policy adopted later: the same cosignatures no longer meet it.
    adopt_policy(client, POLICY.replace("quorum g", "group all3 all W0 W1 W2\nquorum all3"))
    assert client.get("/log/checkpoint").headers["credo-witness-quorum"] == "unmet"
