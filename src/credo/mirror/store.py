"""A mirror's copy of one log in one SQLite file, ``DIR/mirror.db``.

Why SQLite and not plain files laid out as the tile paths: the mirror's promise is that it
serves exactly the tree of the checkpoint it verified, whatever moment it was killed at. In
SQLite one transaction moves the checkpoint and writes the tiles and bundles it covers, so
there is never a tile on disk past the checkpoint that a crash left behind, never a
half-written file, never an older partial tile to clean up, and the server reads a
consistent state while the follower writes (WAL). With files each tile would need its own
write-and-rename, a crash would leave tiles past the checkpoint that every reader must filter
and a later run must reconcile, and a log of a billion entries would be millions of files.

The file holds:

- ``checkpoints``: the ``verified`` checkpoint, the one served (the log's note as it was
  verified, and the note served: that one plus the mirror's own cosignature, if it
  witnesses), and at most one ``pending`` checkpoint: the target of a copy not finished yet.
  Its signature, its witnesses' quorum and its consistency with the verified one were
  checked before anything of it was written.
- ``tiles`` and ``bundles``: hash tiles and entry bundles, each row the widest version
  verified so far (a partial tile only grows: every narrower one is its prefix, as in the
  log's own store). Rows past the verified checkpoint's right edge belong to the pending copy
  and are never served.
- ``meta``: the log's verifier key and origin the directory is bound to.

A row is only ever replaced by one that extends it (`WriteTx.put_tile`, `WriteTx.put_bundle`
refuse anything else), so whatever is served for the verified checkpoint never changes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from credo.errors import StoreError, VerificationError
from credo.sqlite import PerThread, connect, errors, transaction
from credo.tlog import HASH_SIZE, tile_path

DB_FILE = "mirror.db"
MAX_SIZE = 2**63 - 1  # SQLite's integers; no log comes near it

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS checkpoints (
    role   TEXT PRIMARY KEY CHECK (role IN ('verified', 'pending')),
    size   INTEGER NOT NULL,
    root   BLOB NOT NULL,
    note   BLOB NOT NULL,   -- the log's checkpoint, as it was verified
    served BLOB NOT NULL    -- what /log/checkpoint answers: the note and our cosignature
) STRICT;
CREATE TABLE IF NOT EXISTS tiles (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    data  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bundles (
    idx   INTEGER PRIMARY KEY,
    count INTEGER NOT NULL,  -- entries in data
    data  BLOB NOT NULL
) STRICT;
"""


@dataclass(frozen=True)
class Kept:
    """A checkpoint the mirror keeps: verified (served) or pending (being copied)."""

    size: int
    root: bytes
    note: bytes
    served: bytes


_WHAT = "the mirror store"
_PRAGMAS = (
    "PRAGMA busy_timeout = 30000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",  # a kept checkpoint survives power loss
)


def _translate(action: str) -> AbstractContextManager[None]:
    return errors(action, _WHAT)


class WriteTx:
    """One transaction of `MirrorStore.write`: everything in it is kept, or nothing."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def put_tile(self, level: int, index: int, data: bytes) -> None:
        """Keep a verified tile; it must extend the one kept (or be the first)."""
        old = self._conn.execute(
            "SELECT data FROM tiles WHERE level = ? AND idx = ?", (level, index)
        ).fetchone()
        if old is not None:
            kept = bytes(old[0])
            if kept.startswith(data):
                return  # the same, or what is kept already extends it
            if not data.startswith(kept):
                raise VerificationError(
                    f"{tile_path(level, index, len(data) // HASH_SIZE)} does not extend the "
                    "verified tile kept",
                    code="rewritten_history",
                )
        self._conn.execute(
            "INSERT INTO tiles (level, idx, data) VALUES (?, ?, ?)"
            " ON CONFLICT (level, idx) DO UPDATE SET data = excluded.data",
            (level, index, data),
        )

    def put_bundle(self, index: int, count: int, data: bytes) -> None:
        """Keep a verified entry bundle of ``count`` entries; it must extend the one kept."""
        old = self._conn.execute(
            "SELECT count, data FROM bundles WHERE idx = ?", (index,)
        ).fetchone()
        if old is not None:
            kept = bytes(old[1])
            if kept.startswith(data):
                return
            if not data.startswith(kept):
                raise VerificationError(
                    f"entry bundle {index} does not extend the verified bundle kept",
                    code="rewritten_history",
                )
        self._conn.execute(
            "INSERT INTO bundles (idx, count, data) VALUES (?, ?, ?)"
            " ON CONFLICT (idx) DO UPDATE SET count = excluded.count, data = excluded.data",
            (index, count, data),
        )

    def set_checkpoint(self, role: str, kept: Kept | None) -> None:
        if kept is None:
            self._conn.execute("DELETE FROM checkpoints WHERE role = ?", (role,))
            return
        if not 0 <= kept.size <= MAX_SIZE:
            raise StoreError(f"a tree of {kept.size} entries is beyond what a mirror keeps")
        self._conn.execute(
            "INSERT INTO checkpoints (role, size, root, note, served) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (role) DO UPDATE SET size = excluded.size, root = excluded.root,"
            " note = excluded.note, served = excluded.served",
            (role, kept.size, kept.root, kept.note, kept.served),
        )

    def set_meta(self, key: str, value: str) -> None:
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


class MirrorStore:
    """``DIR/mirror.db``: see the module doc. One writer (the follower), many readers (the
    server's threads), each thread with its own connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conns = PerThread(self._connect, _WHAT)

    def open(self) -> MirrorStore:
        """Create the file and its schema; then any thread may read and write. A second
        call does nothing more."""
        self._conns.open(SCHEMA)
        return self

    def _connect(self) -> sqlite3.Connection:
        return connect(self.path, pragmas=_PRAGMAS, what=_WHAT)

    def _conn(self) -> sqlite3.Connection:
        return self._conns.get()

    def close(self) -> None:
        self._conns.close()

    @contextmanager
    def write(self) -> Iterator[WriteTx]:
        """One ``BEGIN IMMEDIATE`` transaction: committed if the block ends normally, rolled
        back (nothing kept) if it raises."""
        with transaction(self._conn(), "writing", _WHAT) as conn:
            yield WriteTx(conn)

    def checkpoint(self, role: str = "verified") -> Kept | None:
        with _translate("reading the checkpoint"):
            row = (
                self._conn()
                .execute("SELECT size, root, note, served FROM checkpoints WHERE role = ?", (role,))
                .fetchone()
            )
        if row is None:
            return None
        return Kept(int(row[0]), bytes(row[1]), bytes(row[2]), bytes(row[3]))

    def verified_size(self) -> int:
        kept = self.checkpoint()
        return 0 if kept is None else kept.size

    def read_tile(self, level: int, index: int) -> bytes:
        """The widest tile kept at (level, index), or empty bytes."""
        with _translate("reading a tile"):
            row = (
                self._conn()
                .execute("SELECT data FROM tiles WHERE level = ? AND idx = ?", (level, index))
                .fetchone()
            )
        return b"" if row is None else bytes(row[0])

    def read_bundle(self, index: int) -> tuple[int, bytes]:
        """The widest entry bundle kept at ``index``: (entries, bytes); (0, b"") if none."""
        with _translate("reading an entry bundle"):
            row = (
                self._conn()
                .execute("SELECT count, data FROM bundles WHERE idx = ?", (index,))
                .fetchone()
            )
        return (0, b"") if row is None else (int(row[0]), bytes(row[1]))

    def bundle_count(self, index: int) -> int:
        """How many entries the bundle kept at ``index`` holds (0: none)."""
        with _translate("reading an entry bundle"):
            row = (
                self._conn().execute("SELECT count FROM bundles WHERE idx = ?", (index,)).fetchone()
            )
        return 0 if row is None else int(row[0])

    def get_meta(self, key: str) -> str | None:
        with _translate("reading meta"):
            row = self._conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])
