"""C2SP signed-note with Ed25519 keys: signing, co-signing, parsing and opening notes.

Compatible with golang.org/x/mod/sumdb/note: the same key IDs, verifier keys and encoding.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from credo.errors import InputError, VerificationError

ALG_ED25519 = 0x01
MAX_SIGNATURES = 100
SIG_PREFIX = "— "  # em dash (U+2014) and a space, C2SP signed-note "Signatures"

_HEX8 = re.compile(r"[0-9a-f]{8}")


def _b64decode(text: str, what: str) -> bytes:
    """Strict standard base64: valid alphabet, padding and canonical encoding."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise InputError(f"{what} is not canonical base64")
    return raw


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def check_name(name: str) -> None:
    """C2SP signed-note key names: non-empty, no Unicode whitespace, no "+"."""
    if not name or "+" in name or any(c.isspace() or c < " " for c in name):
        raise InputError(f"invalid key name {name!r}")


def split_vkey(vkey: str) -> tuple[str, bytes, bytes]:
    """Split a verifier key ``<name>+<hex key id>+<base64(type || key)>`` (C2SP signed-note).

    Returns the name, the 4-byte key ID and the decoded ``type || key`` bytes; checking the
    type, the key and that the ID matches them is the caller's, who knows the type.
    """
    name, _, rest = vkey.partition("+")
    hex_id, _, key64 = rest.partition("+")
    check_name(name)
    if not _HEX8.fullmatch(hex_id):
        raise InputError(f"verifier key {vkey!r}: key ID must be 8 lowercase hex digits")
    raw = _b64decode(key64, f"verifier key {vkey!r}")
    if not raw:
        raise InputError(f"verifier key {vkey!r}: no signature type or key")
    return name, bytes.fromhex(hex_id), raw


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID: SHA-256(name || "\\n" || 0x01 || key)[:4] (C2SP signed-note)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


def _vkey(name: str, kid: bytes, public_key: bytes) -> str:
    return f"{name}+{kid.hex()}+{_b64encode(bytes([ALG_ED25519]) + public_key)}"


class NoteSigner:
    """An Ed25519 note signer: a key name and a private key."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        check_name(name)
        self._name = name
        self._private_key = private_key
        self._public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._key_id = key_id(name, self._public_key)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> bytes:
        return self._key_id

    @property
    def public_key(self) -> bytes:
        """The 32 raw bytes of the Ed25519 public key."""
        return self._public_key

    def verifier_key(self) -> str:
        """The verifier key string ``<name>+<hex key id>+<base64(0x01 || key)>``."""
        return _vkey(self._name, self._key_id, self._public_key)

    def verifier(self) -> NoteVerifier:
        """The matching verifier."""
        return NoteVerifier(self._name, self._public_key)

    def sign(self, msg: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``msg``."""
        return self._private_key.sign(msg)


class NoteVerifier:
    """An Ed25519 note verifier, usually built from a verifier key string."""

    def __init__(self, name: str, public_key: bytes) -> None:
        check_name(name)
        if len(public_key) != 32:
            raise InputError(f"Ed25519 public key is {len(public_key)} bytes, expected 32")
        self._name = name
        self._public_key = public_key
        self._key_id = key_id(name, public_key)
        self._key = Ed25519PublicKey.from_public_bytes(public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse ``<name>+<hex key id>+<base64(0x01 || key)>`` strictly (C2SP signed-note)."""
        name, kid, raw = split_vkey(vkey)
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise InputError(f"verifier key {vkey!r}: not an Ed25519 key (0x01 and 32 bytes)")
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

    def verify(self, msg: bytes, sig: bytes) -> None:
        """Raise ``VerificationError`` unless ``sig`` is this key's signature of ``msg``."""
        try:
            self._key.verify(sig, msg)
        except InvalidSignature as exc:
            raise VerificationError(
                f"signature by {self._name}+{self._key_id.hex()} does not verify"
            ) from exc


def generate_signer(name: str) -> NoteSigner:
    """A signer with a fresh Ed25519 key."""
    return NoteSigner(name, Ed25519PrivateKey.generate())


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: the key name, 4-byte key ID and the signature bytes."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{SIG_PREFIX}{self.name} {_b64encode(self.key_id + self.signature)}\n"


@dataclass(frozen=True)
class Note:
    """A parsed note: its text (ending in a newline) and its signatures."""

    text: str
    signatures: list[NoteSignature]


def _check_text(text: str) -> None:
    """C2SP signed-note text: non-empty, ends in a newline, no other control characters."""
    if not text.endswith("\n"):
        raise InputError("note text must be non-empty and end with a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise InputError("note text contains a control character")


def _signature_line(text: str, signer: NoteSigner) -> str:
    sig = NoteSignature(signer.name, signer.key_id, signer.sign(text.encode()))
    return sig.line()


def sign_note(text: str, signers: Sequence[NoteSigner]) -> bytes:
    """``text``, a blank line, then one signature line per signer (C2SP signed-note)."""
    _check_text(text)
    if not signers:
        raise InputError("a note needs at least one signer")
    return (text + "\n" + "".join(_signature_line(text, s) for s in signers)).encode()


def add_signatures(note: bytes, signers: Sequence[NoteSigner]) -> bytes:
    """Co-sign ``note``: keep its signatures (except ones by the same keys) and add new ones."""
    parsed = parse_note(note)
    new_keys = {(s.name, s.key_id) for s in signers}
    kept = [s.line() for s in parsed.signatures if (s.name, s.key_id) not in new_keys]
    added = [_signature_line(parsed.text, s) for s in signers]
    return (parsed.text + "\n" + "".join(kept + added)).encode()


def parse_note(note: bytes) -> Note:
    """Split a signed note into text and signatures without verifying any of them.

    Rules of C2SP signed-note (and Go's ``note.Open``): valid UTF-8, no control characters
    but newline, text and signatures separated by the last blank line, at most 100
    signatures, each ``— <name> <base64(key id || signature)>``.
    """
    try:
        msg = note.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("note is not valid UTF-8") from exc
    split = msg.rfind("\n\n")
    if split < 0:
        raise InputError("note has no blank line before its signatures")
    text, sigs = msg[: split + 1], msg[split + 2 :]
    _check_text(text)
    if not sigs.endswith("\n"):
        raise InputError("note signatures must end with a newline")
    lines = sigs[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise InputError(f"note has {len(lines)} signatures, the limit is {MAX_SIGNATURES}")
    return Note(text, [_parse_signature_line(line) for line in lines])


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(SIG_PREFIX):
        raise InputError(f"note signature line {line!r} does not start with an em dash")
    name, _, b64 = line[len(SIG_PREFIX) :].partition(" ")
    check_name(name)
    raw = _b64decode(b64, f"signature of {name}")
    if len(raw) < 5:
        raise InputError(f"signature of {name} is too short")
    return NoteSignature(name, raw[:4], raw[4:])


def _index_verifiers(verifiers: Sequence[NoteVerifier]) -> dict[tuple[str, bytes], NoteVerifier]:
    known: dict[tuple[str, bytes], NoteVerifier] = {}
    for v in verifiers:
        other = known.setdefault((v.name, v.key_id), v)
        if other.public_key != v.public_key:
            raise InputError(f"ambiguous key {v.name}+{v.key_id.hex()}")
    return known


def open_note(note: bytes, verifiers: Sequence[NoteVerifier]) -> Note:
    """Parse ``note`` and verify every signature by a known key (C2SP signed-note).

    Signatures by unknown keys are ignored and left out of the result; an invalid signature
    by a known key, or no signature by any known key, raises ``VerificationError``.
    """
    parsed = parse_note(note)
    known = _index_verifiers(verifiers)
    verified: dict[tuple[str, bytes], NoteSignature] = {}
    for sig in parsed.signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        verifier.verify(parsed.text.encode(), sig.signature)
        verified.setdefault((sig.name, sig.key_id), sig)
    if not verified:
        names = ", ".join(f"{v.name}+{v.key_id.hex()}" for v in known.values()) or "none"
        raise VerificationError(f"note has no signature by a known key (known: {names})")
    return Note(parsed.text, list(verified.values()))
