"""Erasure with the store in PostgreSQL (``--db``): the vault's rows, the accounts and the
nonces are in the database, not in the data directory, and after `credo person erase` a
`pg_dump` of the consortium's schema holds neither the payload nor the national id, nor the
vault's lookup HMAC, wrapped key or ciphertexts; the log keeps the subject ref, as it must.

What a dump cannot see (dead tuples before VACUUM, WAL segments, base backups) is in
docs/threat-model.md, "Erasure on PostgreSQL".
"""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from credo.api import create_app
from credo.services.node import DataDir
from credo.settings import Settings
from credo.vault import load_master_key, normalize_national_id
from tests._people import NID, grant, put_record, read
from tests._postgres import DATABASE, Server

MARKER = "ultraviolet-okapi-90210"


@pytest.fixture
def store_url(postgres: Server) -> str:
    """``data_dir``'s consortium in a fresh schema of the session's PostgreSQL."""
    return postgres.fresh_url()


def _dump(postgres: Server, url: str) -> bytes:
    """``pg_dump`` of the schema ``url`` names: every row of every table in it, as the
    database returns them (bytea as hex)."""
    options = parse_qs(urlsplit(url).query)["options"][0]
    schema = options.removeprefix("-c search_path=")
    result = subprocess.run(
        [
            str(postgres.bindir / "pg_dump"),
            "--host",
            str(postgres.root),
            "--username",
            "postgres",
            "--schema",
            schema,
            DATABASE,
        ],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return result.stdout


def _needles(data_dir: Path) -> dict[str, bytes]:
    norm = normalize_national_id(NID)
    lookup = load_master_key(DataDir(data_dir).master_key, {}).lookup(norm)
    return {
        "national id": NID.encode(),
        "normalized national id": norm.encode(),
        "lowercase national id": norm.lower().encode(),
        "payload marker": MARKER.encode(),
        "lookup hmac hex": lookup.hex().encode(),
        "lookup hmac base64": base64.b64encode(lookup),
    }


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CREDO_MASTER_KEY"}
    return subprocess.run(["credo", *args], capture_output=True, text=True, env=env, timeout=120)


def test_pg_dump_after_erasure_holds_neither_payload_nor_national_id(
    data_dir: Path, store_url: str, postgres: Server
) -> None:
    with TestClient(create_app(Settings(data_dir=data_dir, workers=0))) as client:
        for n in range(3):
            put_record(client, data_dir, "bank", {"note": MARKER, "n": n})
        consent = grant(client, data_dir, "bank")
        assert read(client, data_dir, "bank", ("consent", consent)).status_code == 200
        vault = client.app.state.people.vault  # type: ignore[attr-defined]
        ref = vault.subject_ref(NID)
    assert ref is not None
    invited = _run("person", "invite", "--data", str(data_dir), "--national-id", NID)
    assert invited.returncode == 0, invited.stderr

    # Nothing of people's data is in the data directory: only its configuration and keys.
    assert sorted(p.name for p in data_dir.iterdir()) == ["config.json", "keys", "master.key"]

    before = _dump(postgres, store_url)
    # Positive controls: the dump does show the vault's rows and the account's invite, and
    # the payload is nowhere in clear even now (it is sealed).
    lookup_hex = _needles(data_dir)["lookup hmac hex"]
    assert lookup_hex in before
    sealed = _vault_hex(before)
    assert sealed, "the dump holds the vault's ciphertexts before erasure"
    assert ref.encode() in _section(before, "vault_subjects")
    assert ref.encode() in _section(before, "invites")
    assert MARKER.encode() not in before
    assert NID.encode() not in before

    erased = _run("person", "erase", "--data", str(data_dir), "--national-id", NID)
    assert erased.returncode == 0, erased.stderr

    after = _dump(postgres, store_url)
    found = [name for name, needle in _needles(data_dir).items() if needle in after]
    assert found == []
    for blob in sealed:
        assert blob not in after  # no ciphertext of theirs, nor wrapped key, survives
    for table in ("vault_subjects", "vault_records", "invites", "sessions", "credentials"):
        assert ref.encode() not in _section(after, table), table
    assert ref.encode() in after  # the log keeps the ref: only the link to the person goes
    assert _run("verify", "--data", str(data_dir)).returncode == 0


def _section(dump: bytes, table: str) -> bytes:
    """The rows of ``table`` in a plain-format dump (its COPY block)."""
    for block in dump.split(b"\n\\.\n"):
        head, _, rows = block.partition(b"FROM stdin;\n")
        if rows and f".{table} (".encode() in head.rsplit(b"COPY ", 1)[-1]:
            return rows
    return b""


def _vault_hex(dump: bytes) -> list[bytes]:
    """The hex of every bytea the vault's subjects and records hold (wrapped keys,
    ciphertexts), as the dump writes them."""
    out = []
    for table in ("vault_subjects", "vault_records"):
        for line in _section(dump, table).splitlines():
            out += [cell[3:] for cell in line.split(b"\t") if cell.startswith(b"\\\\x")]
    return out
