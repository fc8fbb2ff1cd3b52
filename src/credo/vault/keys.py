"""The vault's master key: what every key operation of the vault goes through.

The vault asks a :class:`VaultKey` to wrap and unwrap data keys, to key the lookup index and
to make and resolve entry tags; it never sees the key itself. Two kinds exist:

- :class:`MasterKey` (this module): 32 bytes in a file of the data directory (or in
  ``CREDO_MASTER_KEY``). HKDF-SHA256 (RFC 5869) derives a key-wrapping key, a lookup-index key,
  a tag key and a check value from it, so each purpose has its own key and a leak of one output
  says nothing about the others. It is for demos and tests: whoever copies the data directory
  holds the key to every living person's data.
- ``credo.vault.hsm.Pkcs11Key``: keys generated inside a PKCS#11 token (an HSM), marked
  non-extractable, which do every operation themselves (`credo init --hsm`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from credo.errors import InputError, StoreError, VerificationError

__all__ = [
    "ENV_VAR",
    "KEY_BYTES",
    "MasterKey",
    "VaultKey",
    "generate_master_key_file",
    "load_master_key",
]

ENV_VAR = "CREDO_MASTER_KEY"
KEY_BYTES = 32
NONCE_BYTES = 12  # 96-bit nonces, the length NIST SP 800-38D section 5.2.1.1 recommends

# RFC 5869 section 3.2: distinct `info` strings bind each output to one purpose.
_INFO_WRAP = b"credo/vault/v1/wrap-data-keys"
_INFO_INDEX = b"credo/vault/v1/lookup-index"
_INFO_CHECK = b"credo/vault/v1/key-check"
_INFO_TAG = b"credo/vault/v1/entry-tags"
_WRAP_AD_PREFIX = b"credo-dek-v1\x00"
# Messages under the index key start with distinct tags ending in NUL, a byte no id or ref holds.
_LOOKUP_TAG = b"id\x00"
_TOMBSTONE_TAG = b"erased\x00"
_FINGERPRINT_TAG = b"credo-master-fingerprint-v1\x00"
_ENTRY_TAG_AD = b"credo-entry-tag-v1"
SUBJECT_BYTES = 16
TAG_CHARS = 59  # base64url, unpadded, of nonce (12) || subject (16) || GCM tag (16)


class VaultKey(Protocol):
    """The key operations the vault needs, whoever holds the key (a file or an HSM).

    Every output is bound to its purpose: lookups and tombstones are keyed hashes of distinct
    messages, wrapped data keys are AEAD-bound to their subject ref, tags to their own AD.
    """

    @property
    def fingerprint(self) -> str:
        """A short hex value telling keys apart, never enough to guess one."""
        ...

    def check_value(self) -> bytes:
        """A value stored in the vault so that opening it with the wrong key fails up front."""
        ...

    def lookup(self, normalized_id: str) -> bytes:
        """A keyed hash of a normalized national id: the vault's index."""
        ...

    def tombstone(self, ref: str) -> bytes:
        """A keyed hash marking ``ref`` as erased without storing the ref."""
        ...

    def entry_tag(self, subject: str) -> str:
        """A fresh blinded tag naming ``subject``, different at every call."""
        ...

    def tag_subject(self, tag: str) -> str | None:
        """The subject a tag names, or None if this key did not make it."""
        ...

    def wrap_data_key(self, ref: str, data_key: bytes) -> bytes:
        """A subject's data key, encrypted and bound to ``ref``."""
        ...

    def unwrap_data_key(self, ref: str, wrapped: bytes) -> bytes:
        """The data key :meth:`wrap_data_key` wrapped; VerificationError if it does not open."""
        ...

    def close(self) -> None:
        """Let go of whatever the key holds open (an HSM session); a no-op for a file key."""
        ...


def tag_text(raw: bytes) -> str:
    """An entry tag's bytes as written on the log: base64url, unpadded."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def tag_bytes(tag: object) -> bytes | None:
    """An entry tag's bytes, or None if ``tag`` is not one (wrong type, length or alphabet)."""
    if not isinstance(tag, str) or len(tag) != TAG_CHARS:
        return None
    try:
        return base64.urlsafe_b64decode(tag + "=")
    except (binascii.Error, ValueError):
        return None


def _hkdf(master: bytes, info: bytes) -> bytes:
    # RFC 5869 section 3.1: a salt is optional when the input key material is already uniformly
    # random, which 32 bytes from the OS CSPRNG are.
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(master)


class MasterKey:
    """32 random bytes that every other vault secret hangs from.

    ``repr`` and ``str`` show only a short fingerprint, so the key cannot leak through a log line
    or a traceback's locals.
    """

    __slots__ = ("_check", "_fingerprint", "_index_key", "_secret", "_tags", "_wrap")

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes) or len(secret) != KEY_BYTES:
            raise InputError(f"a master key is exactly {KEY_BYTES} bytes", code="bad_master_key")
        self._secret = secret
        self._wrap = AESGCM(_hkdf(secret, _INFO_WRAP))
        self._index_key = _hkdf(secret, _INFO_INDEX)
        self._check = _hkdf(secret, _INFO_CHECK)
        self._tags = AESGCM(_hkdf(secret, _INFO_TAG))
        self._fingerprint = hashlib.sha256(_FINGERPRINT_TAG + secret).hexdigest()[:16]

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    @classmethod
    def from_base64(cls, text: str) -> MasterKey:
        try:
            raw = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InputError("the master key is not valid base64", code="bad_master_key") from exc
        return cls(raw)

    def to_base64(self) -> str:
        return base64.b64encode(self._secret).decode("ascii")

    @property
    def fingerprint(self) -> str:
        """16 hex chars of a tagged SHA-256 of the key: enough to tell keys apart, not to guess."""
        return self._fingerprint

    def __repr__(self) -> str:
        return f"MasterKey(fingerprint={self._fingerprint})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MasterKey):
            return NotImplemented
        return hmac.compare_digest(self._secret, other._secret)

    def __hash__(self) -> int:
        return hash(self._fingerprint)

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a MasterKey is not picklable: it must not leave the process")

    def close(self) -> None:
        """Nothing to let go of: the key lives in this process's memory."""

    def check_value(self) -> bytes:
        """A value stored in the vault so that opening it with the wrong key fails up front."""
        return self._check

    def lookup(self, normalized_id: str) -> bytes:
        """HMAC-SHA256 (RFC 2104) of a normalized national id under the index key.

        A keyed hash, not a plain one: national ids are short and guessable, so without the key
        nobody can test a guess against the table.
        """
        message = _LOOKUP_TAG + normalized_id.encode("ascii")
        return hmac.new(self._index_key, message, hashlib.sha256).digest()

    def tombstone(self, ref: str) -> bytes:
        """HMAC-SHA256 marking ``ref`` as erased without storing the ref itself."""
        message = _TOMBSTONE_TAG + ref.encode("ascii")
        return hmac.new(self._index_key, message, hashlib.sha256).digest()

    def entry_tag(self, subject: str) -> str:
        """A fresh blinded tag naming ``subject``: AES-256-GCM of the subject id under the tag
        key, with a random 96-bit nonce.

        Every call gives a different tag for the same subject, indistinguishable from random
        without the key (GCM is IND-CPA secure for random nonces, NIST SP 800-38D section 8),
        so two entries about one person share no value; the vault alone can name the subject.
        A tag holds no data key: after erasure it still names a subject id, whose records no
        key opens any more.
        """
        nonce = secrets.token_bytes(NONCE_BYTES)
        return tag_text(nonce + self._tags.encrypt(nonce, bytes.fromhex(subject), _ENTRY_TAG_AD))

    def tag_subject(self, tag: str) -> str | None:
        """The subject id a tag names, or None if this key did not make it."""
        raw = tag_bytes(tag)
        if raw is None:
            return None
        try:
            subject = self._tags.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _ENTRY_TAG_AD)
        except InvalidTag:
            return None
        return subject.hex() if len(subject) == SUBJECT_BYTES else None

    def wrap_data_key(self, ref: str, data_key: bytes) -> bytes:
        """Encrypt a subject's data key: AES-256-GCM with the subject ref as associated data.

        Binding the ref (NIST SP 800-38D section 5.2.1.1, "additional authenticated data") means a
        wrapped key copied onto another subject's row no longer opens. Nonces are random 96-bit
        values; one wrap per subject stays far below the 2^32 invocations section 8.3 allows.
        """
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._wrap.encrypt(nonce, data_key, _WRAP_AD_PREFIX + ref.encode("ascii"))

    def unwrap_data_key(self, ref: str, wrapped: bytes) -> bytes:
        nonce, body = wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:]
        try:
            key = self._wrap.decrypt(nonce, body, _WRAP_AD_PREFIX + ref.encode("ascii"))
        except InvalidTag as exc:
            raise VerificationError(
                f"the data key of subject {ref} did not authenticate: wrong master key "
                "or a tampered row",
                code="bad_wrapped_key",
            ) from exc
        if len(key) != KEY_BYTES:
            raise VerificationError(
                f"the data key of subject {ref} is {len(key)} bytes, expected {KEY_BYTES}",
                code="bad_wrapped_key",
            )
        return key


def load_master_key(path: Path | None, env: Mapping[str, str]) -> MasterKey:
    """The master key from ``CREDO_MASTER_KEY`` (base64) if set, else from the key file.

    The file must be readable by its owner only (0600 or 0400), the rule ssh applies to private
    keys: a key that others could have read is refused rather than trusted.
    """
    text = env.get(ENV_VAR)
    if text:
        return MasterKey.from_base64(text)
    if path is None:
        raise InputError(f"no master key: set {ENV_VAR} or give a key file", code="no_master_key")
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError as exc:
        raise InputError(f"master key file {path} does not exist", code="no_master_key") from exc
    if mode & 0o077:
        raise InputError(
            f"master key file {path} has mode {mode:04o}; it must be 0600 (owner only). "
            f"Fix it with: chmod 600 {path}",
            code="master_key_mode",
        )
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read master key file {path}: {exc}", code="bad_master_key"
        ) from exc
    return MasterKey.from_base64(text)


def generate_master_key_file(path: Path) -> MasterKey:
    """Write a new random master key to ``path`` (base64, mode 0600) and return it.

    Atomic and never overwriting: the key goes to a temporary file created 0600 in the same
    directory, is fsynced, then hard-linked into place, which fails if ``path`` already exists.
    Replacing an existing master key would make every sealed payload unreadable.
    """
    key = MasterKey.generate()
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, (key.to_base64() + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError as exc:
            raise InputError(
                f"master key file {path} already exists; refusing to overwrite it",
                code="master_key_exists",
            ) from exc
        _fsync_dir(path.parent)
    except OSError as exc:
        raise StoreError(f"cannot write master key file {path}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return key


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
