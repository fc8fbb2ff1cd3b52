"""Member signing keys: Ed25519, stored as PKCS#8 PEM, named on the log by a key id."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import nacl.signing
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credo.errors import InputError


def key_id(public_key: bytes) -> str:
    """The DSSE ``keyid`` of a member key: hex of the first 16 bytes of SHA-256(raw key)."""
    return hashlib.sha256(public_key).hexdigest()[:32]


class MemberKey:
    """A member's private key. Signing goes through libsodium (PyNaCl), the fastest here."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self.private_key = private_key
        seed = private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        self._nacl = nacl.signing.SigningKey(seed)
        self.public_key = bytes(self._nacl.verify_key)
        self.key_id = key_id(self.public_key)

    @classmethod
    def generate(cls) -> MemberKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, path: Path) -> MemberKey:
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise InputError(f"cannot read private key {path}: {exc}", code="bad_key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise InputError(f"{path} is not an Ed25519 key", code="bad_key")
        return cls(key)

    def save(self, path: Path) -> None:
        """Write PKCS#8 PEM, readable by the owner only, never overwriting a key."""
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # DIR/keys: owner-only
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)

    def sign(self, message: bytes) -> bytes:
        return self._nacl.sign(message).signature

    def __repr__(self) -> str:
        return f"MemberKey(key_id={self.key_id!r})"
