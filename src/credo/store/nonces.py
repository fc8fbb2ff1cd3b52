"""The nonces of members' signed requests seen lately, so that a request is accepted once:
`credo.api.auth` refuses one whose nonce was already used, within the window in which its
signature's ``created`` time is accepted at all.

Two kinds behind one Protocol (`NonceStore`): `DatabaseNonces`, in a table every API process
shares (``DIR/nonces.db`` on one host, the PostgreSQL schema of ``--db`` across hosts), so a
request accepted by one process is a replay to every other; and `MemoryNonces`, in one
process only, for an app with no data directory behind it (tests).

The SQL is written once (`credo.store.database`); claiming is one INSERT that the primary key
makes atomic, so it takes no writer lock.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

from credo.store.database import Database, database_at

__all__ = ["DatabaseNonces", "MemoryNonces", "NonceStore", "nonces_at"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS request_nonces (
    nonce {text} PRIMARY KEY,   -- the member's key id and the request's nonce
    seen  {real} NOT NULL       -- Unix seconds, when first seen
){without_rowid};
CREATE INDEX IF NOT EXISTS request_nonces_seen ON request_nonces (seen);
"""
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=5000")
"""A lost nonce table loses only replay protection for the last few minutes' requests, and
then only on a crash of the machine: NORMAL, not FULL."""


class NonceStore(Protocol):
    def claim(self, nonce: str, now: float, keep: float) -> bool:
        """True if ``nonce`` is new (and now remembered); False if it was seen already.
        Nonces first seen more than ``keep`` seconds before ``now`` may be forgotten."""
        ...

    def close(self) -> None: ...


class MemoryNonces:
    """In this process only.

    Nonces are kept in the order they were used, so forgetting the ones older than ``keep``
    takes them off the front: constant work per call, where rebuilding the whole map on every
    call (once it held 1,024) cost each request time in proportion to the requests of the
    last ten minutes. A nonce used slightly out of order (threads) is kept a little longer,
    never forgotten early."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def claim(self, nonce: str, now: float, keep: float) -> bool:
        with self._lock:
            horizon, seen = now - keep, self._seen
            while seen:
                oldest = next(iter(seen))
                if seen[oldest] > horizon:
                    break
                del seen[oldest]
            if nonce in seen:
                return False
            seen[nonce] = now
            return True

    def __len__(self) -> int:
        return len(self._seen)

    def close(self) -> None:
        self._seen.clear()


class DatabaseNonces:
    """In a table every process on the database shares. Open it with `open`."""

    def __init__(self, location: str | Path) -> None:
        self._db: Database = database_at(
            location, what="the request nonces", lock="nonces", pragmas=PRAGMAS
        )
        self._purged = 0.0
        self._lock = threading.Lock()

    def open(self) -> DatabaseNonces:
        self._db.open(SCHEMA)
        return self

    def claim(self, nonce: str, now: float, keep: float) -> bool:
        with self._lock:  # forget old nonces every keep / 2 seconds, not on every request
            purge = now - self._purged > keep / 2
            if purge:
                self._purged = now
        with self._db.read("checking a request's nonce") as st:  # one atomic statement
            if purge:
                st.exec("DELETE FROM request_nonces WHERE seen < ?", (now - keep,))
            added = st.exec(
                "INSERT INTO request_nonces (nonce, seen) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (nonce, now),
            )
        return added == 1

    def close(self) -> None:
        self._db.close()


def nonces_at(location: str | Path | None) -> NonceStore:
    """Shared nonces at ``location`` (opened), or this process's own without one."""
    if location is None:
        return MemoryNonces()
    return DatabaseNonces(location).open()
