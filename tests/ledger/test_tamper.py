"""Tamper evidence: flip any one stored byte of an entry, a tile hash or a checkpoint note and
`verify_store` (and so `credo verify`) must notice, naming what is wrong."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from credo.errors import VerificationError
from credo.ledger.replay import verify_store
from credo.services.node import DataDir, admit_member, init_consortium
from credo.store.sqlite import SqliteStore
from credo.tlog import decode_entry_bundle
from tests.conftest import MEMBERS, ORIGIN

ENTRIES = 300  # past 256, so there are full and partial level-0 tiles and a level-1 tile


@dataclass(frozen=True)
class Pristine:
    root: Path  # a data directory: config, keys, ledger.db (never modified)
    entries: list[tuple[int, int, int]]  # (bundle, where the entry's bytes start, bytes)
    bundles: list[tuple[int, int]]  # (index, bytes)
    tiles: list[tuple[int, int, int]]  # (level, index, bytes)
    notes: list[tuple[int, int]]  # (seq, bytes)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Pristine:
    """A small ledger built once: members, attestations in several group commits, a revocation."""
    root = tmp_path_factory.mktemp("tamper") / "data"
    ledger = init_consortium(root, ORIGIN)
    try:
        for member_id, name, sector, roles in MEMBERS:
            admit_member(ledger, member_id, name, sector, roles)
        for n in range(ENTRIES):
            digest = hashlib.sha256(f"tamper {n}".encode()).hexdigest()
            ledger.submit_one(
                "attestation.issue", "uni", {"digest": f"sha256:{digest}", "doc_type": "diploma"}
            )
        revoked = hashlib.sha256(b"tamper 7").hexdigest()
        ledger.submit_one(
            "attestation.revoke", "uni", {"digest": f"sha256:{revoked}", "reason": "test"}
        )
    finally:
        ledger.close()
    db = DataDir(root).db
    assert (
        not db.with_name(db.name + "-wal").exists()
        or db.with_name(db.name + "-wal").stat().st_size == 0
    )
    conn = sqlite3.connect(db)
    try:
        bundles = list(conn.execute("SELECT idx, data FROM entry_bundles ORDER BY idx"))
        tiles = list(
            conn.execute("SELECT level, idx, length(hashes) FROM tiles ORDER BY level, idx")
        )
        notes = list(conn.execute("SELECT seq, length(note) FROM checkpoints ORDER BY seq"))
    finally:
        conn.close()
    assert {(level, idx) for level, idx, _ in tiles} == {(0, 0), (0, 1), (1, 0)}
    entries = []
    for idx, data in bundles:
        at = 0
        for entry in decode_entry_bundle(data):
            entries.append((idx, at + 2, len(entry)))  # after its 2-byte length
            at += 2 + len(entry)
    return Pristine(root, entries, [(i, len(d)) for i, d in bundles], tiles, notes)


@contextmanager
def tampered(
    pristine: Pristine, sql: str, key: tuple[int, ...], offset: int, mask: int
) -> Iterator[SqliteStore]:
    """A copy of the pristine database with one byte of one blob XORed with ``mask``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.db"
        shutil.copyfile(DataDir(pristine.root).db, path)
        select, update = sql.split(";")
        conn = sqlite3.connect(path)
        try:
            (blob,) = conn.execute(select, key).fetchone()
            flipped = bytearray(blob)
            flipped[offset] ^= mask
            conn.execute(update, (bytes(flipped), *key))
            conn.commit()
        finally:
            conn.close()
        store = SqliteStore(path).open()
        try:
            yield store
        finally:
            store.close()


BUNDLE_SQL = (
    "SELECT data FROM entry_bundles WHERE idx = ?;UPDATE entry_bundles SET data = ? WHERE idx = ?"
)
TILE_SQL = (
    "SELECT hashes FROM tiles WHERE level = ? AND idx = ?;"
    "UPDATE tiles SET hashes = ? WHERE level = ? AND idx = ?"
)
NOTE_SQL = (
    "SELECT note FROM checkpoints WHERE seq = ?;UPDATE checkpoints SET note = ? WHERE seq = ?"
)
MASKS = st.integers(1, 255)
# No shrinking: the inputs are already minimal (one byte), and it keeps a failure quick.
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def test_the_pristine_copy_verifies(pristine: Pristine) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.db"
        shutil.copyfile(DataDir(pristine.root).db, path)
        store = SqliteStore(path).open()
        try:
            summary = verify_store(store)
        finally:
            store.close()
    assert summary.entries == len(pristine.entries) == 1 + len(MEMBERS) + ENTRIES + 1
    assert summary.tiles == 3
    assert [index for index, _ in pristine.bundles] == [0, 1]  # a full bundle and a partial


@SETTINGS
@given(data=st.data(), mask=MASKS)
def test_any_flipped_entry_byte_is_detected(
    pristine: Pristine, data: st.DataObject, mask: int
) -> None:
    index = data.draw(st.integers(0, len(pristine.entries) - 1), label="entry")
    bundle, start, size = pristine.entries[index]
    offset = data.draw(st.integers(0, size - 1), label="offset")
    with (
        tampered(pristine, BUNDLE_SQL, (bundle,), start + offset, mask) as store,
        pytest.raises(VerificationError) as caught,
    ):
        verify_store(store)
    assert "entry" in caught.value.message or "tile" in caught.value.message


@SETTINGS
@given(data=st.data(), mask=MASKS)
def test_any_flipped_bundle_byte_is_detected(
    pristine: Pristine, data: st.DataObject, mask: int
) -> None:
    """Length prefixes included: an entry bundle that no longer decodes, or decodes into other
    entries, fails verification too."""
    bundle, size = data.draw(st.sampled_from(pristine.bundles), label="bundle")
    offset = data.draw(st.integers(0, size - 1), label="offset")
    with (
        tampered(pristine, BUNDLE_SQL, (bundle,), offset, mask) as store,
        pytest.raises(VerificationError),
    ):
        verify_store(store)


@SETTINGS
@given(data=st.data(), mask=MASKS)
def test_any_flipped_tile_byte_is_detected(
    pristine: Pristine, data: st.DataObject, mask: int
) -> None:
    level, index, size = data.draw(st.sampled_from(pristine.tiles), label="tile")
    offset = data.draw(st.integers(0, size - 1), label="offset")
    with (
        tampered(pristine, TILE_SQL, (level, index), offset, mask) as store,
        pytest.raises(VerificationError) as caught,
    ):
        verify_store(store)
    assert f"tile {level}/{index}" in caught.value.message


@SETTINGS
@given(data=st.data(), mask=MASKS)
def test_any_flipped_checkpoint_byte_is_detected(
    pristine: Pristine, data: st.DataObject, mask: int
) -> None:
    seq, size = data.draw(st.sampled_from(pristine.notes), label="checkpoint")
    offset = data.draw(st.integers(0, size - 1), label="offset")
    with (
        tampered(pristine, NOTE_SQL, (seq,), offset, mask) as store,
        pytest.raises(VerificationError) as caught,
    ):
        verify_store(store)
    assert f"checkpoint #{seq} " in caught.value.message


def test_a_checkpoint_note_that_no_longer_parses_is_a_verification_failure(
    pristine: Pristine,
) -> None:
    """Regression: `parse_note`'s InputError once escaped `verify_store` unnamed (and `credo
    verify` exited 2, not 1); a note that no longer parses must name its checkpoint."""
    seq = pristine.notes[2][0]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.db"
        shutil.copyfile(DataDir(pristine.root).db, path)
        conn = sqlite3.connect(path)
        try:
            (note,) = conn.execute("SELECT note FROM checkpoints WHERE seq = ?", (seq,)).fetchone()
            broken = note.replace("\u2014".encode(), b"\xff", 1)  # the em dash: invalid UTF-8
            conn.execute("UPDATE checkpoints SET note = ? WHERE seq = ?", (broken, seq))
            conn.commit()
        finally:
            conn.close()
        store = SqliteStore(path).open()
        try:
            with pytest.raises(VerificationError, match=f"checkpoint #{seq} "):
                verify_store(store)
        finally:
            store.close()


def _credo_verify(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["credo", "verify", "--data", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


def _tampering(pristine: Pristine, what: str) -> tuple[str, tuple[int, ...], int, str]:
    """(SQL, key, byte offset, what verify must name) for one flipped byte."""
    if what == "entry":
        bundle, start, _ = pristine.entries[17]
        return BUNDLE_SQL, (bundle,), start + 40, "entry 17"
    return NOTE_SQL, (3,), 0, "checkpoint #3 "  # the origin line: the signature breaks


@pytest.mark.parametrize("what", ["entry", "checkpoint"])
def test_credo_verify_exits_1_naming_the_tampered_record(
    pristine: Pristine, tmp_path: Path, what: str
) -> None:
    root = tmp_path / "data"
    shutil.copytree(pristine.root, root)
    sql, key, offset, named = _tampering(pristine, what)
    select, update = sql.split(";")
    conn = sqlite3.connect(DataDir(root).db)
    try:
        (blob,) = conn.execute(select, key).fetchone()
        flipped = bytearray(blob)
        flipped[offset] ^= 0x01
        conn.execute(update, (bytes(flipped), *key))
        conn.commit()
    finally:
        conn.close()
    done = _credo_verify(root)
    said = " ".join(done.stderr.split())
    assert done.returncode == 1, done.stderr
    assert "verification failed" in said
    assert named in said
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
