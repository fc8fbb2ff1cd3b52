"""The vault's master key inside a PKCS#11 token (an HSM): generated there, never leaving it.

`credo init --hsm` generates three secret keys in the token, one per purpose, in place of the
file key's three HKDF outputs: an AES-256 key wrapping people's data keys, an HMAC-SHA256 key
for the lookup index and tombstones, and an AES-256 key for entry tags. Each is a token object
with CKA_SENSITIVE true and CKA_EXTRACTABLE false (PKCS#11 v2.40 section 4.9), so the token
refuses to reveal or wrap it out; every wrap, unwrap, lookup and tag is computed by the token.
The data directory then holds only the module path, the token's label and the keys' label:
a copy of it, without the token and its PIN, opens nobody's data.

The PIN comes from ``CREDO_HSM_PIN``, never from a file or the command line (which other users
see in ``ps``). Formats match :class:`credo.vault.keys.MasterKey` byte for byte (the same AD,
nonces and tag layout), so the rest of the vault does not know which kind of key it holds.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11.mechanisms import GCMParams

from credo.errors import Conflict, InputError, StoreError, VerificationError
from credo.vault.keys import (
    _ENTRY_TAG_AD,
    _FINGERPRINT_TAG,
    _LOOKUP_TAG,
    _TOMBSTONE_TAG,
    _WRAP_AD_PREFIX,
    KEY_BYTES,
    NONCE_BYTES,
    SUBJECT_BYTES,
    tag_bytes,
    tag_text,
)

__all__ = ["PIN_ENV", "Pkcs11Config", "Pkcs11Key"]

PIN_ENV = "CREDO_HSM_PIN"
_CHECK_TAG = b"check\x00"  # distinct from the lookup and tombstone messages' tags
_GCM_TAG_BITS = 128
# The three keys' roles, as suffixes of the configured label.
_WRAP, _INDEX, _TAGS = "wrap", "index", "tags"
# Never readable, never wrappable out of the token, kept on it, visible only after login.
_LOCKED = {
    Attribute.TOKEN: True,
    Attribute.SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
    Attribute.PRIVATE: True,
}


@dataclass(frozen=True, slots=True)
class Pkcs11Config:
    """Where the key lives: the PKCS#11 module (a shared library), the token's label, and the
    label prefix of credo's keys on it. What config.json records; it names no secret."""

    module: str
    token: str
    label: str = "credo-vault"

    def to_json(self) -> dict[str, str]:
        return {"kind": "pkcs11", "module": self.module, "token": self.token, "label": self.label}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Pkcs11Config:
        try:
            return cls(str(value["module"]), str(value["token"]), str(value["label"]))
        except KeyError as exc:
            raise InputError(
                f"config.json's vault_key lacks {exc.args[0]!r}", code="bad_config"
            ) from exc


def _pin(env: Mapping[str, str]) -> str:
    pin = env.get(PIN_ENV)
    if not pin:
        raise InputError(
            f"the vault's key is in an HSM: set {PIN_ENV} to the token's user PIN",
            code="no_hsm_pin",
        )
    return pin


def _session(config: Pkcs11Config, env: Mapping[str, str], *, rw: bool) -> pkcs11.Session:
    try:
        lib = pkcs11.lib(config.module)
    except (OSError, RuntimeError, pkcs11.PKCS11Error) as exc:
        raise InputError(
            f"cannot load the PKCS#11 module {config.module}: {exc}", code="hsm_unavailable"
        ) from exc
    try:
        token = lib.get_token(token_label=config.token)
    except pkcs11.NoSuchToken as exc:
        raise InputError(
            f"no PKCS#11 token labelled {config.token!r} is present: the vault's key lives "
            "there, and without it no person's data opens",
            code="hsm_unavailable",
        ) from exc
    except pkcs11.PKCS11Error as exc:
        raise InputError(
            f"cannot reach the PKCS#11 token: {exc!r}", code="hsm_unavailable"
        ) from exc
    try:
        return token.open(user_pin=_pin(env), rw=rw)
    except pkcs11.PinIncorrect as exc:
        raise InputError(f"{PIN_ENV} is not the token's PIN", code="bad_hsm_pin") from exc
    except pkcs11.PKCS11Error as exc:
        raise InputError(
            f"cannot sign in to the PKCS#11 token: {exc!r}", code="hsm_unavailable"
        ) from exc


def _find(session: pkcs11.Session, label: str) -> Any:
    """The secret key labelled ``label``, or None. ``Any``: python-pkcs11 mixes encrypt and
    sign into its key classes at run time, beyond what its type hints declare."""
    found = list(
        session.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.LABEL: label})
    )
    if len(found) > 1:
        raise StoreError(f"the token holds {len(found)} keys labelled {label!r}", code="hsm_keys")
    key = found[0] if found else None
    if key is not None and not isinstance(key, pkcs11.SecretKey):
        raise StoreError(f"{label!r} on the token is not a secret key", code="hsm_keys")
    return key


class Pkcs11Key:
    """A :class:`credo.vault.keys.VaultKey` whose keys never leave a PKCS#11 token.

    One session, opened at construction; a lock serializes operations on it, since a PKCS#11
    session runs one operation at a time (PKCS#11 v2.40 section 5.1).
    """

    __slots__ = ("_fingerprint", "_index", "_lock", "_session", "_tags", "_wrap", "config")

    def __init__(self, session: pkcs11.Session, config: Pkcs11Config) -> None:
        self.config = config
        self._session = session
        self._lock = threading.Lock()
        keys = {role: _find(session, f"{config.label}/{role}") for role in (_WRAP, _INDEX, _TAGS)}
        missing = [role for role, key in keys.items() if key is None]
        if missing:
            session.close()
            raise InputError(
                f"token {config.token!r} holds no credo vault key labelled {config.label!r} "
                f"(missing: {', '.join(missing)}); this is not the token the vault was made with",
                code="hsm_keys_missing",
            )
        found = {role: key for role, key in keys.items() if key is not None}
        for role, key in found.items():
            if key[Attribute.EXTRACTABLE] or not key[Attribute.SENSITIVE]:
                session.close()
                raise InputError(
                    f"the token's {config.label}/{role} key can leave the token "
                    "(extractable or not sensitive); credo refuses to rely on it",
                    code="hsm_key_extractable",
                )
        self._wrap, self._index, self._tags = found[_WRAP], found[_INDEX], found[_TAGS]
        self._fingerprint = self._hmac(_FINGERPRINT_TAG)[:8].hex()

    @classmethod
    def open(cls, config: Pkcs11Config, env: Mapping[str, str]) -> Pkcs11Key:
        """Sign in to the token (PIN from ``CREDO_HSM_PIN``) and find credo's keys on it."""
        return cls(_session(config, env, rw=False), config)

    @classmethod
    def generate(cls, config: Pkcs11Config, env: Mapping[str, str]) -> Pkcs11Key:
        """Generate credo's three keys inside the token, non-extractable; refuse if any
        already exists there (replacing the key would make every sealed payload unreadable)."""
        session = _session(config, env, rw=True)
        try:
            for role in (_WRAP, _INDEX, _TAGS):
                if _find(session, f"{config.label}/{role}") is not None:
                    raise Conflict(
                        f"token {config.token!r} already holds {config.label}/{role}; "
                        "refusing to replace it (choose another --hsm-label)",
                        code="hsm_key_exists",
                    )
            aes = MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT
            for role in (_WRAP, _TAGS):
                session.generate_key(
                    KeyType.AES,
                    KEY_BYTES * 8,
                    label=f"{config.label}/{role}",
                    store=True,
                    capabilities=aes,
                    template=_LOCKED,
                )
            session.generate_key(
                KeyType.GENERIC_SECRET,
                KEY_BYTES * 8,
                label=f"{config.label}/{_INDEX}",
                store=True,
                capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY,
                template=_LOCKED,
            )
        except pkcs11.PKCS11Error as exc:
            session.close()
            raise StoreError(f"the token refused to generate the vault's keys: {exc!r}") from exc
        except BaseException:
            session.close()
            raise
        return cls(session, config)

    # -- the VaultKey operations, each done by the token -----------------------------------

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def __repr__(self) -> str:
        return f"Pkcs11Key(token={self.config.token!r}, fingerprint={self._fingerprint})"

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a Pkcs11Key is not picklable: its session belongs to this process")

    def _hmac(self, message: bytes) -> bytes:
        with self._lock:
            return bytes(self._index.sign(message, mechanism=Mechanism.SHA256_HMAC))

    def check_value(self) -> bytes:
        return self._hmac(_CHECK_TAG)

    def lookup(self, normalized_id: str) -> bytes:
        return self._hmac(_LOOKUP_TAG + normalized_id.encode("ascii"))

    def tombstone(self, ref: str) -> bytes:
        return self._hmac(_TOMBSTONE_TAG + ref.encode("ascii"))

    def _seal(self, key: Any, plain: bytes, ad: bytes) -> bytes:
        # The nonce comes from the host's CSPRNG and travels in the output, as with the file
        # key; PKCS#11 v2.40's CK_GCM_PARAMS takes the IV from the caller.
        nonce = secrets.token_bytes(NONCE_BYTES)
        params = GCMParams(nonce, ad, _GCM_TAG_BITS)
        with self._lock:
            body = key.encrypt(plain, mechanism=Mechanism.AES_GCM, mechanism_param=params)
        return nonce + bytes(body)

    def _open(self, key: Any, blob: bytes, ad: bytes) -> bytes | None:
        params = GCMParams(blob[:NONCE_BYTES], ad, _GCM_TAG_BITS)
        try:
            with self._lock:
                plain = key.decrypt(
                    blob[NONCE_BYTES:], mechanism=Mechanism.AES_GCM, mechanism_param=params
                )
        except pkcs11.PKCS11Error:  # SoftHSM2 reports a bad GCM tag as CKR_GENERAL_ERROR
            return None
        return bytes(plain)

    def entry_tag(self, subject: str) -> str:
        return tag_text(self._seal(self._tags, bytes.fromhex(subject), _ENTRY_TAG_AD))

    def tag_subject(self, tag: str) -> str | None:
        raw = tag_bytes(tag)
        if raw is None:
            return None
        subject = self._open(self._tags, raw, _ENTRY_TAG_AD)
        return subject.hex() if subject is not None and len(subject) == SUBJECT_BYTES else None

    def wrap_data_key(self, ref: str, data_key: bytes) -> bytes:
        return self._seal(self._wrap, data_key, _WRAP_AD_PREFIX + ref.encode("ascii"))

    def unwrap_data_key(self, ref: str, wrapped: bytes) -> bytes:
        key = self._open(self._wrap, wrapped, _WRAP_AD_PREFIX + ref.encode("ascii"))
        if key is None or len(key) != KEY_BYTES:
            raise VerificationError(
                f"the data key of subject {ref} did not open in the token: another token's "
                "key, or a tampered row",
                code="bad_wrapped_key",
            )
        return key

    def close(self) -> None:
        with self._lock:
            self._session.close()
