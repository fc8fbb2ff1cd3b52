"""The vault's storage: where sealed rows live, apart from the key operations on them.

Every statement of the vault is here, written once for both backends
(`credo.store.database`): a SQLite file of its own (DIR/vault.db) or, with ``--db``, tables
of their own in the PostgreSQL schema the ledger uses, so any API process can seal and open
any person's records. Nothing here holds or sees a key: rows hold HMACs, wrapped data keys
and ciphertexts, which `credo.vault.vault.Vault` makes and opens with the master key's
operations (`credo.vault.keys`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from credo.errors import StoreError
from credo.sqlite import errors
from credo.store.database import Database, Statements, database_at
from credo.store.sqlite.database import SqliteDatabase

__all__ = ["VaultRows", "VaultStorage"]

WHAT = "the vault database"
TABLES = ("vault_meta", "vault_subjects", "vault_records", "vault_erased")
RENAMED = {
    "subjects": "vault_subjects",
    "records": "vault_records",
    "erased": "vault_erased",
}
"""The tables of vault files written before the vault could live in PostgreSQL (where the
ledger already has a ``records`` table): renamed when such a file is opened."""

# secure_delete zeroes deleted cells and freed pages (https://sqlite.org/pragma.html#pragma_secure_delete);
# temp_store=MEMORY keeps VACUUM's scratch copy of the database off the disk.
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA secure_delete=ON",
    "PRAGMA foreign_keys=ON",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA busy_timeout=5000",
)


_KEYS_PER_QUERY = 500
"""Record keys bound to one query: far under SQLite's 32,766 variables."""


class VaultRows:
    """The vault's statements on one read or one write transaction."""

    def __init__(self, st: Statements) -> None:
        self._st = st

    def meta(self, key: str) -> bytes | None:
        row = self._st.one("SELECT value FROM vault_meta WHERE key = ?", (key,))
        return None if row is None else bytes(row[0])

    def add_meta(self, key: str, value: bytes) -> None:
        self._st.exec(
            "INSERT INTO vault_meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (key, value),
        )

    def ref_of(self, lookup: bytes) -> str | None:
        row = self._st.one("SELECT ref FROM vault_subjects WHERE lookup = ?", (lookup,))
        return None if row is None else str(row[0])

    def subject_of(self, lookup: bytes) -> tuple[str, bytes] | None:
        """The ref and wrapped data key under ``lookup``, if any."""
        row = self._st.one(
            "SELECT ref, wrapped_key FROM vault_subjects WHERE lookup = ?", (lookup,)
        )
        return None if row is None else (str(row[0]), bytes(row[1]))

    def rewrite_subject(self, ref: str, lookup: bytes, wrapped_key: bytes) -> None:
        """Write a subject's lookup and wrapped key again (`Vault.reserve_subject`: the same
        row write an insert does, for a person already on file)."""
        self._st.exec(
            "UPDATE vault_subjects SET lookup = ?, wrapped_key = ? WHERE ref = ?",
            (lookup, wrapped_key, ref),
        )

    def has_subject(self, ref: str) -> bool:
        return self._st.one("SELECT 1 FROM vault_subjects WHERE ref = ?", (ref,)) is not None

    def wrapped_key(self, ref: str) -> bytes | None:
        row = self._st.one("SELECT wrapped_key FROM vault_subjects WHERE ref = ?", (ref,))
        return None if row is None else bytes(row[0])

    def add_subject(self, ref: str, lookup: bytes, wrapped_key: bytes) -> None:
        self._st.exec(
            "INSERT INTO vault_subjects (ref, lookup, wrapped_key) VALUES (?, ?, ?)",
            (ref, lookup, wrapped_key),
        )

    def add_record(self, record_key: str, ref: str, blob: bytes) -> None:
        self._st.exec(
            "INSERT INTO vault_records (record_key, ref, blob) VALUES (?, ?, ?)",
            (record_key, ref, blob),
        )

    def record(self, record_key: str, ref: str) -> tuple[bytes, bytes] | None:
        """A record's ciphertext and its subject's wrapped data key."""
        row = self._st.one(
            "SELECT r.blob, s.wrapped_key FROM vault_records AS r "
            "JOIN vault_subjects AS s ON s.ref = r.ref "
            "WHERE r.record_key = ? AND r.ref = ?",
            (record_key, ref),
        )
        return None if row is None else (bytes(row[0]), bytes(row[1]))

    def records_of(self, ref: str, record_keys: Sequence[str]) -> dict[str, bytes]:
        """The ciphertexts of those of ``record_keys`` that are the subject's, by record key."""
        found: dict[str, bytes] = {}
        for at in range(0, len(record_keys), _KEYS_PER_QUERY):
            keys = list(record_keys[at : at + _KEYS_PER_QUERY])
            marks = ", ".join("?" * len(keys))
            rows = self._st.rows(
                f"SELECT record_key, blob FROM vault_records "  # noqa: S608
                f"WHERE ref = ? AND record_key IN ({marks})",
                (ref, *keys),
            )
            found.update((str(key), bytes(blob)) for key, blob in rows)
        return found

    def is_tombstoned(self, tombstone: bytes) -> bool:
        found = self._st.one("SELECT 1 FROM vault_erased WHERE tombstone = ?", (tombstone,))
        return found is not None

    def erase(self, ref: str, tombstone: bytes) -> int:
        """Delete the subject's ciphertexts, its wrapped key and lookup, and leave its
        tombstone; how many ciphertexts went."""
        destroyed = self._st.exec("DELETE FROM vault_records WHERE ref = ?", (ref,))
        self._st.exec("DELETE FROM vault_subjects WHERE ref = ?", (ref,))
        self._st.exec(
            "INSERT INTO vault_erased (tombstone) VALUES (?) ON CONFLICT DO NOTHING", (tombstone,)
        )
        return destroyed


class VaultStorage:
    """The vault's database at a location: a SQLite file path or a PostgreSQL URL."""

    def __init__(self, location: str | Path) -> None:
        self.db: Database = database_at(location, what=WHAT, lock="vault", pragmas=PRAGMAS)

    def open(self) -> None:
        schema = resources.files("credo.vault").joinpath("vault_schema.sql").read_text("utf-8")
        self.db.open(schema, RENAMED)
        if isinstance(self.db, SqliteDatabase):
            with errors("configuring the database", WHAT):
                secure = self.db.connection.execute("PRAGMA secure_delete").fetchone()[0]
            if secure != 1:
                self.db.close()
                raise StoreError(f"the vault needs secure_delete=1, got {secure}")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def read(self, action: str) -> Iterator[VaultRows]:
        with self.db.read(action) as st:
            yield VaultRows(st)

    @contextmanager
    def write(self, action: str) -> Iterator[VaultRows]:
        with self.db.write(action) as st:
            yield VaultRows(st)

    def scrub(self) -> None:
        self.db.scrub(TABLES)
