"""Crypto-shredding: after erase, nothing of the person survives in any file of the vault."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from credo.errors import InputError, NotFound
from credo.vault import MasterKey, Sealed, Vault, normalize_national_id

PERSON = "erase-me 7F3A-91C4"
PAYLOAD = b"ERASE-ME-7f3a91c4-payload-" + b"library-loan-history;" * 8
CTX = b"category=library;member=m1"


def _scan(directory: Path) -> bytes:
    """Every byte of every file in the directory: main file, -wal, -shm and anything else."""
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def _row_secrets(path: Path, ref: str) -> list[bytes]:
    """The lookup, wrapped key and ciphertexts of one subject, read straight from the file.

    Ciphertexts come in 64-byte pieces: a large blob spills over several pages, so only pieces of
    it are contiguous on disk.
    """
    conn = sqlite3.connect(path)
    try:
        lookup, wrapped = conn.execute(
            "SELECT lookup, wrapped_key FROM vault_subjects WHERE ref = ?", (ref,)
        ).fetchone()
        blobs = [
            bytes(b)
            for (b,) in conn.execute("SELECT blob FROM vault_records WHERE ref = ?", (ref,))
        ]
    finally:
        conn.close()
    pieces = [blob[i : i + 64] for blob in blobs for i in range(0, len(blob) - 63, 64)]
    return [bytes(lookup), bytes(wrapped), *pieces]


def _fill(vault: Vault) -> tuple[str, list[Sealed], dict[str, list[tuple[Sealed, bytes]]]]:
    others: dict[str, list[tuple[Sealed, bytes]]] = {}
    for i in range(5):
        ref = vault.ensure_subject(f"OTHER{i:04d}")
        others[ref] = []
        for j in range(4):
            payload = f"other-{i}-{j}-".encode() * (50 + 300 * j)  # some spill to overflow pages
            others[ref].append((vault.seal(ref, payload, CTX), payload))
    ref = vault.ensure_subject(PERSON)
    mine = [vault.seal(ref, PAYLOAD * k, CTX) for k in (1, 2, 40)]
    # interleave so the person's pages sit between other people's
    for other in others:
        payload = b"later-" + other.encode()
        others[other].append((vault.seal(other, payload, CTX), payload))
    return ref, mine, others


def test_erasure_leaves_no_trace_in_any_file(tmp_path: Path) -> None:
    master = MasterKey.generate()
    path = tmp_path / "vault.db"
    vault = Vault(path, master).open()
    ref, mine, others = _fill(vault)
    normalized = normalize_national_id(PERSON)
    secrets = _row_secrets(path, ref)
    needles = [
        PAYLOAD[:26],
        PERSON.encode(),
        normalized.encode(),
        master.lookup(normalized),
        ref.encode(),
        *(s.record_key.encode() for s in mine),
        *secrets,
    ]
    before = _scan(tmp_path)
    # the scan can see what it looks for: ref, lookup, wrapped key and ciphertexts are on disk now
    for needle in [ref.encode(), *secrets[:3]]:  # lookup, wrapped key, start of first ciphertext
        assert needle in before

    assert vault.erase(national_id=PERSON) == len(mine)
    # right after erase returns, with the vault still open and its -wal and -shm files present
    while_open = _scan(tmp_path)
    vault.close()
    after_close = _scan(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vault.db"]
    for needle in needles:
        assert needle not in while_open, needle[:40]
        assert needle not in after_close, needle[:40]

    with Vault(path, master) as v:
        assert v.subject_ref(PERSON) is None
        assert v.is_erased(ref)
        for sealed in mine:
            with pytest.raises(NotFound) as info:
                v.unseal(ref, sealed.record_key, sealed.commitment, CTX)
            assert info.value.code == "erased"
        for other, records in others.items():
            assert not v.is_erased(other)
            for sealed, payload in records:
                assert v.unseal(other, sealed.record_key, sealed.commitment, CTX) == payload
        new_ref = v.ensure_subject(PERSON)
        assert new_ref != ref
        assert not v.is_erased(new_ref)


def test_erase_by_ref_and_again(vault: Vault) -> None:
    ref = vault.ensure_subject("AB1234")
    vault.seal(ref, b"one", CTX)
    vault.seal(ref, b"two", CTX)
    assert not vault.is_erased(ref)
    assert vault.erase(ref=ref) == 2
    assert vault.is_erased(ref)
    assert vault.erase(ref=ref) == 0
    with pytest.raises(NotFound) as info:
        vault.seal(ref, b"three", CTX)
    assert info.value.code == "erased"
    with pytest.raises(NotFound):
        vault.erase(national_id="AB1234")


def test_erase_subject_without_records(vault: Vault) -> None:
    ref = vault.ensure_subject("AB1234")
    assert vault.erase(national_id="ab-1234") == 0
    assert vault.is_erased(ref)


def test_erase_unknown_is_not_found(vault: Vault) -> None:
    with pytest.raises(NotFound):
        vault.erase(ref="0" * 32)
    with pytest.raises(NotFound):
        vault.erase(national_id="NOBODY")
    assert not vault.is_erased("0" * 32)


def test_erase_needs_exactly_one_target(vault: Vault) -> None:
    ref = vault.ensure_subject("AB1234")
    with pytest.raises(InputError):
        vault.erase()
    with pytest.raises(InputError):
        vault.erase(national_id="AB1234", ref=ref)
    assert not vault.is_erased(ref)
