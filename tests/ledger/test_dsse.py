"""DSSE envelopes: the one stored serialisation, and the characters that keep it plain JSON."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credo.errors import EntryRejected
from credo.ledger.dsse import (
    Envelope,
    Signature,
    encode_envelope,
    parse_envelope_bytes,
    sign_envelope,
)
from credo.ledger.keys import MemberKey

SAFE = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+/-",
    min_size=1,
    max_size=128,
)


@given(
    payload=st.binary(max_size=2000),
    payload_type=SAFE,
    signatures=st.lists(
        st.tuples(SAFE, st.binary(min_size=64, max_size=64)), min_size=1, max_size=8
    ),
)
def test_the_stored_form_is_compact_json_and_parses_back(
    payload: bytes, payload_type: str, signatures: list[tuple[str, bytes]]
) -> None:
    env = Envelope(payload_type, payload, tuple(Signature(k, s) for k, s in signatures))
    doc = {
        "payload": base64.b64encode(payload).decode(),
        "payloadType": payload_type,
        "signatures": [{"keyid": k, "sig": base64.b64encode(s).decode()} for k, s in signatures],
    }
    stored = encode_envelope(env)
    assert stored == json.dumps(doc, separators=(",", ":")).encode()
    assert parse_envelope_bytes(stored) == env


@pytest.mark.parametrize("payload_type", ['a"b', "a\\b", "a\nb", "a b", "", "x" * 129])
def test_sign_envelope_refuses_what_would_need_escaping(payload_type: str) -> None:
    with pytest.raises(EntryRejected) as err:
        sign_envelope(payload_type, b"{}", [MemberKey.generate()])
    assert err.value.code == "bad_envelope"
