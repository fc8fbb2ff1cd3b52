"""Erasure is real: after `credo person erase`, no file of the data directory (databases, WAL
and shared-memory files, free pages, keys, config) holds the payload, the national id, or
anything that links the log's subject ref to the person; `credo verify` still passes and every
inclusion proof still verifies."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from credo.api import create_app
from credo.services.node import DataDir
from credo.settings import Settings
from credo.tlog import Checkpoint, NoteVerifier, leaf_hash, open_checkpoint, verify_inclusion
from credo.vault import load_master_key, normalize_national_id
from tests._people import NID, grant, put_record, read

MARKER = "ultraviolet-okapi-90210"

READ = ["--purpose", "subject_access", "--basis", "request:t-1"]
"""The operator's reads name a purpose and a basis; the person sees each."""


@pytest.fixture
def store_url() -> None:
    """Always SQLite files in DIR, whatever CREDO_TEST_STORE says: these tests scan the data
    directory's files. With the store in PostgreSQL the vault and accounts are in the
    database, and tests/e2e/test_erasure_postgres.py scans a pg_dump instead."""
    return None


def _needles(data_dir: Path, ref: str | None) -> dict[str, bytes]:
    """Everything that would betray the person: ids, payload, and the vault's lookup HMAC."""
    norm = normalize_national_id(NID)
    lookup = load_master_key(DataDir(data_dir).master_key, {}).lookup(norm)
    needles = {
        "national id": NID.encode(),
        "normalized national id": norm.encode(),
        "lowercase national id": norm.lower().encode(),
        "utf-16 national id": norm.encode("utf-16-le"),
        "payload marker": MARKER.encode(),
        "lookup hmac": lookup,
        "lookup hmac hex": lookup.hex().encode(),
        "lookup hmac base64": base64.b64encode(lookup),
    }
    if ref is not None:
        needles["subject ref in the vault"] = ref.encode()
    return needles


def _scan(root: Path, needles: dict[str, bytes], skip_ref_in_ledger: bool = True) -> list[str]:
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for name, needle in needles.items():
            if name == "subject ref in the vault" and not path.name.startswith("vault.db"):
                continue  # the log keeps the ref: that is the point; only the link must go
            if needle in data:
                found.append(f"{name} in {path.relative_to(root)}")
    return found


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CREDO_MASTER_KEY"}
    return subprocess.run(["credo", *args], capture_output=True, text=True, env=env, timeout=120)


def test_erasure_leaves_nothing_that_links(data_dir: Path) -> None:
    with TestClient(create_app(Settings(data_dir=data_dir, workers=0))) as client:
        for n in range(5):
            put_record(client, data_dir, "bank", {"note": MARKER, "n": n})
        put_record(client, data_dir, "clinic", {"diagnosis": MARKER}, "health", "visit.completed")
        consent = grant(client, data_dir, "bank")
        assert read(client, data_dir, "bank", ("consent", consent)).status_code == 200
        ref = client.app.state.people.vault.subject_ref(NID)  # type: ignore[attr-defined]
    assert ref is not None

    # Positive control: the scanner does find the vault's lookup row before erasure, and the
    # payload is nowhere in clear even then (it is sealed).
    before = _scan(data_dir, _needles(data_dir, ref))
    assert any("lookup hmac in vault.db" in f for f in before), before
    assert not any("payload" in f or "national id" in f for f in before), before
    exported = _run("person", "export", "--data", str(data_dir), "--national-id", NID, *READ)
    assert exported.returncode == 0
    assert MARKER in exported.stdout

    erased = _run("person", "erase", "--data", str(data_dir), "--national-id", NID)
    assert erased.returncode == 0, erased.stderr
    assert _scan(data_dir, _needles(data_dir, ref)) == []
    assert ref.encode() in (data_dir / "ledger.db").read_bytes()  # the log is intact

    again = _run("person", "export", "--data", str(data_dir), "--national-id", NID, *READ)
    assert again.returncode == 2
    assert "unknown_subject" in again.stderr
    assert "Traceback" not in again.stderr

    verified = _run("verify", "--data", str(data_dir))
    assert verified.returncode == 0, verified.stderr
    _check_every_proof(data_dir)


def _check_every_proof(data_dir: Path) -> None:
    with TestClient(create_app(Settings(data_dir=data_dir, workers=0))) as client:
        vkey = client.get("/log/vkey").text.strip()
        note = client.get("/log/checkpoint").content
        cp: Checkpoint = open_checkpoint(note, NoteVerifier.from_vkey(vkey))
        for index in range(cp.size):
            got = client.get(f"/v1/entries/{index}").json()
            proof = [base64.b64decode(h) for h in got["proof"]]
            leaf = leaf_hash(base64.b64decode(got["entry"]))
            verify_inclusion(leaf, index, cp.size, proof, cp.root_hash)


def test_erasure_while_the_server_runs_scrubs_the_live_wal(data_dir: Path) -> None:
    """Erased through the running server's own vault connection: the -wal and -shm files
    still exist (the databases are open) and must hold nothing either."""
    with TestClient(create_app(Settings(data_dir=data_dir, workers=0))) as client:
        for n in range(3):
            put_record(client, data_dir, "bank", {"note": MARKER, "n": n})
        people = client.app.state.people  # type: ignore[attr-defined]
        ref = people.vault.subject_ref(NID)
        people.rights.erase(NID)
        assert any(p.name.endswith("-wal") for p in data_dir.iterdir())
        assert _scan(data_dir, _needles(data_dir, ref)) == []
    assert _run("verify", "--data", str(data_dir)).returncode == 0
