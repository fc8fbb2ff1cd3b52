"""A member's mirror witnessing what it mirrors: a C2SP tlog-cosignature v1 line on the
checkpoint it serves, made by the member's own witness (key and state in WDIR)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from credo.errors import VerificationError
from credo.mirror.follow import Mirror
from credo.mirror.witnessing import MirrorWitness, add_checkpoint_body
from credo.tlog import (
    CosignatureVerifier,
    open_checkpoint,
    open_cosigned_checkpoint,
    parse_note,
    parse_policy,
    verify_cosignatures,
)
from credo.witness.store import WitnessStore
from tests.mirror.conftest import LOG_SIGNER, ORIGIN, FakeLog

Make = Callable[..., Mirror]
NOW = 1_800_000_000


@pytest.fixture
def witness(tmp_path: Path) -> MirrorWitness:
    w = MirrorWitness(
        tmp_path / "w", LOG_SIGNER.verifier(), "member.test/witness", lambda: NOW
    ).open()
    yield w
    w.close()


def served(mirror: Mirror) -> bytes:
    kept = mirror.store.checkpoint()
    assert kept is not None
    return kept.served


def test_the_mirror_cosigns_what_it_verified(
    log: FakeLog, mirrors: Make, witness: MirrorWitness
) -> None:
    log.append(3001).publish()
    mirror = mirrors(log, witness=witness)
    mirror.sync()
    note = served(mirror)
    verifier = CosignatureVerifier.from_vkey(witness.signer.verifier_key())
    cp, cosigs = open_cosigned_checkpoint(note, [LOG_SIGNER.verifier()], [verifier])
    assert cp.size == 3001
    assert [(c.name, c.timestamp) for c in cosigs] == [("member.test/witness", NOW)]
    assert parse_note(note).text == parse_note(log.note).text
    assert mirror.store.checkpoint().note == log.note  # type: ignore[union-attr]
    # A policy naming the member's witness counts the mirror's line.
    policy = parse_policy(f"witness m {verifier.verifier_key()}\nquorum m\n")
    assert policy.verify_log_checkpoint(note, LOG_SIGNER.verifier()).witnesses == {"m"}
    latest = witness.store.latest(ORIGIN)
    assert latest is not None
    assert latest.size == 3001

    log.append(500).publish()
    mirror.sync()
    again = served(mirror)
    assert open_checkpoint(again, LOG_SIGNER.verifier()).size == 3501
    assert len(verify_cosignatures(parse_note(again), [verifier])) == 1
    assert len(parse_note(again).signatures) == 2  # the log's and the mirror's, once each


def test_the_logs_own_line_by_the_same_witness_is_replaced_not_doubled(
    log: FakeLog, mirrors: Make, witness: MirrorWitness
) -> None:
    log.append(10).publish()
    text = parse_note(log.note).text
    line = witness.signer.cosign(text, NOW - 5).line()  # the log asked this witness too
    log.note = log.note + line.encode()
    mirror = mirrors(log, witness=witness)
    mirror.sync()
    lines = parse_note(served(mirror)).signatures
    assert len(lines) == 2
    assert [s.name for s in lines] == [ORIGIN, "member.test/witness"]


def test_a_witness_that_cosigned_another_history_refuses_and_nothing_advances(
    log: FakeLog, mirrors: Make, witness: MirrorWitness
) -> None:
    fork = FakeLog().append(2000, "fork")
    fork.publish()
    witness.service.add_checkpoint(add_checkpoint_body(0, [], fork.note))
    log.append(3000).publish()
    mirror = mirrors(log, witness=witness)
    with pytest.raises(VerificationError) as refused:
        mirror.sync()
    assert refused.value.code == "witness_refused"
    assert mirror.store.checkpoint() is None
    assert witness.store.evidence()  # the witness kept the conflict


def test_a_witness_ahead_of_the_mirror_leaves_the_checkpoint_uncosigned(
    log: FakeLog, mirrors: Make, witness: MirrorWitness
) -> None:
    log.append(3000)
    witness.service.add_checkpoint(add_checkpoint_body(0, [], log.checkpoint(3000)))
    log.publish(1000)
    mirror = mirrors(log, witness=witness)
    mirror.sync()
    assert served(mirror) == log.note


def test_the_witness_state_is_shared_with_a_credo_witness_on_the_same_directory(
    log: FakeLog, mirrors: Make, witness: MirrorWitness, tmp_path: Path
) -> None:
    log.append(100).publish()
    mirrors(log, witness=witness).sync()
    other = WitnessStore(tmp_path / "w" / "witness.db").open()  # what `credo witness --data` opens
    try:
        latest = other.latest(ORIGIN)
        assert latest is not None
        assert latest.size == 100
    finally:
        other.close()
