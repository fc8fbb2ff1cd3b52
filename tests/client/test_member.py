"""The member's client signs only what it asked for: a prepared entry the server altered
(another member, another category, a commitment over other metadata) is refused unsigned."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from credo.client import MemberClient, RecordRequest
from credo.errors import VerificationError
from credo.ledger.entries import make_payload
from credo.ledger.keys import MemberKey
from credo.tlog import parse_policy
from credo.vault import meta_commitment
from tests.api.test_log import POLICY, SIGNERS, adopt_policy, cosign
from tests.conftest import member_key

META = {"salt": "ab" * 16, "category": "finance", "type": "loan.repaid", "record_id": "1" * 32}


def _prepared(by: str = "bank", meta: dict[str, Any] = META, commit: dict[str, Any] = META):
    metadata = json.dumps(meta, separators=(",", ":"), sort_keys=True)
    commitment = meta_commitment(json.dumps(commit, separators=(",", ":"), sort_keys=True).encode())
    body = {"tag": "t" * 59, "sealed": "AQ==", "commitment": commitment}
    return {
        "kind": "record.put",
        "record_id": "1" * 32,
        "payloadType": "application/vnd.credo.record.put+json",
        "payload": base64.b64encode(make_payload("record.put", by, body)).decode(),
        "metadata": metadata,
    }


def _client(prepared: dict[str, Any], submitted: list[bytes]) -> MemberClient:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/records/prepare":
            return httpx.Response(200, json=prepared)
        if request.url.path == "/v1/records/prepare-batch":
            asked = json.loads(request.content)["records"]
            return httpx.Response(200, json={"entries": [prepared] * len(asked)})
        submitted.append(request.content)
        count = len(json.loads(request.content)["entries"])
        results = [{"status": "accepted", "index": 7 + n} for n in range(count)]
        return httpx.Response(200, json={"results": results, "checkpoint": "cp"})

    http = httpx.Client(base_url="http://credo.test", transport=httpx.MockTransport(answer))
    return MemberClient("http://credo.test", "bank", MemberKey.generate(), http=http)


def test_an_honest_preparation_is_signed_and_submitted() -> None:
    submitted: list[bytes] = []
    record_id, logged = _client(_prepared(), submitted).put_record(
        "ZX-1", "finance", "loan.repaid", {}
    )
    assert (record_id, logged.index, len(submitted)) == ("1" * 32, 7, 1)


@pytest.mark.parametrize(
    "prepared",
    [
        _prepared(by="other-bank"),
        _prepared(meta=META | {"category": "education"}, commit=META | {"category": "education"}),
        _prepared(commit=META | {"salt": "cd" * 16}),
    ],
    ids=["another signer", "another category", "a commitment over other metadata"],
)
def test_an_altered_preparation_is_refused_unsigned(prepared: dict[str, Any]) -> None:
    submitted: list[bytes] = []
    with pytest.raises(VerificationError) as refused:
        _client(prepared, submitted).put_record("ZX-1", "finance", "loan.repaid", {})
    assert refused.value.code == "bad_prepared"
    assert submitted == []


def test_honest_batch_preparations_are_signed_and_submitted_together() -> None:
    submitted: list[bytes] = []
    asked = [RecordRequest("ZX-1", "finance", "loan.repaid", {"n": n}) for n in range(5)]
    logged = _client(_prepared(), submitted).put_records(asked, batch=3)
    assert [(r, s.index) for r, s in logged] == [("1" * 32, i) for i in (7, 8, 9, 7, 8)]
    assert [len(json.loads(body)["entries"]) for body in submitted] == [3, 2]


def test_one_altered_preparation_in_a_batch_stops_the_whole_batch_unsigned() -> None:
    submitted: list[bytes] = []
    asked = [RecordRequest("ZX-1", "finance", "loan.repaid", {}) for _ in range(3)]
    with pytest.raises(VerificationError) as refused:
        _client(_prepared(by="other-bank"), submitted).put_records(asked)
    assert refused.value.code == "bad_prepared"
    assert submitted == []


# --- checkpoints and the witness quorum ---------------------------------------------------


def test_entry_is_accepted_only_with_the_witness_quorum(client: TestClient, data_dir: Path) -> None:
    reader = MemberClient("http://testserver", "uni", member_key(data_dir, "uni"), http=client)
    assert reader.entry(0).index == 0  # no policy adopted: the log's signature suffices
    adopt_policy(client)
    with pytest.raises(VerificationError) as refused:
        reader.entry(0)
    assert refused.value.code == "no_quorum"
    cosign(client, SIGNERS[1])
    with pytest.raises(VerificationError, match="cosigned by: W1"):
        reader.entry(0)
    cosign(client, SIGNERS[0])
    assert reader.entry(0).index == 0
    # A client that pins a stricter policy than the server's refuses what the server calls met.
    stricter = parse_policy(POLICY.replace("quorum g", "quorum W2"))
    pinned = MemberClient(
        "http://testserver",
        "uni",
        member_key(data_dir, "uni"),
        http=client,
        witness_policy=stricter,
    )
    with pytest.raises(VerificationError) as strict:
        pinned.entry(0)
    assert strict.value.code == "no_quorum"
    cosign(client, SIGNERS[2])
    assert pinned.entry(0).index == 0


def test_a_pinned_policy_is_required_even_if_the_server_denies_having_one(
    client: TestClient, data_dir: Path
) -> None:
    pinned = MemberClient(
        "http://testserver",
        "uni",
        member_key(data_dir, "uni"),
        http=client,
        witness_policy=parse_policy(POLICY),
    )
    assert client.get("/log/witness-policy").status_code == 404
    with pytest.raises(VerificationError) as refused:
        pinned.entry(0)
    assert refused.value.code == "no_quorum"
