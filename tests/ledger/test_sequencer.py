"""The sequencer survives a bug in a state transition (that group fails, later ones commit)
and anything its listeners do; a duplicate in a group is refused alone."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from credo.errors import EntryRejected
from credo.ledger import Context, Registry, standard_kinds, verify_store
from credo.ledger.registry import Handler
from credo.ledger.sequencer import Accepted, Sequencer
from credo.ledger.validate import Decoded
from credo.services.node import Node
from credo.services.policy import StandardPolicy
from credo.store import WriteTx
from tests.conftest import attestation


def _decoded(ledger: Node, n: int) -> Decoded:
    checked = ledger.validator.validate_entries([attestation(ledger.data.root, n)])
    assert isinstance(checked[0], Decoded)
    return checked[0]


def _kinds_with(name: str, apply: Handler) -> Registry:
    """The standard kinds, with ``name``'s transition replaced."""
    return Registry(
        dataclasses.replace(k, apply=apply) if k.name == name else k for k in standard_kinds()
    )


@pytest.fixture
def sequencers(ledger: Node) -> Iterator[list[Sequencer]]:
    """Sequencers a test builds on the ledger's store (the ledger's own one stays idle)."""
    made: list[Sequencer] = []
    yield made
    for s in made:
        s.close()


def _sequencer(ledger: Node, kinds: Registry, made: list[Sequencer]) -> Sequencer:
    seq = Sequencer(
        ledger.store, ledger.ledger.signer, ledger.origin, Context(kinds, StandardPolicy())
    ).start()
    made.append(seq)
    return seq


def test_a_crashing_handler_refuses_its_entry_alone(
    ledger: Node, sequencers: list[Sequencer], caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in one entry's transition refuses that entry (code internal_error, logged
    once with its position); the entries around it in the same group commit."""
    size = ledger.store.tree_size()
    issue = standard_kinds().get("attestation.issue").apply

    def boom(tx: WriteTx, index: int, entry: Decoded, *rest: Any) -> None:
        if entry.body["digest"] == _decoded(ledger, 2).body["digest"]:
            raise ValueError("bug")
        issue(tx, index, entry, *rest)

    seq = _sequencer(ledger, _kinds_with("attestation.issue", boom), sequencers)
    outcomes = seq.append_now([_decoded(ledger, n) for n in (1, 2, 3)])
    assert [type(o).__name__ for o in outcomes] == ["Accepted", "EntryRejected", "Accepted"]
    assert outcomes[1].code == "internal_error"  # type: ignore[union-attr]
    assert [o.index for o in outcomes if isinstance(o, Accepted)] == [size, size + 1]
    assert ledger.store.tree_size() == size + 2
    assert caplog.text.count("entry 1 of a group of 3 (attestation.issue) failed") == 1


def test_an_entry_refused_after_writing_leaves_nothing_behind(
    ledger: Node, sequencers: list[Sequencer]
) -> None:
    """A transition that writes, then refuses: its writes are undone (the group is
    sequenced again without it) and the rest of the group commits."""
    issue = standard_kinds().get("attestation.issue").apply

    def half_done(tx: WriteTx, index: int, entry: Decoded, *rest: Any) -> None:
        if entry.body["digest"] == _decoded(ledger, 2).body["digest"]:
            tx.set_meta("half", "written")
            raise EntryRejected("refused after a write", code="late_refusal")
        issue(tx, index, entry, *rest)

    seq = _sequencer(ledger, _kinds_with("attestation.issue", half_done), sequencers)
    outcomes = seq.append_now([_decoded(ledger, n) for n in (1, 2, 3)])
    assert [type(o).__name__ for o in outcomes] == ["Accepted", "EntryRejected", "Accepted"]
    assert outcomes[1].code == "late_refusal"  # type: ignore[union-attr]
    assert ledger.store.get_meta("half") is None
    assert verify_store(ledger.store, opener=ledger.vault).entries == ledger.store.tree_size()


def test_a_raising_listener_leaves_the_sequencer_answering(
    ledger: Node, caplog: pytest.LogCaptureFixture
) -> None:
    """A listener that raises on every commit is logged; submissions keep being answered
    and the listeners after it still hear about every commit."""
    heard: list[int] = []
    done = threading.Event()

    def raising(entries: list[Decoded]) -> None:
        raise RuntimeError("listener bug")

    def counting(entries: list[Decoded]) -> None:
        heard.append(len(entries))
        if len(heard) == 3:
            done.set()

    ledger.sequencer.add_listener(raising)
    ledger.sequencer.add_listener(counting)
    for n in range(3):
        outcome = ledger.sequencer.append_now([_decoded(ledger, n)])[0]
        assert isinstance(outcome, Accepted)
    assert done.wait(10)
    assert heard == [1, 1, 1]
    assert "a commit listener failed" in caplog.text


def test_a_slow_listener_does_not_hold_up_commits(ledger: Node) -> None:
    """A listener blocked indefinitely: commits are still answered (it runs on its own
    thread, not the writer's)."""
    release = threading.Event()
    ledger.sequencer.add_listener(lambda _: release.wait(30) and None)
    try:
        for n in range(5):
            assert isinstance(ledger.sequencer.append_now([_decoded(ledger, n)])[0], Accepted)
    finally:
        release.set()


def test_a_duplicate_in_a_group_is_refused_alone(ledger: Node) -> None:
    """The group's attestations are checked for duplicates together at commit; when one
    was attested before, the group is sequenced again and only that entry is refused."""
    first = ledger.sequencer.append_now([_decoded(ledger, 1)])[0]
    assert isinstance(first, Accepted)
    group = [_decoded(ledger, 2), _decoded(ledger, 1), _decoded(ledger, 3)]
    outcomes = ledger.sequencer.append_now(group)
    assert [type(o).__name__ for o in outcomes] == ["Accepted", "EntryRejected", "Accepted"]
    assert outcomes[1].code == "attestation_exists"  # type: ignore[union-attr]
    assert [o.index for o in outcomes if isinstance(o, Accepted)] == [
        first.index + 1,
        first.index + 2,
    ]
    assert ledger.store.tree_size() == first.index + 3
    duplicate_in_group = ledger.sequencer.append_now([_decoded(ledger, 4), _decoded(ledger, 4)])
    assert [type(o).__name__ for o in duplicate_in_group] == ["Accepted", "EntryRejected"]
