"""The member's client signs only what it asked for: a prepared entry the server altered
(another member, another category, a commitment over other metadata) is refused unsigned."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from credo.client import MemberClient
from credo.errors import VerificationError
from credo.ledger.entries import make_payload
from credo.ledger.keys import MemberKey
from credo.vault import meta_commitment

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
        submitted.append(request.content)
        return httpx.Response(200, json={"results": [{"status": "accepted", "index": 7}],
                                         "checkpoint": "cp"})  # fmt: skip

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
