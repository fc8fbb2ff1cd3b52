"""A log to feed witnesses: a Merkle tree in memory, its signing key, and request bodies."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credo.tlog.checkpoint import Checkpoint, sign_checkpoint
from credo.tlog.cosignature import CosignatureSigner
from credo.tlog.merkle import MemoryHashReader, consistency_proof, leaf_hash
from credo.tlog.note import NoteSigner
from credo.witness.service import Witness
from credo.witness.store import WitnessStore

ORIGIN = "log.test/witnessed"
NOW = 1_800_000_000


def fixed_key(seed: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed.to_bytes(32, "big"))


LOG_SIGNER = NoteSigner(ORIGIN, fixed_key(1))


class FakeLog:
    """A log's tree of ``size`` leaves; ``fork_at`` and ``tag`` make a second, forked history
    signed by the same key (the first ``fork_at`` leaves are shared)."""

    def __init__(
        self,
        size: int,
        *,
        tag: str = "a",
        fork_at: int | None = None,
        signer: NoteSigner = LOG_SIGNER,
    ) -> None:
        self.signer = signer
        self.origin = signer.name
        self.tree = MemoryHashReader()
        for i in range(size):
            shared = fork_at is not None and i < fork_at
            self.tree.append(leaf_hash(f"{'a' if shared else tag}-{i}".encode()))

    def root(self, size: int) -> bytes:
        return self.tree.root(size)

    def checkpoint(self, size: int) -> bytes:
        return sign_checkpoint(Checkpoint(self.origin, size, self.root(size)), [self.signer])

    def proof(self, old: int, size: int) -> list[bytes]:
        return consistency_proof(old, size, self.tree)

    def body(self, old: int, size: int, proof: list[bytes] | None = None) -> bytes:
        """An add-checkpoint body from ``old`` to ``size`` with this log's own proof."""
        hashes = self.proof(old, size) if proof is None else proof
        return request_body(old, hashes, self.checkpoint(size))


def request_body(old: int, proof: list[bytes], note: bytes) -> bytes:
    lines = "".join(base64.b64encode(h).decode() + "\n" for h in proof)
    return f"old {old}\n{lines}\n".encode() + note


WITNESS_SIGNER = CosignatureSigner("witness.test/w1", fixed_key(2))


def make_witness(path: Path, store_cls: type[WitnessStore] = WitnessStore) -> Witness:
    return Witness(
        WITNESS_SIGNER, {ORIGIN: [LOG_SIGNER.verifier()]}, store_cls(path).open(), clock=lambda: NOW
    )


@pytest.fixture
def log() -> FakeLog:
    return FakeLog(40)


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[Witness]:
    w = make_witness(tmp_path / "witness.db")
    yield w
    w.store.close()
