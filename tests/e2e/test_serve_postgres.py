"""`credo init --db URL`, `credo serve --db URL` and `credo verify --db URL` on the session's
throwaway PostgreSQL server: the served log is the one in PostgreSQL, a validation worker
reads it through its own read-only connections, and verification accepts it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from credo.services.node import DataDir, Node, admit_member
from tests import _postgres
from tests.conftest import ORIGIN, member_key
from tests.e2e._server import (
    Server,
    fetch_all_entries,
    fetch_checkpoint,
    post_entries,
    signed_attestations,
)


def _credo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["credo", *args], capture_output=True, text=True, timeout=120)


def test_serve_db_serves_the_postgres_log_and_verify_accepts_it(
    tmp_path: Path, postgres: _postgres.Server
) -> None:
    url, root = postgres.fresh_url(), tmp_path / "data"
    made = _credo("init", "--data", str(root), "--origin", ORIGIN, "--db", url)
    assert made.returncode == 0, made.stderr
    node = Node(DataDir(root, url)).start()
    try:
        admit_member(node, "uni", "Test University", "university", ["issuer"])
    finally:
        node.close()
    batches = [signed_attestations(member_key(root, "uni"), "uni", f"pg{n}", 40) for n in (1, 2)]
    server = Server(root, tmp_path / "serve.log", {"CREDO_DB": url}, workers=1)
    try:
        server.wait_ready()
        with httpx.Client() as http:
            indexes = [post_entries(http, server.url, [e for e, _ in b]) for b in batches]
            # A batch repeating an attested document: refused alone, the rest accepted.
            again = [
                batches[0][3][0],
                *(e for e, _ in signed_attestations(member_key(root, "uni"), "uni", "pg3", 2)),
            ]
            r = http.post(f"{server.url}/v1/entries", json={"entries": again}, timeout=60)
            assert r.status_code == 207, r.text[:500]
            statuses = [x["status"] for x in r.json()["results"]]
            _, checkpoint = fetch_checkpoint(http, server.url)
            served = fetch_all_entries(http, server.url, checkpoint.size)
    finally:
        server.stop()
    assert statuses == ["rejected", "accepted", "accepted"]
    assert indexes == [list(range(2, 42)), list(range(42, 82))]
    assert checkpoint.size == 84  # genesis, the member, 40 + 40 + 2 attestations
    assert served[2:82] == [stored for b in batches for _, stored in b]
    assert not DataDir(root).db.exists()

    checked = _credo("verify", "--data", str(root), "--db", url)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("OK: 84 entries")
    assert "people's entries opened" in checked.stdout
