"""The witness's own key: ``DIR/witness.pem`` (PKCS#8, owner-only) and ``DIR/witness.json``
(its name), made on first run.

The key name is part of the key ID, so it is fixed when the key is made: a later run that asks
for another name is refused rather than silently becoming another witness.
"""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from credo.errors import InputError
from credo.tlog.cosignature import CosignatureSigner
from credo.tlog.note import check_name

KEY_FILE = "witness.pem"
NAME_FILE = "witness.json"
DB_FILE = "witness.db"


def default_name() -> str:
    """``<host name>/witness``: a schema-less URL-ish name, as tlog-cosignature suggests."""
    host = "".join(c for c in socket.gethostname() if c.isalnum() or c in "-.") or "localhost"
    return f"{host}/witness"


def load_or_create(data: Path, name: str | None = None) -> tuple[CosignatureSigner, bool]:
    """The witness's signer from ``data``, made there first if absent; True if just made."""
    key_path, name_path = data / KEY_FILE, data / NAME_FILE
    if not key_path.exists():
        return _create(data, name or default_name()), True
    mode = stat.S_IMODE(key_path.stat().st_mode)
    if mode & 0o077:
        raise InputError(f"{key_path} is readable by others (mode {mode:o}); chmod 600 it")
    try:
        stored = json.loads(name_path.read_text())["name"]
        key = load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"cannot read the witness key in {data}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey) or not isinstance(stored, str):
        raise InputError(f"{key_path} is not an Ed25519 witness key")
    if name is not None and name != stored:
        raise InputError(
            f"this witness is named {stored!r}; its key ID depends on the name, so it cannot "
            f"become {name!r} (use another data directory for another witness)"
        )
    return CosignatureSigner(stored, key), False


def _create(data: Path, name: str) -> CosignatureSigner:
    check_name(name)
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    (data / NAME_FILE).write_text(json.dumps({"name": name}) + "\n")  # before the key
    fd = os.open(data / KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())
    return CosignatureSigner(name, key)
