"""The pure sealing core, without a database."""

from __future__ import annotations

import hashlib

import pytest

from credo.errors import VerificationError
from credo.vault import _sealing


def test_commitment_matches_its_definition() -> None:
    salt, payload = bytes(range(32)), b"hello"
    expected = hashlib.sha256(b"credo-commit-v1" + salt + payload).hexdigest()
    assert _sealing.commitment(salt, payload) == expected


def test_same_payload_gives_different_commitments() -> None:
    key, ad = bytes(32), _sealing.record_ad("a" * 32, "b" * 32, b"ctx")
    _, c1 = _sealing.seal_record(key, ad, b"same")
    _, c2 = _sealing.seal_record(key, ad, b"same")
    assert c1 != c2


@pytest.mark.parametrize("cut", [0, 1, 13, 60])
def test_truncated_blob_is_a_verification_error(cut: int) -> None:
    key, ad = bytes(32), _sealing.record_ad("a" * 32, "b" * 32, b"")
    blob, _ = _sealing.seal_record(key, ad, b"")
    with pytest.raises(VerificationError):
        _sealing.open_record(key, ad, blob[:cut])


def test_unknown_format_byte_is_refused() -> None:
    key, ad = bytes(32), _sealing.record_ad("a" * 32, "b" * 32, b"")
    blob, _ = _sealing.seal_record(key, ad, b"x")
    with pytest.raises(VerificationError, match="format byte 02"):
        _sealing.open_record(key, ad, b"\x02" + blob[1:])
