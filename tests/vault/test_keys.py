from __future__ import annotations

import base64
import os
import pickle
import stat
from pathlib import Path

import pytest

from credo.errors import InputError, VerificationError
from credo.vault import MasterKey, generate_master_key_file, load_master_key
from credo.vault.keys import ENV_VAR


def test_generate_writes_owner_only_file_and_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    key = generate_master_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_master_key(path, {}) == key
    assert [p.name for p in tmp_path.iterdir()] == ["master.key"]  # no temp file left behind


def test_generate_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    first = generate_master_key_file(path)
    with pytest.raises(InputError) as info:
        generate_master_key_file(path)
    assert info.value.code == "master_key_exists"
    assert load_master_key(path, {}) == first


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "master.key"
    generate_master_key_file(path)
    os.chmod(path, mode)
    with pytest.raises(InputError, match="chmod 600") as info:
        load_master_key(path, {})
    assert info.value.code == "master_key_mode"


def test_env_var_wins_over_file(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    generate_master_key_file(path)
    other = MasterKey.generate()
    assert load_master_key(path, {ENV_VAR: other.to_base64()}) == other
    assert load_master_key(None, {ENV_VAR: other.to_base64()}) == other


@pytest.mark.parametrize(
    "text",
    ["not base64!", base64.b64encode(b"short").decode(), base64.b64encode(bytes(33)).decode()],
)
def test_bad_env_key_is_refused(text: str) -> None:
    with pytest.raises(InputError) as info:
        load_master_key(None, {ENV_VAR: text})
    assert info.value.code == "bad_master_key"


def test_no_key_anywhere(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_master_key(None, {})
    assert info.value.code == "no_master_key"
    with pytest.raises(InputError) as info:
        load_master_key(tmp_path / "absent.key", {})
    assert info.value.code == "no_master_key"


def test_repr_and_str_show_only_a_fingerprint() -> None:
    key = MasterKey(bytes(range(32)))
    secret_forms = [key.to_base64(), bytes(range(32)).hex(), repr(bytes(range(32)))]
    for shown in (repr(key), str(key), f"{key}", repr([key])):
        assert key.fingerprint in shown
        for secret in secret_forms:
            assert secret not in shown


def test_master_key_is_not_picklable() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(MasterKey.generate())


def test_subkeys_are_separated_and_deterministic() -> None:
    a, b = MasterKey(bytes(32)), MasterKey(bytes(32))
    assert a.lookup("AB1234") == b.lookup("AB1234")
    assert a.lookup("AB1234") != MasterKey.generate().lookup("AB1234")
    assert a.check_value() not in (a.lookup("AB1234"), a.tombstone("0" * 32))


def test_wrapped_key_is_bound_to_its_ref_and_master() -> None:
    key = MasterKey.generate()
    ref, other_ref = "a" * 32, "b" * 32
    wrapped = key.wrap_data_key(ref, bytes(32))
    assert key.unwrap_data_key(ref, wrapped) == bytes(32)
    with pytest.raises(VerificationError):
        key.unwrap_data_key(other_ref, wrapped)
    with pytest.raises(VerificationError):
        MasterKey.generate().unwrap_data_key(ref, wrapped)


def test_master_key_length_is_checked() -> None:
    with pytest.raises(InputError):
        MasterKey(bytes(31))
