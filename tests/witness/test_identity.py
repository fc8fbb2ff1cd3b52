"""The witness's key: made once, owner-only, its name fixed."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from credo.errors import InputError
from credo.tlog.cosignature import CosignatureVerifier
from credo.witness.identity import KEY_FILE, load_or_create


def test_created_once_owner_only_and_reloaded(tmp_path: Path) -> None:
    data = tmp_path / "w"
    signer, created = load_or_create(data, "witness.test/me")
    assert created
    assert stat.S_IMODE((data / KEY_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    again, created = load_or_create(data)
    assert not created
    assert again.verifier_key() == signer.verifier_key()
    assert CosignatureVerifier.from_vkey(signer.verifier_key()).name == "witness.test/me"
    assert load_or_create(data, "witness.test/me")[0].public_key == signer.public_key


def test_default_name_is_a_valid_key_name(tmp_path: Path) -> None:
    signer, _ = load_or_create(tmp_path / "w")
    assert signer.name.endswith("/witness")


def test_name_cannot_change(tmp_path: Path) -> None:
    load_or_create(tmp_path / "w", "witness.test/me")
    with pytest.raises(InputError, match="cannot become"):
        load_or_create(tmp_path / "w", "witness.test/other")


def test_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    load_or_create(tmp_path / "w", "witness.test/me")
    (tmp_path / "w" / KEY_FILE).chmod(0o640)
    with pytest.raises(InputError, match="chmod 600"):
        load_or_create(tmp_path / "w")


def test_bad_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        load_or_create(tmp_path / "w", "has space")
    assert not (tmp_path / "w" / KEY_FILE).exists()
