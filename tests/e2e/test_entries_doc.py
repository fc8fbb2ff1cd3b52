"""docs/entries.md's worked examples, run literally against a real server with a fresh
member key: each gets its entry accepted (two attestations, one sealed record)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from credo.ledger.entries import public_key_b64, statement_of
from credo.ledger.keys import MemberKey
from credo.services.node import DataDir, Node
from tests.e2e._server import Server, make_consortium

DOC = Path(__file__).parent.parent.parent / "docs" / "entries.md"


def example(name: str) -> str:
    """The code block after ``<!-- example: name -->`` in docs/entries.md."""
    found = re.search(rf"<!-- example: {name} -->\n```\w+\n(.*?)\n```", DOC.read_text(), re.S)
    assert found, f"docs/entries.md has no {name} example"
    return found.group(1)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    """A consortium with a newly admitted member whose key file only the example reads."""
    data = make_consortium(tmp_path / "data")
    key, key_file = MemberKey.generate(), tmp_path / "member" / "new-bank.pem"
    key.save(key_file)
    node = Node(DataDir(data)).start()
    try:
        body = {
            "id": "new-bank",
            "name": "New Bank",
            "sector": "bank",
            "public_key": public_key_b64(key),
            "roles": ["issuer", "recorder"],
        }
        node.submit_one("member.admit", node.operator, body)
    finally:
        node.close()
    srv = Server(data, tmp_path / "serve.log")
    try:
        srv.wait_ready()
        env = {"MEMBER": "new-bank", "KEY_FILE": str(key_file), "CREDO_URL": srv.url}
        yield srv, env
    finally:
        srv.stop()


def _accepted(output: str) -> int:
    answer = json.loads(output.strip().splitlines()[-1])
    if "results" in answer:
        answer = answer["results"][0]
    assert answer["status"] == "accepted", answer
    return int(answer["index"])


def _run(command: list[str], env: dict[str, str], cwd: Path) -> int:
    """Run an example as written; return the index of the entry it got accepted."""
    done = subprocess.run(
        command, env=os.environ | env, cwd=cwd, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return _accepted(done.stdout)


def test_the_python_example_gets_an_attestation_accepted(
    server: tuple[Server, dict[str, str]], tmp_path: Path
) -> None:
    srv, env = server
    index = _run([sys.executable, "-c", example("python")], env, tmp_path)
    assert httpx.get(f"{srv.url}/v1/entries/{index}").status_code == 200


def test_the_shell_example_gets_an_attestation_accepted(
    server: tuple[Server, dict[str, str]], tmp_path: Path
) -> None:
    srv, env = server
    index = _run(["bash", "-c", example("shell")], env, tmp_path)
    assert httpx.get(f"{srv.url}/v1/entries/{index}").json()["index"] == index


def test_the_record_example_gets_a_sealed_record_accepted(
    server: tuple[Server, dict[str, str]], tmp_path: Path
) -> None:
    srv, env = server
    index = _run([sys.executable, "-c", example("record")], env, tmp_path)
    node = Node(DataDir(srv.data)).start()
    try:
        records = node.store.records_of(node.store.tag_subject(_tag(node, index)) or "")
        assert [(r.member, r.category, r.put_idx) for r in records] == [
            ("new-bank", "finance", index)
        ]
    finally:
        node.close()


def _tag(node: Node, index: int) -> str:
    return str(statement_of(node.store.read_entries(index, 1)[0])["body"]["tag"])
