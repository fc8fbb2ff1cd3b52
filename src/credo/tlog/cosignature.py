"""C2SP tlog-cosignature v1 with Ed25519: timestamped witness cosignatures on checkpoints.

A cosignature is a signed-note signature line ``— <name> base64(key ID || timestamp ||
signature)``: a 4-byte key ID, SHA-256(name || "\\n" || 0x04 || public key)[:4]; an 8-byte
big-endian POSIX timestamp (at most 2**63 - 1); and a 64-byte Ed25519 signature over::

    cosignature/v1
    time <timestamp>
    <the checkpoint's note text, final newline included>

The message does not commit to the cosigner's name, so one key must serve one cosigner only.
The ML-DSA-44 variant (type 0x06) is not implemented: `CosignatureVerifier.from_vkey` refuses
its keys with a clear error rather than ignoring them.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from credo.errors import InputError, VerificationError
from credo.tlog.checkpoint import Checkpoint
from credo.tlog.note import (
    Note,
    NoteSignature,
    NoteVerifier,
    check_name,
    open_note,
    parse_note,
    split_vkey,
)

ALG_COSIGNATURE_V1 = 0x04
ALG_MLDSA44_COSIGNATURE = 0x06
MAX_TIMESTAMP = 2**63 - 1
SIGNATURE_SIZE = 8 + 64  # timestamp || Ed25519 signature, after the key ID


def cosignature_key_id(name: str, public_key: bytes) -> bytes:
    """SHA-256(name || "\\n" || 0x04 || 32-byte Ed25519 key)[:4] (C2SP tlog-cosignature)."""
    return hashlib.sha256(
        name.encode() + b"\n" + bytes([ALG_COSIGNATURE_V1]) + public_key
    ).digest()[:4]


def cosigned_message(text: str, timestamp: int) -> bytes:
    """The bytes an Ed25519 cosignature v1 signs: header, time line, then the note text."""
    _check_timestamp(timestamp)
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def _check_timestamp(timestamp: int) -> None:
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise InputError(f"cosignature timestamp {timestamp} is outside 0..2**63-1")


def _vkey(name: str, kid: bytes, public_key: bytes) -> str:
    key64 = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + public_key).decode("ascii")
    return f"{name}+{kid.hex()}+{key64}"


@dataclass(frozen=True)
class Cosignature:
    """One parsed cosignature line: who (name, key ID), when (timestamp), and the signature."""

    name: str
    key_id: bytes
    timestamp: int
    signature: bytes

    @classmethod
    def from_note_signature(cls, sig: NoteSignature) -> Cosignature:
        """Read a signature line's bytes as a v1 cosignature; ``InputError`` if they are not."""
        if len(sig.signature) != SIGNATURE_SIZE:
            raise InputError(
                f"cosignature of {sig.name} is {len(sig.signature)} bytes after its key ID, "
                f"expected {SIGNATURE_SIZE} (timestamp and Ed25519 signature)"
            )
        timestamp = int.from_bytes(sig.signature[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            raise InputError(f"cosignature of {sig.name}: timestamp above 2**63-1")
        return cls(sig.name, sig.key_id, timestamp, sig.signature[8:])

    def note_signature(self) -> NoteSignature:
        return NoteSignature(
            self.name, self.key_id, self.timestamp.to_bytes(8, "big") + self.signature
        )

    def line(self) -> str:
        """The signature line, ``— <name> <base64>`` and a newline."""
        return self.note_signature().line()


class CosignatureVerifier:
    """An Ed25519 cosignature v1 verifier: a cosigner name and its public key."""

    def __init__(self, name: str, public_key: bytes) -> None:
        check_name(name)
        if len(public_key) != 32:
            raise InputError(f"Ed25519 public key is {len(public_key)} bytes, expected 32")
        self._name = name
        self._public_key = public_key
        self._key_id = cosignature_key_id(name, public_key)
        self._key = Ed25519PublicKey.from_public_bytes(public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> CosignatureVerifier:
        """Parse ``<name>+<hex key id>+<base64(0x04 || key)>`` strictly."""
        name, kid, raw = split_vkey(vkey)
        if raw[0] == ALG_MLDSA44_COSIGNATURE:
            raise InputError(f"verifier key {vkey!r}: ML-DSA-44 cosignatures are not supported")
        if len(raw) != 33 or raw[0] != ALG_COSIGNATURE_V1:
            raise InputError(
                f"verifier key {vkey!r}: not an Ed25519 cosignature key (0x04 and 32 bytes)"
            )
        verifier = cls(name, raw[1:])
        if verifier.key_id != kid:
            raise InputError(f"verifier key {vkey!r}: key ID does not match name and key")
        return verifier

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> bytes:
        return self._key_id

    @property
    def public_key(self) -> bytes:
        return self._public_key

    def verifier_key(self) -> str:
        return _vkey(self._name, self._key_id, self._public_key)

    def matches(self, sig: NoteSignature | Cosignature) -> bool:
        """Whether a signature line names this key (name and key ID both)."""
        return sig.name == self._name and sig.key_id == self._key_id

    def verify(self, text: str, cosig: Cosignature) -> None:
        """Raise ``VerificationError`` unless ``cosig`` is this key's cosignature of ``text``."""
        if not self.matches(cosig):
            raise VerificationError(
                f"cosignature by {cosig.name}+{cosig.key_id.hex()} is not by "
                f"{self._name}+{self._key_id.hex()}"
            )
        try:
            self._key.verify(cosig.signature, cosigned_message(text, cosig.timestamp))
        except InvalidSignature as exc:
            raise VerificationError(
                f"cosignature by {self._name}+{self._key_id.hex()} does not verify"
            ) from exc


class CosignatureSigner:
    """An Ed25519 cosigner: a name and a private key."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        check_name(name)
        self._name = name
        self._private_key = private_key
        self._public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._key_id = cosignature_key_id(name, self._public_key)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> bytes:
        return self._key_id

    @property
    def public_key(self) -> bytes:
        return self._public_key

    @property
    def private_key(self) -> Ed25519PrivateKey:
        return self._private_key

    def verifier_key(self) -> str:
        """``<name>+<hex key id>+<base64(0x04 || key)>``, the vkey a policy lists."""
        return _vkey(self._name, self._key_id, self._public_key)

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self._name, self._public_key)

    def cosign(self, text: str, timestamp: int) -> Cosignature:
        """The cosignature of a checkpoint's note ``text`` at ``timestamp`` (POSIX seconds)."""
        Checkpoint.from_text(text)  # a cosignature is a statement about a checkpoint
        sig = self._private_key.sign(cosigned_message(text, timestamp))
        return Cosignature(self._name, self._key_id, timestamp, sig)


def verify_cosignatures(
    note: Note, verifiers: Sequence[CosignatureVerifier], *, not_after: int | None = None
) -> list[Cosignature]:
    """The cosignatures on ``note`` by the given keys, each verified; one per key.

    As C2SP signed-note asks: a signature line whose name or key ID matches no verifier is
    ignored; one that matches a verifier must verify, else ``VerificationError`` (so must its
    length and timestamp be right). With ``not_after``, a timestamp later than it is refused
    (tlog-cosignature lets verifiers reject cosignatures from the future). No cosignature at
    all is not an error here: whether enough cosigned is a policy's question (`credo.tlog.policy`).
    """
    known = {(v.name, v.key_id): v for v in verifiers}
    found: dict[tuple[str, bytes], Cosignature] = {}
    for sig in note.signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        try:
            cosig = Cosignature.from_note_signature(sig)
        except InputError as exc:
            raise VerificationError(exc.message) from exc
        verifier.verify(note.text, cosig)
        if not_after is not None and cosig.timestamp > not_after:
            raise VerificationError(
                f"cosignature by {sig.name}+{sig.key_id.hex()} is dated {cosig.timestamp}, "
                f"after {not_after}"
            )
        found.setdefault((sig.name, sig.key_id), cosig)
    return list(found.values())


def open_cosigned_checkpoint(
    note_bytes: bytes,
    log_verifiers: Sequence[NoteVerifier],
    witnesses: Sequence[CosignatureVerifier],
    *,
    not_after: int | None = None,
) -> tuple[Checkpoint, list[Cosignature]]:
    """Verify a checkpoint's log signature (one of ``log_verifiers``) and its cosignatures.

    The checkpoint's origin must be the log key's name. Returns the checkpoint and the
    verified cosignatures by ``witnesses`` (possibly none).
    """
    note = open_note(note_bytes, log_verifiers)
    cp = Checkpoint.from_text(note.text)
    signed_by = {(s.name, s.key_id) for s in note.signatures}
    if not any((v.name, v.key_id) in signed_by and v.name == cp.origin for v in log_verifiers):
        raise VerificationError(f"checkpoint origin {cp.origin!r} is not its log key's name")
    return cp, verify_cosignatures(parse_note(note_bytes), witnesses, not_after=not_after)
