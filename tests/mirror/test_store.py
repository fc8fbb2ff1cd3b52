"""The mirror's store: a kept tile or bundle is only ever replaced by one extending it, and a
transaction keeps everything or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from credo.errors import VerificationError
from credo.mirror.store import DB_FILE, Kept, MirrorStore


@pytest.fixture
def store(tmp_path: Path) -> MirrorStore:
    s = MirrorStore(tmp_path / DB_FILE).open()
    yield s
    s.close()


def test_tiles_and_bundles_only_grow_as_prefixes(store: MirrorStore) -> None:
    with store.write() as tx:
        tx.put_tile(0, 3, b"a" * 64)
        tx.put_bundle(3, 2, b"\x00\x01x\x00\x01y")
    with store.write() as tx:
        tx.put_tile(0, 3, b"a" * 96)  # wider, same prefix
        tx.put_tile(0, 3, b"a" * 32)  # narrower: what is kept already extends it
        tx.put_bundle(3, 3, b"\x00\x01x\x00\x01y\x00\x01z")
    assert store.read_tile(0, 3) == b"a" * 96
    assert store.read_bundle(3) == (3, b"\x00\x01x\x00\x01y\x00\x01z")
    assert store.bundle_count(3) == 3
    for bad in (lambda tx: tx.put_tile(0, 3, b"b" * 128), lambda tx: tx.put_bundle(3, 1, b"q")):
        with pytest.raises(VerificationError) as refused, store.write() as tx:
            bad(tx)
        assert refused.value.code == "rewritten_history"
    assert store.read_tile(0, 3) == b"a" * 96


def test_a_failed_transaction_keeps_nothing(store: MirrorStore) -> None:
    kept = Kept(5, b"r" * 32, b"note", b"note")

    def killed() -> None:
        with store.write() as tx:
            tx.put_tile(1, 0, b"h" * 32)
            tx.set_checkpoint("verified", kept)
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        killed()
    assert store.checkpoint() is None
    assert store.read_tile(1, 0) == b""
    with store.write() as tx:
        tx.set_checkpoint("pending", kept)
    assert store.checkpoint("pending") == kept
    assert store.verified_size() == 0
