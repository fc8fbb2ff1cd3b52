"""`credo demo`'s seed: a consortium a newcomer can explore, which verifies end to end."""

from __future__ import annotations

from pathlib import Path

from credo.cli.demo import DEMO_MEMBERS, seed_demo
from credo.ledger.replay import verify_store
from credo.services import scores as service
from credo.services.people import People


def test_demo_seed_verifies_and_shows_a_benefit(tmp_path: Path) -> None:
    ledger = seed_demo(tmp_path / "demo")
    people = People.open(ledger)
    try:
        summary = verify_store(ledger.store, opener=ledger.vault)
        assert summary.members == len(DEMO_MEMBERS) + 1  # and the operator
        assert ledger.store.current_rules() is not None  # adopted by a governance vote
        cyclist = people.vault.subject_ref("CN-110101199003077777")
        assert cyclist is not None
        explained = service.explain(ledger.store, cyclist)
        assert [b["id"] for b in explained["benefits"]] == ["bike-deposit-free"]
        assert len(ledger.store.open_disputes()) == 1
    finally:
        people.close()
        ledger.close()
