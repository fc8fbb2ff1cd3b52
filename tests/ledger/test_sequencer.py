"""The sequencer survives a bug in a state transition: that group fails, later ones commit."""

from __future__ import annotations

import pytest

from credo.errors import CredoError
from credo.ledger import state
from credo.ledger.node import Ledger
from credo.ledger.sequencer import Accepted
from credo.ledger.validate import Decoded
from tests.conftest import attestation


def _decoded(ledger: Ledger, n: int) -> Decoded:
    checked = ledger.validator.validate_entries([attestation(ledger.data.root, n)])
    assert isinstance(checked[0], Decoded)
    return checked[0]


def test_a_crashing_handler_fails_its_group_not_the_writer(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = ledger.store.tree_size()

    def boom(*_: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setitem(state._HANDLERS, "attestation.issue", boom)
    with pytest.raises(CredoError) as err:
        ledger.sequencer.append_now([_decoded(ledger, 1)])
    assert "internal error" in err.value.message
    assert ledger.store.tree_size() == size  # rolled back
    monkeypatch.undo()
    outcome = ledger.sequencer.append_now([_decoded(ledger, 2)])[0]
    assert isinstance(outcome, Accepted)
    assert outcome.index == size


def test_a_duplicate_in_a_group_is_refused_alone(ledger: Ledger) -> None:
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
