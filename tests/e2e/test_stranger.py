"""The stranger: someone with nothing but the demo's public endpoints learns nothing about
any person from its log, and can still check all of it. A person, given their own export,
checks their entries against the same log from outside; an erased person's entries stay in
the log, verifiable and unreadable."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from credo.demo import seed_demo
from credo.ledger.entries import statement_of
from credo.ledger.keys import MemberKey
from credo.ledger.kinds import PERSONAL_KINDS
from credo.tlog import (
    TILE_WIDTH,
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    decode_entry_bundle,
    entries_path,
    open_checkpoint,
    parse_note,
    sign_checkpoint,
)
from tests.e2e._server import Server

TOKEN = re.compile(rb"[A-Za-z0-9+/=_-]{16,}")
SPECIAL = re.compile(
    rb"health|medical|biometric|religion|religious|ethnic|political|criminal|trade.?union|\bsex",
    re.IGNORECASE,
)
PERSON = "TH-1103700012345"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("stranger") / "demo"
    seed_demo(root, people=100).close()
    server = Server(root, root.parent / "server.log", workers=0)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def _public_log(url: str) -> list[bytes]:
    """Every entry, as a stranger reads it: the checkpoint, then the entry bundles (tiles)."""
    with httpx.Client(base_url=url, timeout=30) as http:
        vkey = http.get("/log/vkey").text.strip()
        checkpoint = open_checkpoint(
            http.get("/log/checkpoint").content, NoteVerifier.from_vkey(vkey)
        )
        entries: list[bytes] = []
        for tile in range((checkpoint.size + TILE_WIDTH - 1) // TILE_WIDTH):
            width = min(TILE_WIDTH, checkpoint.size - tile * TILE_WIDTH)
            answer = http.get("/log/" + entries_path(tile, width))
            assert answer.status_code == 200
            entries += decode_entry_bundle(answer.content)
    assert len(entries) == checkpoint.size
    return entries


def test_no_value_recurs_in_two_personal_entries_and_no_special_category_shows(
    demo: Server,
) -> None:
    entries = _public_log(demo.url)
    personal = [e for e in entries if statement_of(e)["kind"] in PERSONAL_KINDS]
    kinds = {statement_of(e)["kind"] for e in personal}
    assert len(personal) >= 60
    assert {
        "record.put",
        "consent.grant",
        "access.read",
        "programme.enrol",
        "dispute.open",
    } <= kinds
    seen: dict[bytes, int] = {}
    for n, entry in enumerate(personal):
        env = json.loads(entry)
        # everything but the signer's key id and the payload type, which name a member and a kind
        public = json.dumps(statement_of(entry)["body"]).encode()
        public += b" " + " ".join(s["sig"] for s in env["signatures"]).encode()
        for token in set(TOKEN.findall(public)):
            assert token not in seen, f"{token!r} is in personal entries {seen[token]} and {n}"
            seen[token] = n
    for entry in entries:  # anywhere in the log, in clear
        assert not SPECIAL.search(_clear(entry)), SPECIAL.search(_clear(entry))


def _clear(entry: bytes) -> bytes:
    """What an entry says in clear: its payload type and statement, without the values that
    are random bytes (signatures, key ids, public keys, and a personal entry's tag, seal and
    commitment, in which a short word like "sex" turns up by chance: a member's base64 key
    once held "+SEX")."""
    statement = statement_of(entry)
    random_bytes = {"public_key", "log_key"}  # a member's key, the log's verifier key
    if statement["kind"] in PERSONAL_KINDS:
        random_bytes |= {"tag", "sealed", "commitment"}

    def blanked(value: object) -> object:
        if isinstance(value, dict):
            return {k: "" if k in random_bytes else blanked(v) for k, v in value.items()}
        return [blanked(v) for v in value] if isinstance(value, list) else value

    statement["body"] = blanked(statement["body"])
    return (json.loads(entry)["payloadType"] + json.dumps(statement)).encode()


def test_a_stranger_verifies_the_whole_log_through_the_public_endpoints(
    demo: Server, tmp_path: Path
) -> None:
    seen = tmp_path / "checkpoint"
    command = ["credo", "verify", "--url", demo.url, "--checkpoint", str(seen)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    first = seen.read_bytes()
    again = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr  # the log still extends what was seen
    forged = _rewritten(first, demo.data)
    seen.write_bytes(forged)  # a checkpoint the log signed over another history
    refused = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1
    assert "history was rewritten" in " ".join(refused.stderr.split())
    size = len(_public_log(demo.url))
    assert re.fullmatch(
        rf"OK: {size} entries, \d+ members \(as a stranger: people's entries sealed\); "
        r"root [0-9a-f]{64}\n",
        done.stdout,
    ), done.stdout


def _rewritten(note: bytes, data: Path) -> bytes:
    """The log's key signing a checkpoint of the same size over another root: what a log
    that rewrote its history would have shown the auditor before."""
    cp = Checkpoint.from_text(parse_note(note).text)
    signer = NoteSigner(cp.origin, MemberKey.load(data / "keys" / "log.pem").private_key)
    return sign_checkpoint(Checkpoint(cp.origin, cp.size, b"\x01" * 32), [signer])


def test_a_person_checks_their_own_entries_against_the_log(demo: Server, tmp_path: Path) -> None:
    export = subprocess.run(
        [
            *("credo", "person", "export", "--data", str(demo.data), "--national-id", PERSON),
            *("--purpose", "subject_access", "--basis", "request:t-stranger"),
            *("--purpose", "subject_access", "--basis", "request:t-1"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert export.returncode == 0, export.stderr
    doc = json.loads(export.stdout)
    assert len(doc["entries"]) >= 6
    assert all(e["metadata"] is not None for e in doc["entries"])
    path = tmp_path / "export.json"
    path.write_text(export.stdout)
    check = ["credo", "person", "verify", "--export", str(path), "--url", demo.url]
    done = subprocess.run(check, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"OK: {len(doc['entries'])} entries in the log")
    doc["entries"][0]["metadata"]["salt"] = "0" * 32  # the export says something else
    path.write_text(json.dumps(doc))
    done = subprocess.run(check, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "does not match its commitment" in " ".join(done.stderr.split())
