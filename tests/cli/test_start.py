"""What a `credo` process loads at its start: not the libraries only a few commands use.

Every command and every server pays for its imports at each start (the suite starts a few
hundred). NumPy and DuckDB are for the analyses and batch rescoring, py_webauthn for the
passkey ceremonies, httpx for requests to other servers: each is imported where it is used."""

from __future__ import annotations

import subprocess
import sys

LATE = ("numpy", "duckdb", "webauthn", "httpx", "sklearn", "scipy")


def test_credo_and_its_server_start_without_the_libraries_few_commands_use() -> None:
    code = (
        "import sys, credo.cli, credo.api.app, credo.portal, credo.api.processes, "
        "credo.api.server; "
        f"print(' '.join(m for m in {LATE!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == []
