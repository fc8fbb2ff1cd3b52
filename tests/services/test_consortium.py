"""The public consortium page's figures: counts over everyone, recomputed as the log grows."""

from __future__ import annotations

from credo.services.consortium import Consortium
from credo.services.node import Node
from credo.services.people import People
from credo.services.programme import Programme
from tests.conftest import adopt_default_rules, member_key

NID = "TH-1103700011112"


def test_figures_follow_the_log(ledger: Node, data_dir: object) -> None:
    adopt_default_rules(ledger)
    consortium = Consortium(ledger.store)
    before = consortium.overview()
    assert before["programme"]["enrolled"] == 0
    assert before["members"]["total"] == len(ledger.store.list_members())
    assert before["rules"][0]["proposal"] == "rules-1"
    assert before["checkpoint"] is not None
    people = People.open(ledger)
    bank = member_key(data_dir, "bank")  # type: ignore[arg-type]
    record, _ = people.records.put(bank, "bank", NID, "finance", "loan.repaid", {"n": 1})
    programme = Programme(people)
    programme.enrol(NID)
    programme.open_dispute(NID, record, "not mine")
    after = consortium.overview()
    assert after["programme"]["enrolled"] == 1
    assert after["programme"]["records_by_sector"] == {"bank": 1}
    assert after["programme"]["disputes_opened"] == 1
    assert after["programme"]["disputes_resolved"] == 0
    assert after["programme"]["median_days_to_resolve"] is None
    assert NID not in str(after)
