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
