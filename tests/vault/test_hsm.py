"""The vault's master key in a PKCS#11 token (SoftHSM2): generated there, non-extractable,
every key operation done by the token, and a copy of the data directory useless without it."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pkcs11
import pytest
from pkcs11 import Attribute, ObjectClass

from credo.errors import Conflict, InputError, VerificationError
from credo.ledger.entries import statement_of
from credo.ledger.personal import open_statement
from credo.services.node import DataDir, Node, admit_member, init_consortium
from credo.services.people import People
from credo.store import open_store
from credo.vault import Vault
from credo.vault.hsm import PIN_ENV, Pkcs11Key
from credo.vault.keys import VaultKey
from credo.vault.rows import VaultStorage
from tests._softhsm import MODULE, make_token, use_token_dir

NID = "HSM-4242-0001"
PAYLOAD = {"amount": 7311, "note": "hsm-payload-marker"}

READ = ["--purpose", "subject_access", "--basis", "request:t-1"]
"""The operator's reads name a purpose and a basis; the person sees each."""


def test_keys_are_generated_in_the_token_and_never_leave_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = make_token(tmp_path, monkeypatch)
    key: VaultKey = Pkcs11Key.generate(token.config, {PIN_ENV: "2468-test-pin"})
    key.close()
    session = pkcs11.lib(MODULE).get_token(token_label="credo").open(user_pin="2468-test-pin")
    try:
        found = list(session.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY}))
        assert sorted(k.label for k in found) == [
            "credo-vault/index",
            "credo-vault/tags",
            "credo-vault/wrap",
        ]
        for k in found:
            assert k[Attribute.EXTRACTABLE] is False
            assert k[Attribute.SENSITIVE] is True
            assert k[Attribute.TOKEN] is True
            with pytest.raises(pkcs11.AttributeSensitive):
                k[Attribute.VALUE]
    finally:
        session.close()
    with pytest.raises(Conflict) as again:  # never replaced: that would lose every payload
        Pkcs11Key.generate(token.config, {PIN_ENV: "2468-test-pin"})
    assert again.value.code == "hsm_key_exists"


def test_pin_comes_from_the_environment_and_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = make_token(tmp_path, monkeypatch)
    Pkcs11Key.generate(token.config, {PIN_ENV: "2468-test-pin"}).close()
    with pytest.raises(InputError) as none:
        Pkcs11Key.open(token.config, {})
    assert none.value.code == "no_hsm_pin"
    with pytest.raises(InputError) as wrong:
        Pkcs11Key.open(token.config, {PIN_ENV: "0000"})
    assert wrong.value.code == "bad_hsm_pin"


def test_vault_round_trip_and_erasure_with_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = make_token(tmp_path, monkeypatch)
    env = {PIN_ENV: "2468-test-pin"}
    Pkcs11Key.generate(token.config, env).close()
    with Vault(tmp_path / "vault.db", Pkcs11Key.open(token.config, env)) as vault:
        ref = vault.ensure_subject(NID)
        assert vault.subject_ref(NID) == ref
        sealed = vault.seal(ref, b"payload", b"ctx")
        assert vault.unseal(ref, sealed.record_key, sealed.commitment, b"ctx") == b"payload"
        tag = vault.entry_tag(ref)
        assert tag != vault.entry_tag(ref)
        assert vault.subject_of(tag) == ref
        meta = vault.seal_meta(ref, "access.read", "bank", {"purpose": "x"})
        opened = vault.open_meta("access.read", "bank", meta.tag, meta.sealed, meta.commitment)
        assert opened is not None
        assert opened.plaintext == meta.plaintext
        assert vault.erase(ref=ref) == 1
        assert vault.is_erased(ref)
        assert vault.subject_ref(NID) is None
    # the vault remembers which key made it
    other = make_token(tmp_path / "other", monkeypatch, label="credo")
    Pkcs11Key.generate(other.config, env).close()
    with pytest.raises(VerificationError) as refused:
        Vault(tmp_path / "vault.db", Pkcs11Key.open(other.config, env)).open()
    assert refused.value.code == "wrong_master_key"


def _consortium(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """An HSM-keyed consortium with one record of NID; the person's ref and record id."""
    token = make_token(root.parent / "hsm", monkeypatch)
    node = init_consortium(root, "credo.test/hsm", hsm=token.config)
    try:
        key = admit_member(node, "bank", "Test Bank", "bank", ["recorder", "reader"])
        people = People.open(node)
        try:
            record_id, _ = people.records.put(key, "bank", NID, "finance", "loan.repaid", PAYLOAD)
            doc = people.rights.export(NID).to_json()
            assert doc["records"][0]["payload"] == PAYLOAD
            ref = str(doc["subject"])
        finally:
            people.close()
    finally:
        node.close()
    return ref, record_id


def test_data_directory_holds_no_key_that_opens_peoples_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "data"
    ref, _ = _consortium(root, monkeypatch)
    config = json.loads((root / "config.json").read_text())
    assert config["vault_key"]["kind"] == "pkcs11"
    assert not (root / "master.key").exists()
    assert "2468-test-pin" not in json.dumps(config)

    # Another machine: a copy of the whole directory, and no token (or a token of its own)
    stolen = tmp_path / "elsewhere" / "data"
    shutil.copytree(root, stolen)
    use_token_dir(tmp_path / "elsewhere" / "no-hsm", monkeypatch)
    with pytest.raises(InputError) as absent:
        Node(DataDir(stolen))
    assert absent.value.code == "hsm_unavailable"
    assert b"2468-test-pin" not in b"".join(
        p.read_bytes() for p in stolen.rglob("*") if p.is_file()
    )
    own = make_token(tmp_path / "elsewhere" / "own-hsm", monkeypatch, label="credo")
    Pkcs11Key.generate(own.config, {PIN_ENV: "2468-test-pin"}).close()
    with pytest.raises(VerificationError) as wrong:
        Node(DataDir(stolen)).start()
    assert wrong.value.code == "wrong_master_key"

    # Past the key check, the other token's key opens nothing in the copy.
    attacker = Vault(stolen / "vault.db", Pkcs11Key.open(own.config, {PIN_ENV: "2468-test-pin"}))
    attacker._rows = VaultStorage(stolen / "vault.db")  # opened past the key check, which
    attacker._rows.open()  # would refuse this key
    conn = sqlite3.connect(stolen / "vault.db")
    try:
        rows = conn.execute("SELECT record_key, ref FROM vault_records").fetchall()
        assert [r[1] for r in rows] == [ref]
        with pytest.raises(VerificationError) as unopened:  # no payload opens
            attacker.unseal(ref, rows[0][0], "0" * 64, b"")
        assert unopened.value.code == "bad_wrapped_key"
        assert attacker.subject_ref(NID) is None  # the lookup index resolves nothing
        store = open_store(stolen / "ledger.db")
        try:
            envelopes = store.read_entries(0, store.tree_size())
        finally:
            store.close()
        personal = [s for s in map(statement_of, envelopes) if "tag" in s["body"]]
        assert personal  # the record put, at least
        for statement in personal:
            assert attacker.subject_of(statement["body"]["tag"]) is None  # no tag resolves
            assert open_statement(attacker, statement) is None  # no sealed metadata opens
    finally:
        conn.close()
        attacker.close()

    # Back home, with the token, everything opens, and erasure works.
    use_token_dir(tmp_path / "hsm", monkeypatch)
    node = Node(DataDir(root)).start()
    try:
        for statement in personal:  # the same entries, opened by the right token
            assert node.vault.subject_of(statement["body"]["tag"]) == ref
            assert open_statement(node.vault, statement) is not None
        people = People.open(node)
        try:
            assert people.rights.export(NID).to_json()["records"][0]["payload"] == PAYLOAD
            assert people.rights.erase(NID)["payloads_destroyed"] == 1
            assert people.known(NID) is None
        finally:
            people.close()
    finally:
        node.close()


def _credo(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CREDO_MASTER_KEY"}
    return subprocess.run(
        ["credo", *args], capture_output=True, text=True, env=env, timeout=600, check=False
    )


def test_demo_runs_on_the_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`credo demo --hsm` seeds a (small) demo whose vault key is in SoftHSM2; its people's
    exports open, the log verifies, and the directory holds no key file."""
    token = make_token(tmp_path / "hsm", monkeypatch)
    d = str(tmp_path / "demo")
    made = _credo(
        "demo", "--data", d, "--people", "12", "--no-serve", "--hsm",
        "--hsm-module", MODULE, "--hsm-token", token.config.token,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert not (tmp_path / "demo" / "master.key").exists()
    nid = made.stdout.split("people to sign in as (synthetic national ids):")[1].split()[0]
    exported = _credo("person", "export", "--data", d, "--national-id", nid, *READ)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["records"]
    assert _credo("verify", "--data", d).returncode == 0
    monkeypatch.delenv(PIN_ENV)
    refused = _credo("person", "export", "--data", d, "--national-id", nid, *READ)
    assert refused.returncode != 0
    assert "CREDO_HSM_PIN" in refused.stderr


def test_init_hsm_needs_module_and_token(tmp_path: Path) -> None:
    refused = _credo("init", "--data", str(tmp_path / "d"), "--origin", "x.test/log", "--hsm")
    assert refused.returncode != 0
    assert "--hsm-module" in refused.stderr
    assert not (tmp_path / "d" / "config.json").exists()
