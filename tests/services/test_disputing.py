"""`credo.services.disputing`: the preview is the score a dispute then gives, and a person's
statement reads back from the vault for them only."""

from __future__ import annotations

from pathlib import Path

from credo.services import scores as service
from credo.services.disputing import dispute_preview, own_statement
from credo.services.programme import Programme
from tests.services.test_programme import ALICE, BOB, _put


def test_the_preview_is_what_the_dispute_then_does(prog: Programme, data_dir: Path) -> None:
    loan = _put(prog, data_dir, ALICE, "bank", "finance", "loan.repaid", 10)
    _put(prog, data_dir, ALICE, "bank", "finance", "loan.repaid", 400)
    ref = prog.enrol(ALICE)
    preview = dispute_preview(prog.people, ref, loan)
    assert preview is not None
    assert preview.before == service.compute(prog.store, ref).score
    assert preview.points == 12  # a loan repaid 10 days ago: 12 points, not yet halved
    prog.open_dispute(ALICE, loan, "Not mine")
    assert service.compute(prog.store, ref).score == preview.after
    # and once disputed, disputing it again would change nothing more
    again = dispute_preview(prog.people, ref, loan)
    assert again is not None
    assert again.points == 0


def test_no_preview_without_a_score(prog: Programme, data_dir: Path) -> None:
    record = _put(prog, data_dir, BOB, "bank", "finance", "loan.repaid", 10)
    ref = prog.people.known(BOB)
    assert ref is not None
    assert dispute_preview(prog.people, ref, record) is None


def test_the_statement_reads_back_for_its_author_only(prog: Programme, data_dir: Path) -> None:
    record = _put(prog, data_dir, ALICE, "bank", "finance", "loan.repaid", 10)
    ref = prog.enrol(ALICE)
    bob = prog.enrol(BOB)
    dispute = prog.open_dispute(ALICE, record, "ฉันไม่เคยกู้เงินนี้")
    assert own_statement(prog.people, ref, dispute) == "ฉันไม่เคยกู้เงินนี้"
    assert own_statement(prog.people, bob, dispute) is None
    assert own_statement(prog.people, ref, "0" * 32) is None
