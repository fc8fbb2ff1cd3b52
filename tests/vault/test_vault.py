from __future__ import annotations

import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from credo.errors import InputError, NotFound, StoreError, VerificationError
from credo.store.sqlite.database import SqliteDatabase
from credo.vault import MAX_PAYLOAD_BYTES, MasterKey, Vault, normalize_national_id
from credo.vault.vault import _Seals

CTX = b"category=library;member=m1"


def _set_blob(path: Path, record_key: str, blob: bytes) -> None:
    """Tamper with the file from outside, as an attacker with disk access would."""
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE vault_records SET blob = ? WHERE record_key = ?", (blob, record_key))
    conn.close()


def _get_blob(path: Path, record_key: str) -> bytes:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT blob FROM vault_records WHERE record_key = ?", (record_key,))
        return bytes(row.fetchone()[0])
    finally:
        conn.close()


def test_round_trip(vault: Vault) -> None:
    ref = vault.ensure_subject("AB-1234-567")
    sealed = vault.seal(ref, b"returned 3 books on time", CTX)
    assert len(sealed.record_key) == 32
    assert len(sealed.commitment) == 64
    assert (
        vault.unseal(ref, sealed.record_key, sealed.commitment, CTX) == b"returned 3 books on time"
    )


def test_empty_and_maximum_payloads(vault: Vault) -> None:
    ref = vault.ensure_subject("AB1234")
    for payload in (b"", b"\xff" * MAX_PAYLOAD_BYTES):
        s = vault.seal(ref, payload, b"")
        assert vault.unseal(ref, s.record_key, s.commitment, b"") == payload


def test_payload_too_large(vault: Vault) -> None:
    ref = vault.ensure_subject("AB1234")
    with pytest.raises(InputError) as info:
        vault.seal(ref, b"x" * (MAX_PAYLOAD_BYTES + 1), CTX)
    assert info.value.code == "payload_too_large"


def test_ensure_subject_is_stable_across_spellings(vault: Vault) -> None:
    ref = vault.ensure_subject("ab-1234 567")
    assert vault.ensure_subject("AB1234567") == ref
    assert vault.subject_ref("Ab 1234-567") == ref
    assert vault.subject_ref("ZZ9999") is None
    assert vault.ensure_subject("ZZ9999") != ref


def test_refs_are_random_not_derived(tmp_path: Path) -> None:
    key = MasterKey.generate()
    with Vault(tmp_path / "a.db", key) as a, Vault(tmp_path / "b.db", key) as b:
        assert a.ensure_subject("AB1234") != b.ensure_subject("AB1234")


def test_tampered_ciphertext_fails(sqlite_vault: Vault, vault_path: Path) -> None:
    ref = sqlite_vault.ensure_subject("AB1234")
    s = sqlite_vault.seal(ref, b"payload", CTX)
    blob = bytearray(_get_blob(vault_path, s.record_key))
    blob[-1] ^= 1
    _set_blob(vault_path, s.record_key, bytes(blob))
    with pytest.raises(VerificationError) as info:
        sqlite_vault.unseal(ref, s.record_key, s.commitment, CTX)
    assert info.value.code == "bad_ciphertext"


def test_ciphertext_swapped_between_records_fails(sqlite_vault: Vault, vault_path: Path) -> None:
    ref = sqlite_vault.ensure_subject("AB1234")
    a = sqlite_vault.seal(ref, b"payload a", CTX)
    b = sqlite_vault.seal(ref, b"payload b", CTX)
    _set_blob(vault_path, b.record_key, _get_blob(vault_path, a.record_key))
    with pytest.raises(VerificationError):
        sqlite_vault.unseal(ref, b.record_key, b.commitment, CTX)
    with pytest.raises(VerificationError):
        sqlite_vault.unseal(ref, b.record_key, a.commitment, CTX)


def test_wrong_context_fails(vault: Vault) -> None:
    ref = vault.ensure_subject("AB1234")
    s = vault.seal(ref, b"payload", CTX)
    with pytest.raises(VerificationError):
        vault.unseal(ref, s.record_key, s.commitment, CTX + b"x")


def test_wrong_commitment_fails(vault: Vault) -> None:
    ref = vault.ensure_subject("AB1234")
    s = vault.seal(ref, b"payload", CTX)
    other = vault.seal(ref, b"payload", CTX)
    with pytest.raises(VerificationError) as info:
        vault.unseal(ref, s.record_key, other.commitment, CTX)
    assert info.value.code == "commitment_mismatch"
    assert s.commitment in str(info.value)
    with pytest.raises(InputError):
        vault.unseal(ref, s.record_key, "not-hex", CTX)


def test_record_of_another_subject_is_not_found(vault: Vault) -> None:
    alice, bob = vault.ensure_subject("ALICE1"), vault.ensure_subject("BOB123")
    s = vault.seal(alice, b"payload", CTX)
    with pytest.raises(NotFound):
        vault.unseal(bob, s.record_key, s.commitment, CTX)
    with pytest.raises(NotFound):
        vault.unseal(alice, "0" * 32, s.commitment, CTX)


def test_seal_for_unknown_subject_is_not_found(vault: Vault) -> None:
    with pytest.raises(NotFound):
        vault.seal("0" * 32, b"payload", CTX)


def test_wrong_master_key_cannot_open(vault_path: Path, master: MasterKey) -> None:
    with Vault(vault_path, master) as v:
        ref = v.ensure_subject("AB1234")
        v.seal(ref, b"payload", CTX)
    with pytest.raises(VerificationError) as info:
        Vault(vault_path, MasterKey.generate()).open()
    assert info.value.code == "wrong_master_key"


def test_wrong_master_key_cannot_unwrap_even_past_the_check(
    vault_path: Path, master: MasterKey
) -> None:
    with Vault(vault_path, master) as v:
        ref = v.ensure_subject("AB1234")
        s = v.seal(ref, b"payload", CTX)
    intruder = MasterKey.generate()
    conn = sqlite3.connect(vault_path)
    conn.execute("UPDATE vault_meta SET value = ?", (intruder.check_value(),))
    conn.commit()
    conn.close()
    with Vault(vault_path, intruder) as v:
        assert v.subject_ref("AB1234") is None
        with pytest.raises(VerificationError):
            v.unseal(ref, s.record_key, s.commitment, CTX)


def test_national_id_never_reaches_the_file(vault_path: Path, master: MasterKey) -> None:
    raw = "QX-7731-ZK-0042"
    with Vault(vault_path, master) as v:
        ref = v.ensure_subject(raw)
        v.seal(ref, b"anything", CTX)
        v.subject_ref(raw)
    data = b"".join(p.read_bytes() for p in vault_path.parent.iterdir() if p.is_file())
    for form in (raw, normalize_national_id(raw), raw.lower()):
        assert form.encode() not in data
        assert form.encode("utf-16-le") not in data


def test_files_are_owner_only(sqlite_vault: Vault, vault_path: Path) -> None:
    sqlite_vault.ensure_subject("AB1234")
    for p in vault_path.parent.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) & 0o077 == 0, p.name


@pytest.mark.parametrize(
    "raw", ["", "ab1", "A" * 33, "AB_1234", "AB1234\n", "ÄB1234", "straße12", "----", 1234]
)
def test_bad_national_ids(vault: Vault, raw: object) -> None:
    with pytest.raises(InputError) as info:
        vault.ensure_subject(raw)  # type: ignore[arg-type]
    assert info.value.code == "bad_national_id"


def test_normalize() -> None:
    assert normalize_national_id(" ab-12 34 ") == "AB1234"


@pytest.mark.parametrize("ref", ["", "A" * 32, "0" * 31, "g" * 32])
def test_bad_refs(vault: Vault, ref: str) -> None:
    with pytest.raises(InputError):
        vault.seal(ref, b"", b"")
    with pytest.raises(InputError):
        vault.is_erased(ref)


def test_database_errors_become_store_errors(tmp_path: Path, master: MasterKey) -> None:
    path = tmp_path / "vault.db"
    path.write_bytes(b"this is not a SQLite database, not even close" * 100)
    with pytest.raises(StoreError) as info:
        Vault(path, master).open()
    assert isinstance(info.value.__cause__, sqlite3.Error)


def test_closed_vault_raises_store_error(vault: Vault) -> None:
    vault.close()
    with pytest.raises(StoreError):
        vault.ensure_subject("AB1234")
    vault.close()  # closing twice is harmless


def test_repr_does_not_leak_the_key(vault: Vault, master: MasterKey) -> None:
    assert master.to_base64() not in repr(vault)
    assert master.fingerprint in repr(vault)


def test_reopen_keeps_records(vault_path: Path, master: MasterKey) -> None:
    with Vault(vault_path, master) as v:
        ref = v.ensure_subject("AB1234")
        s = v.seal(ref, b"kept", CTX)
    with Vault(vault_path, master) as v:
        assert v.subject_ref("AB1234") == ref
        assert v.unseal(ref, s.record_key, s.commitment, CTX) == b"kept"


def test_connection_pragmas(sqlite_vault: Vault) -> None:
    db = sqlite_vault._live().db
    assert isinstance(db, SqliteDatabase)
    conn = db.connection
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_seal_for_reserves_and_seals_in_one_go(vault: Vault) -> None:
    ref, sealed = vault.seal_for("AB-1234-5678", b"payload", b"ctx")
    assert vault.subject_ref("AB-1234-5678") == ref
    assert vault.unseal(ref, sealed.record_key, sealed.commitment, b"ctx") == b"payload"
    again, _ = vault.seal_for("ab 1234 5678", b"other", b"ctx")
    assert again == ref  # the same person, normalised


def test_two_vaults_on_one_location_share_their_rows(
    vault: Vault, vault_location: str | Path, master: MasterKey
) -> None:
    """Two API processes on one database: what one seals the other opens, and what one
    erases the other sees erased."""
    ref, sealed = vault.seal_for("AB1234", b"payload", CTX)
    with Vault(vault_location, master) as other:
        assert other.subject_ref("AB1234") == ref
        assert other.unseal(ref, sealed.record_key, sealed.commitment, CTX) == b"payload"
        assert other.erase(ref=ref) == 1
    assert vault.is_erased(ref)
    with pytest.raises(NotFound):
        vault.unseal(ref, sealed.record_key, sealed.commitment, CTX)


def test_wrong_master_key_is_refused_on_every_backend(
    vault: Vault, vault_location: str | Path
) -> None:
    with pytest.raises(VerificationError) as info:
        Vault(vault_location, MasterKey.generate()).open()
    assert info.value.code == "wrong_master_key"


def test_the_repr_never_shows_a_database_password(master: MasterKey) -> None:
    shown = repr(Vault("postgresql://credo:s3cret@db.example/credo?sslmode=require", master))
    assert "s3cret" not in shown
    assert "db.example" in shown


def test_a_vault_file_from_before_postgres_is_renamed_and_kept(
    vault_path: Path, master: MasterKey
) -> None:
    """Vault files written before the vault could live in PostgreSQL name their tables
    ``subjects``, ``records`` and ``erased``: opened now, they are renamed, rows kept."""
    with Vault(vault_path, master) as v:
        ref, sealed = v.seal_for("AB1234", b"kept", CTX)
        gone = v.ensure_subject("CD5678")
        v.erase(ref=gone)
    conn = sqlite3.connect(vault_path)
    try:
        conn.executescript(
            """
            DROP INDEX vault_records_by_ref;
            ALTER TABLE vault_subjects RENAME TO subjects;
            ALTER TABLE vault_records RENAME TO records;
            ALTER TABLE vault_erased RENAME TO erased;
            CREATE INDEX records_by_ref ON records(ref);
            """
        )
    finally:
        conn.close()
    with Vault(vault_path, master) as v:
        assert v.unseal(ref, sealed.record_key, sealed.commitment, CTX) == b"kept"
        assert v.is_erased(gone)
        assert v.seal(ref, b"more", CTX).record_key
    conn = sqlite3.connect(vault_path)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema")}
    finally:
        conn.close()
    assert {"subjects", "records", "erased", "records_by_ref"}.isdisjoint(names)
    assert {"vault_subjects", "vault_records", "vault_erased", "vault_records_by_ref"} <= names


def test_concurrent_seals_are_committed_and_all_open_after_a_reopen(
    vault_path: Path, master: MasterKey
) -> None:
    """Many threads sealing at once share group commits; every answer is durable and right."""
    people = [f"GC-{n:04d}" for n in range(10)]
    answers: list[tuple[str, bytes, str, str]] = []
    lock = threading.Lock()
    with Vault(vault_path, master) as v:
        start = threading.Barrier(8)

        def seal(worker: int) -> None:
            start.wait()
            for n in range(25):
                payload = f"{worker}-{n}".encode()
                ref, sealed = v.seal_for(people[n % len(people)], payload, CTX)
                with lock:
                    answers.append((ref, payload, sealed.record_key, sealed.commitment))

        threads = [threading.Thread(target=seal, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(answers) == 200
    with Vault(vault_path, master) as v:
        assert len({v.subject_ref(p) for p in people}) == len(people)
        for ref, payload, record_key, commitment in answers:
            assert v.unseal(ref, record_key, commitment, CTX) == payload


def test_a_failing_share_of_a_group_commit_fails_alone(vault_path: Path, master: MasterKey) -> None:
    """One caller's share that cannot be sealed (its subject's key is broken in the SQLite file
    behind the vault's back) fails alone; the others in the same group commit are sealed."""
    with Vault(vault_path, master) as vault:
        _a_failing_share_fails_alone(vault, vault_path, master)


def _a_failing_share_fails_alone(vault: Vault, vault_path: Path, master: MasterKey) -> None:
    bad_ref = vault.ensure_subject("BAD-0001")
    good_ref = vault.ensure_subject("GOOD-0001")
    conn = sqlite3.connect(vault_path)
    conn.execute(  # another subject's wrapped key no longer unwraps under this ref
        "UPDATE vault_subjects SET wrapped_key = "
        "(SELECT wrapped_key FROM vault_subjects WHERE ref = ?) WHERE ref = ?",
        (good_ref, bad_ref),
    )
    conn.commit()
    conn.close()
    bad = _Seals([(master.lookup(normalize_national_id("BAD-0001")), b"x", CTX)])
    good = _Seals([(master.lookup(normalize_national_id("GOOD-0001")), b"y", CTX)])
    vault._queue += [bad, good]  # two callers queued while another thread committed
    ref, sealed = vault.seal_for("GOOD-0002", b"z", CTX)  # this caller commits all three
    assert bad.done
    assert isinstance(bad.error, VerificationError)
    assert good.done
    assert good.error is None
    [(good_at, good_sealed)] = good.sealed
    assert good_at == good_ref
    assert vault.unseal(good_ref, good_sealed.record_key, good_sealed.commitment, CTX) == b"y"
    assert vault.unseal(ref, sealed.record_key, sealed.commitment, CTX) == b"z"


def test_seal_meta_many_matches_seal_meta(vault: Vault) -> None:
    ref = vault.ensure_subject("AB-1234-5678")
    items: list[tuple[str | None, str, str, dict[str, object]]] = [
        (ref, "record.put", "bank", {"n": 1}),
        (None, "record.put", "bank", {"n": 2}),
        (ref, "record.put", "bank", {"n": 3}),
    ]
    sealed = vault.seal_meta_many(items)
    assert len({s.tag for s in sealed}) == 3  # fresh tags, even for one person
    for (subject, kind, by, _), s in zip(items, sealed, strict=True):
        opened = vault.open_meta(kind, by, s.tag, s.sealed, s.commitment)
        assert opened is not None
        assert opened.plaintext == (s.plaintext if subject is not None else None)


def _answer(call: object) -> object:
    """What a call returns, or the error it raises (its type and code)."""
    try:
        return call()  # type: ignore[operator]
    except (InputError, NotFound, VerificationError) as exc:
        return (type(exc), exc.code)


def _as_answer(value: object) -> object:
    if isinstance(value, (InputError, NotFound, VerificationError)):
        return (type(value), value.code)
    return value


def test_open_metas_answers_as_open_meta_for_each(vault: Vault) -> None:
    alice = vault.ensure_subject("AB-1234-5678")
    bob = vault.ensure_subject("CD-8765-4321")
    made = vault.seal_meta_many(
        [
            (alice, "record.put", "bank", {"n": 1}),
            (bob, "record.put", "bank", {"n": 2}),
            (None, "record.put", "bank", {"n": 3}),  # a decoy: no key kept
            (alice, "consent.grant", "bank", {"n": 4}),
        ]
    )
    kinds = ["record.put", "record.put", "record.put", "consent.grant"]
    entries = [(k, "bank", s.tag, s.sealed, s.commitment) for k, s in zip(kinds, made, strict=True)]
    entries.append(("record.put", "bank", "not-a-tag", made[0].sealed, made[0].commitment))
    vault.erase(ref=bob)
    one_by_one = [vault.open_meta(*e) for e in entries]
    assert vault.open_metas(entries) == one_by_one
    assert [o is None or o.plaintext is None for o in one_by_one] == [0, 1, 1, 0, 1]
    assert vault.open_metas([]) == []
    tampered = (*entries[0][:4], "0" * 64)
    with pytest.raises(VerificationError):
        vault.open_metas([entries[3], tampered])


def test_a_group_opener_answers_as_the_vault_for_its_tags_and_others(vault: Vault) -> None:
    """`Vault.opening` (the sequencer's group commit) reads each subject's key once and
    answers as the vault: for the tags it was made for, and, by asking the vault, others."""
    alice = vault.ensure_subject("AB-1234-5678")
    bob = vault.ensure_subject("CD-8765-4321")
    made = vault.seal_meta_many(
        [
            (alice, "record.put", "bank", {"n": 1}),
            (alice, "record.put", "bank", {"n": 2}),
            (bob, "record.put", "bank", {"n": 3}),
            (None, "record.put", "bank", {"n": 4}),  # a decoy: no key kept
        ]
    )
    entries = [("record.put", "bank", s.tag, s.sealed, s.commitment) for s in made]
    entries.append(("record.put", "bank", "not-a-tag", made[0].sealed, made[0].commitment))
    outside = vault.seal_meta(bob, "consent.grant", "bank", {"n": 5})
    vault.erase(ref=bob)
    group = vault.opening([e[2] for e in entries[:-1]])
    assert [group.open_meta(*e) for e in entries] == [vault.open_meta(*e) for e in entries]
    assert [group.subject_of(e[2]) for e in entries] == [vault.subject_of(e[2]) for e in entries]
    other = ("consent.grant", "bank", outside.tag, outside.sealed, outside.commitment)
    assert group.open_meta(*other) == vault.open_meta(*other)
    assert group.participant(alice, "c1") == vault.participant(alice, "c1")
    with pytest.raises(VerificationError):
        group.open_meta(*entries[1][:4], "0" * 64)  # another entry's commitment
    with pytest.raises(VerificationError):
        group.open_meta("consent.grant", *entries[0][1:])  # sealed as another kind


def test_unseal_all_answers_as_unseal_for_each(vault: Vault) -> None:
    ref = vault.ensure_subject("AB-1234-5678")
    other = vault.ensure_subject("CD-8765-4321")
    a = vault.seal(ref, b"first", CTX)
    b = vault.seal(ref, b"second", CTX)
    theirs = vault.seal(other, b"not yours", CTX)
    asked = [
        (b.record_key, b.commitment, CTX),
        (a.record_key, a.commitment, CTX),
        (a.record_key, "f" * 64, CTX),  # a commitment that does not match
        (a.record_key, "not hex", CTX),
        (theirs.record_key, theirs.commitment, CTX),  # another subject's record
        ("0" * 32, a.commitment, CTX),  # no such record
        (b.record_key, b.commitment, b"category=health;member=m2"),  # the wrong context
    ]
    expected = [_answer(lambda r=r: vault.unseal(ref, *r)) for r in asked]
    assert expected[:2] == [b"second", b"first"]
    assert [_as_answer(x) for x in vault.unseal_all(ref, asked)] == expected
    vault.erase(ref=ref)
    gone = [_answer(lambda r=r: vault.unseal(ref, *r)) for r in asked[:2]]
    assert gone == [(NotFound, "erased")] * 2
    assert [_as_answer(x) for x in vault.unseal_all(ref, asked[:2])] == gone
