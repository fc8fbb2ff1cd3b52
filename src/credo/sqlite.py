"""The one way credo opens a SQLite file and turns `sqlite3`'s errors into its own.

Five stores keep SQLite files: the ledger's (`credo.store.sqlite`), the vault's
(`credo.vault`), people's sign-in state (`credo.store.accounts`), a mirror's copy
(`credo.mirror.store`) and a witness's state (`credo.witness.store`). Each opens its
connections here (autocommit, so every transaction is an explicit ``BEGIN IMMEDIATE``; usable
from any thread; its pragmas; an owner-only file where it holds secrets), writes through
`transaction`, and has every `sqlite3.Error` mapped by `translate`, so that a full disk is
``disk_full`` and a broken uniqueness rule a `Conflict` whichever store hit it (the error
contract of `credo.store.protocols`).

Why a module of its own at the bottom of the layers, beside `credo.tlog`: `credo.witness` and
`credo.store` are siblings that may not import each other (a member's witness keeps its
state without the ledger's storage layer), so what both use must sit below both. It imports
nothing of credo but `credo.errors` (pyproject.toml's layer contract lists it).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from credo.errors import Conflict, CredoError, StoreError

__all__ = ["PerThread", "connect", "errors", "rollback", "transaction", "translate"]


def translate(exc: sqlite3.Error, action: str, what: str = "SQLite") -> CredoError:
    """The credo error for ``what``'s failed ``action`` ("read", "write", ...): `Conflict`
    for a uniqueness (or other integrity) rule, `StoreError` ``disk_full`` for a full disk,
    a plain `StoreError` for the rest."""
    if isinstance(exc, sqlite3.IntegrityError):
        return Conflict(f"{what}: {action} conflicts with stored state: {exc}")
    if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return StoreError(f"{what}: {action} failed: the disk is full", code="disk_full")
    return StoreError(f"{what}: {action} failed: {exc}")


@contextmanager
def errors(action: str, what: str = "SQLite") -> Iterator[None]:
    """Raise every `sqlite3.Error` of the block as `translate` says, the original as cause."""
    try:
        yield
    except sqlite3.Error as exc:
        raise translate(exc, action, what) from exc


def connect(
    path: str | Path,
    *,
    pragmas: Iterable[str] = (),
    readonly: bool = False,
    private: bool = False,
    what: str = "SQLite",
) -> sqlite3.Connection:
    """A connection to ``path`` (``":memory:"`` too) in autocommit mode, usable from any
    thread (each caller serialises its own use), with ``pragmas`` run in order.

    ``readonly``: the file is opened read-only (it must exist). ``private``: a new file is
    created owner-only first; SQLite gives its -wal and -shm files the same mode."""
    if private and str(path) != ":memory:":
        _create_private(Path(path), what)
    with errors(f"opening {path}", what):
        if readonly:
            conn = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
            )
        else:
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        try:
            for pragma in pragmas:
                conn.execute(pragma)
        except BaseException:
            conn.close()
            raise
    return conn


def _create_private(path: Path, what: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(f"cannot create {what} {path}: {exc}") from exc
    os.close(fd)


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back the open transaction, if SQLite has not already: on some errors (a full
    disk) it rolls the whole transaction back itself, and a ROLLBACK then fails with "no
    transaction is active", hiding the error that matters."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


@contextmanager
def transaction(
    conn: sqlite3.Connection, action: str = "write", what: str = "SQLite"
) -> Iterator[sqlite3.Connection]:
    """One ``BEGIN IMMEDIATE`` transaction (one writer at a time, across threads and
    processes): committed if the block ends normally, rolled back if it raises. SQLite's
    errors in BEGIN, the block and COMMIT are translated as ``action``'s."""
    with errors(action, what):
        conn.execute("BEGIN IMMEDIATE")
    try:
        with errors(action, what):
            yield conn
    except BaseException:
        with suppress(sqlite3.Error):  # the error that matters is the one being raised
            rollback(conn)
        raise
    try:
        with errors(action, what):
            conn.execute("COMMIT")
    except CredoError:
        with suppress(sqlite3.Error):
            rollback(conn)
        raise


class PerThread:
    """A connection per thread, opened by ``opener`` on the thread's first use: readers on
    their own connections never wait for, nor share a cursor with, the writer.

    Nothing is connected before `open`, and nothing after `close`, which closes every
    connection; ``what`` names the file in errors."""

    def __init__(self, opener: Callable[[], sqlite3.Connection], what: str = "SQLite") -> None:
        self._opener = opener
        self._what = what
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()  # guards the list and the flag only
        self._open = False

    def open(self, schema: str = "") -> None:
        """Allow connections; with ``schema``, run it first on this thread's connection."""
        with self._lock:
            self._open = True
        if schema:
            try:
                with errors("creating the schema", self._what):
                    self.get().executescript(schema)
            except BaseException:
                self.close()
                raise

    def get(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if not self._open:
                raise StoreError(f"{self._what} is not open", code="closed")
            conn = self._opener()
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            self._open = False
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
