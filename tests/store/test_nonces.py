"""The host's shared nonce cache (credo.store.nonces): a nonce claimed by one serving process
is refused to every other on the same data directory, until the window has passed."""

from __future__ import annotations

from pathlib import Path

import pytest

from credo.api.auth import NonceCache
from credo.errors import AuthenticationError
from credo.store.nonces import NonceStore


def test_a_nonce_is_claimed_once_across_connections_until_it_expires(tmp_path: Path) -> None:
    one = NonceStore(tmp_path / "nonces.db").open()
    other = NonceStore(tmp_path / "nonces.db").open()  # as another process would
    try:
        assert one.claim("m:n1", now=1000.0, keep=600)
        assert not other.claim("m:n1", now=1001.0, keep=600)
        assert not one.claim("m:n1", now=1599.0, keep=600)
        assert other.claim("m:n2", now=1001.0, keep=600)
        assert one.claim("m:n1", now=1601.0, keep=600)  # long past the signature's window
    finally:
        one.close()
        other.close()


def test_a_request_replayed_to_another_process_is_refused(tmp_path: Path) -> None:
    first = NonceCache(shared=NonceStore(tmp_path / "nonces.db").open())
    second = NonceCache(shared=NonceStore(tmp_path / "nonces.db").open())
    first.use("key:abc", 1000.0)
    with pytest.raises(AuthenticationError, match="replay"):
        second.use("key:abc", 1000.5)
    second.use("key:def", 1000.5)
    with pytest.raises(AuthenticationError, match="replay"):
        first.use("key:def", 1001.0)
