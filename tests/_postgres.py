"""A throwaway PostgreSQL server for the tests: Debian's binaries, a temporary directory, a
Unix socket and no TCP port; each store gets a fresh schema of its own.

Started once a session by the ``postgres`` fixture (tests/conftest.py) and removed after;
bench/bench_log.py starts a durable one (``durable=True``) to measure against.
As root, the server runs as the ``postgres`` user (initdb refuses root).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

import psycopg

DATABASE = "credo"
INSTALL_HINT = "apt-get install postgresql (scripts/test does)"


def find_bin() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian's layout, else PATH)."""
    versions = [Path(p).parent.parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    versions.sort(key=lambda v: int(v.name) if v.name.isdigit() else 0)
    if versions:
        return versions[-1] / "bin"
    initdb = shutil.which("initdb")
    return None if initdb is None else Path(initdb).parent


class Server:
    """One running server; `fresh_url` hands out an empty schema's location.

    ``durable``: fsync, full-page writes and synchronous commit on, as in production (a
    benchmark's); otherwise off, which the tests need only for speed."""

    def __init__(self, bindir: Path, *, durable: bool = False) -> None:
        self.bindir = bindir
        self.durable = durable
        self.root = Path(tempfile.mkdtemp(prefix="credo-pg-"))
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self.data = self.root / "data"
        self._names = itertools.count(1)
        self._admin: psycopg.Connection[tuple[object, ...]] | None = None

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            [*self._as, *args], capture_output=True, text=True, cwd=self.root, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stderr[-2000:]}")

    def start(self) -> None:
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            *(() if self.durable else ("--no-sync",)),
        )
        sync = (
            "-c fsync=on -c full_page_writes=on -c synchronous_commit=on"
            if self.durable
            else "-c fsync=off -c full_page_writes=off"
        )
        options = f"-k {self.root} -c listen_addresses='' {sync} -c max_connections=400"
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-o",
            options,
            "start",
        )
        self._admin = psycopg.connect(self._url("postgres"), autocommit=True)
        self._admin.execute(f"CREATE DATABASE {DATABASE}")
        self._admin.close()
        self._admin = psycopg.connect(self._url(DATABASE), autocommit=True)

    def _url(self, database: str, options: str = "") -> str:
        url = f"postgresql://postgres@/{database}?host={quote(str(self.root), safe='')}"
        return url + (f"&options={quote(options, safe='')}" if options else "")

    def fresh_url(self) -> str:
        """The location of a new, empty schema (the first of its connections' search_path)."""
        assert self._admin is not None, "the server is not started"
        schema = f"store_{next(self._names)}"
        self._admin.execute(f"CREATE SCHEMA {schema}")
        return self._url(DATABASE, f"-c search_path={schema}")

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
