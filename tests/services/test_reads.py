"""`credo.services.reads`: a read whose grant changed between its judgement and its entry is
judged again, by the class of the refusal (`UnjustifiedAccess`), not by a string."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from credo.errors import EntryRejected, UnjustifiedAccess
from credo.ledger.sequencer import Outcome
from credo.services.node import Node
from credo.services.people import People
from credo.services.reads import ATTEMPTS, ReadRequest
from tests._people import FAR_FUTURE, NID
from tests.conftest import member_key

DIGEST = "sha256:" + "ab" * 32


class _Refusing:
    """The node, refusing the first ``times`` submissions with ``refusal``."""

    def __init__(self, node: Node, refusal: EntryRejected, times: int) -> None:
        self.node, self.refusal, self.times = node, refusal, times
        self.origin, self.operator, self.operator_key = (
            node.origin,
            node.operator,
            node.operator_key,
        )
        self.calls = 0

    def submit(self, envelopes: list[dict[str, Any]]) -> list[Outcome]:
        self.calls += 1
        if self.calls <= self.times:
            return [self.refusal for _ in envelopes]
        return self.node.submit(envelopes)


def _request(ledger: Node, data_dir: Path) -> ReadRequest:
    people = People.open(ledger)
    people.records.put(member_key(data_dir, "bank"), "bank", NID, "finance", "loan.repaid", {})
    consent, _ = people.consents.grant(NID, "bank", "credit_assessment", ["finance"], FAR_FUTURE)
    return ReadRequest("bank", NID, "credit_assessment", ("consent", consent), ("finance",), DIGEST)


def test_a_read_refused_as_unjustified_is_judged_again(ledger: Node, data_dir: Path) -> None:
    request = _request(ledger, data_dir)
    writer = _Refusing(ledger, UnjustifiedAccess("the consent changed"), 1)
    result = People(ledger.store, ledger.vault, writer, ledger.clock).reads.read(request)
    assert writer.calls == 2
    assert result.decision.granted == ("finance",)
    assert len(result.records) == 1


def test_any_other_refusal_is_raised_at_once(ledger: Node, data_dir: Path) -> None:
    request = _request(ledger, data_dir)
    writer = _Refusing(ledger, EntryRejected("no", code="unjustified_access_like"), ATTEMPTS)
    with pytest.raises(EntryRejected) as refused:
        People(ledger.store, ledger.vault, writer, ledger.clock).reads.read(request)
    assert refused.value.code == "unjustified_access_like"
    assert writer.calls == 1
