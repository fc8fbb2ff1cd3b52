"""Issue 16, item 4, end to end: a real `credo serve` and three real `credo witness`
processes. The consortium adopts the witnesses and a 2-of-3 quorum by governance; cut one
witness off and checkpoints keep their quorum; cut two and entries are still accepted, the
log says the quorum is unmet, and no client accepts a checkpoint; restart them and the
quorum returns. Every wait polls with a generous deadline: nothing here measures time."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from credo.client import MemberClient
from credo.client.audit import verify_export
from credo.errors import VerificationError
from credo.ledger.keys import MemberKey
from credo.services.node import DataDir
from credo.tlog import Checkpoint, parse_note, parse_policy
from tests.e2e._server import Server, make_consortium, post_entries, signed_attestations
from tests.e2e._witnesses import (
    WitnessProcess,
    governance,
    start_witnesses,
    two_of_three,
    until,
)

QUORUM = "credo-witness-quorum"


@pytest.fixture
def log(tmp_path: Path) -> Iterator[Server]:
    data = make_consortium(tmp_path / "data")
    # Short retries and timeouts so the test waits less; the behaviour is the same.
    env = {"CREDO_WITNESS_RETRY": "0.5", "CREDO_WITNESS_TIMEOUT": "5"}
    server = Server(data, tmp_path / "server.log", env, workers=0)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture
def witnesses(tmp_path: Path, log: Server) -> Iterator[list[WitnessProcess]]:
    started = start_witnesses(tmp_path, log)
    try:
        yield started
    finally:
        for w in started:
            w.stop()


def served(log: Server) -> tuple[int, str | None]:
    """The size of the checkpoint /log/checkpoint serves, and its quorum header."""
    r = httpx.get(f"{log.url}/log/checkpoint", timeout=10)
    size = Checkpoint.from_text(parse_note(r.content).text).size
    return size, r.headers.get(QUORUM)


def gauge(log: Server) -> str:
    text = httpx.get(f"{log.url}/metrics", timeout=10).text
    return next(line for line in text.splitlines() if line.startswith("credo_witness_quorum_met "))


def verify(log: Server, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["credo", "verify", "--url", log.url, *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )


def append(log: Server, tag: str) -> int:
    """Submit two entries (accepted, whatever the witnesses do); the log's size after."""
    key = MemberKey.load(DataDir(log.data).member_key("uni"))
    with httpx.Client() as http:
        indexes = post_entries(
            http, log.url, [e for e, _ in signed_attestations(key, "uni", tag, 2)]
        )
    return indexes[-1] + 1


def export(index: int) -> dict[str, object]:
    """The least export `verify_export` checks: one entry and its kind, no metadata."""
    return {"entries": [{"index": index, "kind": "attestation.issue"}]}


def reader(log: Server) -> MemberClient:
    return MemberClient(log.url, "uni", MemberKey.load(DataDir(log.data).member_key("uni")))


@pytest.mark.slow
def test_two_of_three_quorum_survives_one_witness_not_two_and_returns(
    log: Server, witnesses: list[WitnessProcess], tmp_path: Path
) -> None:
    policy = two_of_three(witnesses)
    pinned = tmp_path / "witnesses.policy"
    pinned.write_text(policy)
    assert served(log)[1] is None  # no policy yet: served as before
    governance(log, policy)
    assert httpx.get(f"{log.url}/log/witness-policy", timeout=10).text == policy

    size = append(log, "all-up")
    until(lambda: served(log) == (size, "met"), "the three witnesses never cosigned")
    assert gauge(log).endswith(" 1.0")
    with reader(log) as client:
        assert client.entry(size - 1).size == size
    assert verify(log).returncode == 0
    assert verify(log, "--policy", str(pinned)).returncode == 0

    # One witness cut off: every new checkpoint still gets its 2-of-3.
    witnesses[2].stop()
    size = append(log, "one-down")
    until(lambda: served(log) == (size, "met"), "two witnesses did not keep the quorum")
    with reader(log) as client:
        assert client.entry(size - 1).size == size
    ok = verify(log, "--policy", str(pinned))
    assert ok.returncode == 0, ok.stderr

    # Two cut off: entries are still accepted, the log says so, no client accepts.
    witnesses[1].stop()
    size = append(log, "two-down")
    until(lambda: served(log)[0] == size, "the log stopped publishing checkpoints")
    assert served(log) == (size, "unmet")
    assert gauge(log).endswith(" 0.0")
    with reader(log) as client, pytest.raises(VerificationError) as refused:
        client.entry(size - 1)
    assert refused.value.code == "no_quorum"
    for args in ((), ("--policy", str(pinned))):
        failed = verify(log, *args)
        assert failed.returncode == 1
        assert "quorum" in failed.stderr
    for witness_policy in (None, parse_policy(policy)):  # the server's, then pinned
        with pytest.raises(VerificationError) as export_refused:
            verify_export(export(size - 1), log.url, witness_policy=witness_policy)
        assert export_refused.value.code == "no_quorum"

    # The witnesses return: the quorum returns, without another entry.
    witnesses[1].start()
    witnesses[2].start()
    until(lambda: served(log) == (size, "met"), "the quorum did not return with the witnesses")
    assert gauge(log).endswith(" 1.0")
    with reader(log) as client:
        assert client.entry(size - 1).size == size
    assert verify(log, "--policy", str(pinned)).returncode == 0
    assert verify_export(export(size - 1), log.url, witness_policy=parse_policy(policy)).entries
    size = append(log, "back")
    until(lambda: served(log) == (size, "met"), "new checkpoints are not cosigned again")
