"""Witnessing: the log offers its checkpoints to real `credo.witness` witnesses (their
`Witness.add_checkpoint` behind an httpx transport), keeps what they cosign, and says
whether the latest checkpoint meets the adopted policy's quorum."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credo.errors import CredoError, OldSizeMismatch, VerificationError
from credo.ledger import proofs
from credo.ledger.validate import Decoded
from credo.services.node import Node
from credo.services.witnessing import TLOG_SIZE, Witnessing, quorum_met
from credo.tlog import Checkpoint, CosignatureSigner, parse_note, parse_policy
from credo.witness.service import Witness
from credo.witness.store import WitnessStore
from tests.conftest import attestation

HOSTS = ("w0.test", "w1.test", "w2.test")
WAIT = 60.0  # generous: only ever waited out when something is wrong


class Witnesses:
    """Three real witnesses for the test log, reached through an httpx transport; a host in
    ``down`` refuses connections, and ``gate`` (when set up) holds every request until it
    is opened."""

    def __init__(self, root: Path, ledger: Node) -> None:
        self.signers = {h: CosignatureSigner(h, Ed25519PrivateKey.generate()) for h in HOSTS}
        self.stores = [WitnessStore(root / f"{h}.db").open() for h in HOSTS]
        self.witnesses = {
            h: Witness(self.signers[h], {ledger.origin: [ledger.ledger.verifier]}, store)
            for h, store in zip(HOSTS, self.stores, strict=True)
        }
        self.down: set[str] = set()
        self.seen: list[tuple[str, bytes]] = []
        self.gate: threading.Event | None = None
        self.arrived = threading.Event()
        self.lines: dict[str, bytes] = {}  # a host's fixed answer, in place of its witness's

    def policy(self, quorum: str = "group g 2 W0 W1 W2\nquorum g\n") -> str:
        lines = [
            f"witness W{i} {self.signers[h].verifier_key()} http://{h}" for i, h in enumerate(HOSTS)
        ]
        return "\n".join(lines) + "\n" + quorum

    def handle(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        assert request.url.path == "/add-checkpoint"
        if host in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        self.seen.append((host, request.content))
        self.arrived.set()
        if self.gate is not None:
            assert self.gate.wait(WAIT)
        if host in self.lines:
            return httpx.Response(200, content=self.lines[host])
        try:
            return httpx.Response(200, content=self.witnesses[host].add_checkpoint(request.content))
        except OldSizeMismatch as exc:
            return httpx.Response(
                409, content=b"%d\n" % exc.size, headers={"content-type": TLOG_SIZE}
            )
        except CredoError as exc:
            return httpx.Response(exc.status, json={"code": exc.code})

    def close(self) -> None:
        for store in self.stores:
            store.close()


@pytest.fixture
def witnesses(tmp_path: Path, ledger: Node) -> Iterator[Witnesses]:
    w = Witnesses(tmp_path, ledger)
    yield w
    w.close()


def adopt(ledger: Node, text: str) -> None:
    with ledger.store.write() as tx:  # governance's effect; the vote is tested in tests/ledger
        tx.set_meta("witness_policy", text)


def witnessing(ledger: Node, w: Witnesses) -> Witnessing:
    """A Witnessing whose thread never retries on its own: rounds run when a test asks."""
    return Witnessing(
        ledger.store, ledger.ledger.verifier, retry=3600, transport=httpx.MockTransport(w.handle)
    ).start()


def append(ledger: Node, data_dir: Path, n: int) -> int:
    ledger.submit([attestation(data_dir, n)])
    return ledger.store.tree_size()


def served(ledger: Node) -> bytes:
    return proofs.latest(ledger.store).note


def test_without_a_policy_nothing_is_sent_and_there_is_no_quorum_to_meet(
    ledger: Node, witnesses: Witnesses
) -> None:
    wit = witnessing(ledger, witnesses)
    try:
        assert wit.witness_latest() is None
    finally:
        wit.close()
    assert witnesses.seen == []
    assert quorum_met(ledger.store, served(ledger), ledger.ledger.verifier) is None
    assert served(ledger) == ledger.store.latest_checkpoint()


def test_every_witness_cosigns_and_the_served_checkpoint_meets_the_quorum(
    ledger: Node, witnesses: Witnesses, data_dir: Path
) -> None:
    adopt(ledger, witnesses.policy())
    wit = witnessing(ledger, witnesses)
    try:
        assert wit.witness_latest() is True
        size = ledger.store.tree_size()
        assert len(ledger.store.cosignatures(size)) == 3
        note = served(ledger)
        policy = parse_policy(witnesses.policy())
        verified = policy.verify_log_checkpoint(note, ledger.ledger.verifier)
        assert verified.witnesses == {"W0", "W1", "W2"}
        assert quorum_met(ledger.store, note, ledger.ledger.verifier) is True
        # Already cosigned by all: a second round asks nobody.
        before = len(witnesses.seen)
        assert wit.witness_latest() is True
        assert len(witnesses.seen) == before
        # A larger tree: each witness gets its old size and a consistency proof from there.
        grown = append(ledger, data_dir, 1)
        assert wit.witness_latest() is True
        last = [body for _, body in witnesses.seen[-3:]]
        assert all(body.startswith(b"old %d\n" % size) for body in last)
        assert all(body.split(b"\n")[1] != b"" for body in last)  # a proof line
        assert len(ledger.store.cosignatures(grown)) == 3
    finally:
        wit.close()


def test_one_witness_down_keeps_two_of_three_two_down_lose_it_until_they_return(
    ledger: Node, witnesses: Witnesses, data_dir: Path
) -> None:
    adopt(ledger, witnesses.policy())
    wit = witnessing(ledger, witnesses)
    try:
        assert wit.witness_latest() is True
        witnesses.down = {"w2.test"}
        append(ledger, data_dir, 1)
        assert wit.witness_latest() is True
        assert quorum_met(ledger.store, served(ledger), ledger.ledger.verifier) is True
        assert wit.stats.failures["W2"] >= 1
        witnesses.down = {"w1.test", "w2.test"}
        size = append(ledger, data_dir, 2)
        assert size == ledger.store.tree_size()  # entries are still accepted
        assert wit.witness_latest() is False
        note = served(ledger)
        assert quorum_met(ledger.store, note, ledger.ledger.verifier) is False
        with pytest.raises(VerificationError) as refused:
            parse_policy(witnesses.policy()).verify_log_checkpoint(note, ledger.ledger.verifier)
        assert refused.value.code == "no_quorum"
        witnesses.down = set()
        # W2 missed a checkpoint W1 cosigned: each is sent its own old size and proof.
        assert wit.witness_latest() is True
        assert quorum_met(ledger.store, served(ledger), ledger.ledger.verifier) is True
        assert len(ledger.store.cosignatures(size)) == 3
    finally:
        wit.close()


def test_a_witness_that_cosigned_more_than_the_log_knows_is_resynced_by_its_409(
    ledger: Node, witnesses: Witnesses, data_dir: Path
) -> None:
    adopt(ledger, witnesses.policy())
    first = witnessing(ledger, witnesses)
    try:
        assert first.witness_latest() is True
    finally:
        first.close()
    size = append(ledger, data_dir, 1)
    again = witnessing(ledger, witnesses)  # a restarted log: it knows no witness's size
    try:
        assert again.witness_latest() is True
    finally:
        again.close()
    bodies = [body for _, body in witnesses.seen]
    assert sum(b.startswith(b"old 0\n") for b in bodies) == 6  # 3 first, 3 refused with 409
    assert len(ledger.store.cosignatures(size)) == 3


def test_an_answer_that_is_not_the_witness_cosignature_is_not_kept(
    ledger: Node, witnesses: Witnesses
) -> None:
    adopt(ledger, witnesses.policy())
    note = ledger.store.latest_checkpoint()
    assert note is not None
    text = parse_note(note).text
    impostor = CosignatureSigner("w0.test", Ed25519PrivateKey.generate())  # W0's name only
    witnesses.lines = {
        "w0.test": impostor.cosign(text, 1700000000).line().encode(),
        "w1.test": b"not a signature line\n",
    }
    wit = witnessing(ledger, witnesses)
    try:
        assert wit.witness_latest() is False
        size = Checkpoint.from_text(text).size
        assert len(ledger.store.cosignatures(size)) == 1  # W2's
        assert wit.stats.failures["W0"] >= 1
        assert wit.stats.failures["W1"] >= 1
    finally:
        wit.close()


def _size(body: bytes) -> int:
    """The checkpoint size of an add-checkpoint request body."""
    note = body.split(b"\n\n", 1)[1]
    return Checkpoint.from_text(parse_note(note).text).size


def test_a_hung_witness_never_holds_up_the_write_path_and_rounds_coalesce(
    ledger: Node, witnesses: Witnesses, data_dir: Path
) -> None:
    adopt(ledger, witnesses.policy("quorum W0\n"))
    witnesses.gate = threading.Event()
    witnesses.down = {"w1.test", "w2.test"}
    start = ledger.store.tree_size()
    wit = witnessing(ledger, witnesses)
    ledger.sequencer.add_listener(wit.on_commit)
    try:
        assert witnesses.arrived.wait(WAIT)  # the round at start is stuck at W0
        for n in range(5):  # each commit is answered while the witness hangs
            (valid,) = ledger.validator.validate_entries([attestation(data_dir, n)])
            assert isinstance(valid, Decoded)
            ledger.sequencer.submit([valid]).result(timeout=WAIT)
        latest = ledger.store.tree_size()
        assert latest == start + 5
        witnesses.gate.set()
        pause = threading.Event()
        for _ in range(int(WAIT * 10)):
            if ledger.store.cosignatures(latest):
                break
            pause.wait(0.1)
        assert ledger.store.cosignatures(latest)
    finally:
        wit.close()
    # Two requests to W0: the one in flight, then the latest checkpoint, none in between.
    assert [_size(body) for host, body in witnesses.seen if host == "w0.test"] == [start, latest]
