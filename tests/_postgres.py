"""A throwaway PostgreSQL server for the tests: Debian's binaries, a temporary directory, a
Unix socket and no TCP port; each store gets a fresh schema of its own.

Started once a session by the ``postgres`` fixture (tests/conftest.py) and removed after;
bench/bench_log.py starts a durable one (``durable=True``) to measure against.
As root, the server runs as the ``postgres`` user (initdb refuses root).

The multi-host tests start one on a host of their own (tests/e2e/_netns.py): ``prefix`` runs
its commands in that host's namespace, and ``tcp`` makes it listen on the host's address,
trusting clients of one subnet only, the way a database server on a private network would.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

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


def require_bin() -> Path:
    """`find_bin`'s answer; without one, fail in CI (CI=true) and skip elsewhere."""
    bindir = find_bin()
    if bindir is None:
        message = f"PostgreSQL's initdb and pg_ctl are not installed: {INSTALL_HINT}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return bindir


@dataclass(frozen=True)
class Tcp:
    """Where a server listens over TCP, and the one subnet whose clients it trusts."""

    address: str
    clients: str  # CIDR, e.g. 10.231.40.0/24
    port: int = 5432


class Server:
    """One running server; `fresh_url` hands out an empty schema's location.

    ``prefix``: put before each command (``ip netns exec NS``); ``tcp``: listen there (and
    trust only its subnet) instead of on a Unix socket only; ``durable``: fsync, full-page
    writes and synchronous commit on, as in production (a benchmark's); otherwise off, which
    the tests need only for speed."""

    def __init__(
        self,
        bindir: Path,
        *,
        prefix: Sequence[str] = (),
        tcp: Tcp | None = None,
        durable: bool = False,
    ) -> None:
        self.bindir = bindir
        self.prefix = list(prefix)
        self.tcp = tcp
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
            [*self.prefix, *self._as, *args],
            capture_output=True,
            text=True,
            cwd=self.root,
            check=False,
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
        listen = ""
        if self.tcp is not None:
            listen = self.tcp.address
            # Only the subnet, with no password (the socket stays for pg_ctl's own use).
            hba = f"local all all trust\nhost all all {self.tcp.clients} trust\n"
            (self.data / "pg_hba.conf").write_text(hba)
            if self._as:
                shutil.chown(self.data / "pg_hba.conf", "postgres", "postgres")
        sync = (
            "-c fsync=on -c full_page_writes=on -c synchronous_commit=on"
            if self.durable
            else "-c fsync=off -c full_page_writes=off"
        )
        options = f"-k {self.root} -c listen_addresses='{listen}' {sync} -c max_connections=400"
        if self.tcp is not None:
            options += f" -p {self.tcp.port}"
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
        params = {"host": str(self.root)} if self.tcp is None else {}
        where = "" if self.tcp is None else f"{self.tcp.address}:{self.tcp.port}"
        if options:
            params["options"] = options
        query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
        return f"postgresql://postgres@{where}/{database}" + (f"?{query}" if query else "")

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
