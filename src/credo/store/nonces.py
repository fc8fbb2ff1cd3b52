"""The request nonces every serving process on one host has seen: ``DIR/nonces.db``.

A member's signed request (RFC 9421) carries a nonce, and a nonce is accepted once within
the signature's acceptance window. An API process's own memory remembers only what it saw;
with several processes serving one data directory (`credo serve --processes`), a request
accepted by one could be replayed to another. This file is their shared memory of nonces:
claiming one is an insert that the primary key refuses a second time, across processes.

It is a cache, not a record: rows older than the window are deleted as it goes, and
``synchronous=OFF`` spares the fsync (a power cut forgets the last nonces, as a restart of
a single process always did; the signature's time window still bounds a replay).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from credo.sqlite import connect, errors

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=OFF",
    "PRAGMA busy_timeout=5000",
)
_PRUNE_EVERY = 1024


class NonceStore:
    """Nonces claimed on this host; one connection guarded by a lock (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._claims = 0

    def open(self) -> NonceStore:
        """Create or open the file (a second call does nothing)."""
        with self._lock:
            if self._conn is None:
                conn = connect(self.path, pragmas=_PRAGMAS, private=True, what="nonce cache")
                with errors("creating the nonce cache", "nonce cache"):
                    conn.execute(
                        "CREATE TABLE IF NOT EXISTS nonces "
                        "(key TEXT PRIMARY KEY, expires REAL NOT NULL) WITHOUT ROWID"
                    )
                self._conn = conn
        return self

    def claim(self, key: str, now: float, keep: float) -> bool:
        """Record ``key`` until ``now + keep``; False if it is already recorded (a replay)."""
        with self._lock:
            if self._conn is None:
                raise RuntimeError("NonceStore.open() first")
            self._claims += 1
            with errors("recording a request nonce", "nonce cache"):
                if self._claims % _PRUNE_EVERY == 0:
                    self._conn.execute("DELETE FROM nonces WHERE expires < ?", (now,))
                cursor = self._conn.execute(
                    "INSERT INTO nonces (key, expires) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET expires = excluded.expires "
                    "WHERE nonces.expires < ?",
                    (key, now + keep, now),
                )
                return cursor.rowcount == 1

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
