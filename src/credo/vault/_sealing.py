"""Pure record sealing: AEAD under a subject's data key, and the salted commitment the log carries.

No I/O here. The vault stores the blobs; the log stores only the commitment, which reveals nothing
about the payload because its salt lives inside the ciphertext (and dies with the data key).
"""

from __future__ import annotations

import hashlib
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from credo.errors import VerificationError

__all__ = ["SALT_BYTES", "commitment", "open_record", "record_ad", "seal_record"]

SALT_BYTES = 32
NONCE_BYTES = 12  # NIST SP 800-38D section 5.2.1.1: 96-bit IVs
FORMAT_V1 = b"\x01"
_COMMIT_TAG = b"credo-commit-v1"
_RECORD_AD_TAG = b"credo-record-v1\x00"
_TAG_BYTES = 16
_MIN_BLOB = len(FORMAT_V1) + NONCE_BYTES + SALT_BYTES + _TAG_BYTES


def commitment(salt: bytes, payload: bytes) -> str:
    """Hex SHA-256("credo-commit-v1" || salt || payload).

    The salt is a fixed 32 bytes, so the concatenation is unambiguous; being random and kept only
    inside the ciphertext, it stops anyone holding the log from confirming a guessed payload.
    """
    if len(salt) != SALT_BYTES:
        raise ValueError(f"salt must be {SALT_BYTES} bytes")
    return hashlib.sha256(_COMMIT_TAG + salt + payload).hexdigest()


def record_ad(ref: str, record_key: str, context: bytes) -> bytes:
    """Associated data: tag || ref || record_key || context.

    ref and record_key are fixed-length (32 hex chars each) and context comes last, so no two
    different triples give the same bytes. Binding the record key stops a ciphertext from being
    swapped onto another record of the same subject.
    """
    return _RECORD_AD_TAG + ref.encode("ascii") + record_key.encode("ascii") + context


def seal_record(data_key: bytes, ad: bytes, payload: bytes) -> tuple[bytes, str]:
    """Encrypt ``salt || payload`` with AES-256-GCM and a random 96-bit nonce.

    Returns (blob, commitment) where blob = version || nonce || ciphertext-and-tag. Random nonces
    are safe here because each data key belongs to one subject and seals far fewer than the 2^32
    messages NIST SP 800-38D section 8.3 allows per key.
    """
    salt = secrets.token_bytes(SALT_BYTES)
    nonce = secrets.token_bytes(NONCE_BYTES)
    body = AESGCM(data_key).encrypt(nonce, salt + payload, ad)
    return FORMAT_V1 + nonce + body, commitment(salt, payload)


def open_record(data_key: bytes, ad: bytes, blob: bytes) -> tuple[bytes, bytes]:
    """Decrypt a blob from :func:`seal_record`; returns (salt, payload) or raises."""
    if len(blob) < _MIN_BLOB:
        raise VerificationError(
            f"record blob is {len(blob)} bytes, shorter than the {_MIN_BLOB} any record needs",
            code="bad_ciphertext",
        )
    if blob[:1] != FORMAT_V1:
        raise VerificationError(
            f"record blob has format byte {blob[:1].hex() or 'none'}, expected 01",
            code="bad_ciphertext",
        )
    nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        plain = AESGCM(data_key).decrypt(nonce, body, ad)
    except InvalidTag as exc:
        raise VerificationError(
            "record ciphertext did not authenticate: tampered, or opened with the wrong "
            "subject, record key or context",
            code="bad_ciphertext",
        ) from exc
    return plain[:SALT_BYTES], plain[SALT_BYTES:]


# -- sealed entry metadata -------------------------------------------------------------------

_META_AD_TAG = b"credo-sealed-v1\x00"
_META_COMMIT_TAG = b"credo-meta-v1\x00"
META_SALT_BYTES = 16


def meta_ad(kind: str, by: str, tag: str) -> bytes:
    """Associated data of an entry's sealed metadata: its kind, signing member and tag.

    Kind and member ids never hold a NUL, and the tag comes last, so the encoding is
    unambiguous; sealed metadata copied into another entry no longer opens.
    """
    return (
        _META_AD_TAG + kind.encode("ascii") + b"\x00" + by.encode("ascii") + b"\x00" + tag.encode()
    )


def meta_commitment(plaintext: bytes) -> str:
    """Hex SHA-256("credo-meta-v1" NUL || plaintext): what the log carries beside the sealed
    metadata. The plaintext holds a random salt, so the commitment confirms no guess; the
    person, given the plaintext in their export, checks it against the log without any key."""
    return hashlib.sha256(_META_COMMIT_TAG + plaintext).hexdigest()


def seal_meta(data_key: bytes, ad: bytes, plaintext: bytes) -> bytes:
    """version || nonce || AES-256-GCM(plaintext), the same form as a record blob."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return FORMAT_V1 + nonce + AESGCM(data_key).encrypt(nonce, plaintext, ad)


def open_meta(data_key: bytes, ad: bytes, blob: bytes) -> bytes:
    if len(blob) < 1 + NONCE_BYTES + _TAG_BYTES or blob[:1] != FORMAT_V1:
        raise VerificationError("sealed metadata is malformed", code="bad_seal")
    try:
        return AESGCM(data_key).decrypt(blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :], ad)
    except InvalidTag as exc:
        raise VerificationError(
            "sealed metadata did not authenticate: tampered, or moved to another entry",
            code="bad_seal",
        ) from exc
