"""The witness's own state in one SQLite file: the latest cosigned checkpoint per log, and
the evidence of misbehaviour it was shown.

`WitnessStore.swap` is the only way the latest checkpoint changes: a compare-and-swap on the
stored size and root, one SQL statement (``UPDATE ... WHERE size = ? AND root = ?``, or an
``INSERT`` that does nothing if a row exists), so two writers can never both succeed from the
same state, whether they are threads of one process or two processes on one file. Each thread
has its own connection; nothing here takes a Python lock around the check.

Sizes are kept as canonical decimal text: a checkpoint's size is up to 2**64 - 1, beyond
SQLite's signed 64-bit integers, and the store only ever compares them for equality.
"""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from credo.sqlite import PerThread, connect, errors

SCHEMA = """
CREATE TABLE IF NOT EXISTS latest (
    origin  TEXT PRIMARY KEY,
    size    TEXT NOT NULL,     -- canonical decimal
    root    BLOB NOT NULL,
    note    BLOB NOT NULL,     -- the checkpoint, the log's verified signatures and ours
    updated INTEGER NOT NULL   -- POSIX seconds
) STRICT;
CREATE TABLE IF NOT EXISTS evidence (
    id       INTEGER PRIMARY KEY,
    origin   TEXT NOT NULL,
    reason   TEXT NOT NULL,
    received INTEGER NOT NULL,
    note     BLOB NOT NULL,    -- the refused checkpoint, as the log signed it
    note_sha256 BLOB NOT NULL,
    request  BLOB NOT NULL,    -- the whole add-checkpoint body (old size, proof, note)
    cosigned BLOB,             -- what the witness had cosigned for the log at the time
    UNIQUE (origin, reason, note_sha256)
) STRICT;
"""


@dataclass(frozen=True)
class Cosigned:
    """The latest checkpoint the witness cosigned for a log, and the note it keeps of it."""

    origin: str
    size: int
    root: bytes
    note: bytes
    updated: int = 0


@dataclass(frozen=True)
class Evidence:
    """A validly signed checkpoint the witness refused because it conflicts with its record."""

    id: int
    origin: str
    reason: str
    received: int
    note: bytes
    request: bytes
    cosigned: bytes | None


_WHAT = "the witness store"
_PRAGMAS = (
    "PRAGMA busy_timeout = 30000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",  # persisted before we answer
)


def _translate(action: str) -> AbstractContextManager[None]:
    return errors(action, _WHAT)


class WitnessStore:
    """``DIR/witness.db``: see the module doc. Safe to use from many threads at once."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._conns = PerThread(self._connect, _WHAT)

    def open(self) -> WitnessStore:
        """Create the file and its schema; then any thread may read and write. A second
        call does nothing more."""
        self._conns.open(SCHEMA)
        return self

    def _connect(self) -> sqlite3.Connection:
        return connect(self._path, pragmas=_PRAGMAS, what=_WHAT)

    def _conn(self) -> sqlite3.Connection:
        return self._conns.get()

    def close(self) -> None:
        self._conns.close()

    def latest(self, origin: str) -> Cosigned | None:
        with _translate("reading the latest checkpoint"):
            row = (
                self._conn()
                .execute("SELECT size, root, note, updated FROM latest WHERE origin = ?", (origin,))
                .fetchone()
            )
        if row is None:
            return None
        return Cosigned(origin, int(row[0]), bytes(row[1]), bytes(row[2]), int(row[3]))

    def all_latest(self) -> list[Cosigned]:
        with _translate("listing checkpoints"):
            rows = (
                self._conn()
                .execute("SELECT origin, size, root, note, updated FROM latest ORDER BY origin")
                .fetchall()
            )
        return [Cosigned(r[0], int(r[1]), bytes(r[2]), bytes(r[3]), int(r[4])) for r in rows]

    def swap(self, expected: Cosigned | None, new: Cosigned) -> bool:
        """Make ``new`` the latest for its log if the latest is still ``expected`` (same size
        and root; ``None``: no checkpoint yet). True if it was swapped, False if another
        writer got there first and nothing was written."""
        conn = self._conn()
        with _translate("storing the cosigned checkpoint"):
            if expected is None:
                cur = conn.execute(
                    "INSERT INTO latest (origin, size, root, note, updated) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (origin) DO NOTHING",
                    (new.origin, str(new.size), new.root, new.note, new.updated),
                )
            else:
                if expected.origin != new.origin:
                    raise ValueError("swap: expected and new are for different logs")
                cur = conn.execute(
                    "UPDATE latest SET size = ?, root = ?, note = ?, updated = ?"
                    " WHERE origin = ? AND size = ? AND root = ?",
                    (
                        str(new.size),
                        new.root,
                        new.note,
                        new.updated,
                        new.origin,
                        str(expected.size),
                        expected.root,
                    ),
                )
        return cur.rowcount == 1

    def add_evidence(
        self,
        origin: str,
        reason: str,
        received: int,
        note: bytes,
        request: bytes,
        cosigned: bytes | None,
        *,
        cap: int | None = None,
    ) -> bool:
        """Keep a refused checkpoint; False if the same note was already kept for the same
        reason (so replaying one signed checkpoint cannot fill the disk), or if ``cap`` rows
        for this log and reason are kept already."""
        digest = hashlib.sha256(note).digest()
        limit = -1 if cap is None else cap
        with _translate("keeping evidence"):
            cur = self._conn().execute(
                "INSERT INTO evidence (origin, reason, received, note, note_sha256, request,"
                " cosigned) SELECT ?, ?, ?, ?, ?, ?, ?"
                " WHERE ? < 0"
                " OR (SELECT count(*) FROM evidence WHERE origin = ? AND reason = ?) < ?"
                " ON CONFLICT (origin, reason, note_sha256) DO NOTHING",
                (
                    origin,
                    reason,
                    received,
                    note,
                    digest,
                    request,
                    cosigned,
                    limit,
                    origin,
                    reason,
                    limit,
                ),
            )
        return cur.rowcount == 1

    def evidence(
        self, after: int = 0, limit: int = 100, origin: str | None = None
    ) -> list[Evidence]:
        """Evidence with ``id > after``, oldest first, at most ``limit``."""
        sql = "SELECT id, origin, reason, received, note, request, cosigned FROM evidence"
        sql += " WHERE id > ?" + (" AND origin = ?" if origin is not None else "")
        args: tuple[object, ...] = (after, origin) if origin is not None else (after,)
        with _translate("reading evidence"):
            rows = self._conn().execute(sql + " ORDER BY id LIMIT ?", (*args, limit)).fetchall()
        return [
            Evidence(
                int(r[0]),
                r[1],
                r[2],
                int(r[3]),
                bytes(r[4]),
                bytes(r[5]),
                None if r[6] is None else bytes(r[6]),
            )
            for r in rows
        ]
