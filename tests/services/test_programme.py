"""The credit programme on a live ledger: opt-in, rescoring, disputes, rebuild determinism."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from credo.errors import EntryRejected, NotFound
from credo.ledger.keys import MemberKey
from credo.ledger.replay import rebuild
from credo.services import scores as service
from credo.services.programme import Programme
from tests._clock import SetClock
from tests.conftest import member_key

ALICE = "ID-ALICE-0001"
BOB = "ID-BOB-0002"


def _put(
    prog: Programme, data_dir: Path, nid: str, member: str, category: str, type_: str, days_ago: int
) -> str:
    key: MemberKey = member_key(data_dir, member)
    when = (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    record_id, _ = prog.people.records.put(key, member, nid, category, type_, {"note": "x"}, when)
    return record_id


def test_nobody_is_scored_before_enrolling(prog: Programme, data_dir: Path) -> None:
    _put(prog, data_dir, ALICE, "bank", "finance", "loan.repaid", 10)
    ref = prog.people.vault.subject_ref(ALICE)
    assert ref is not None
    assert service.rescore(prog.store, ref) is None
    assert prog.store.get_score(ref) is None
    with pytest.raises(NotFound) as err:
        service.compute(prog.store, ref)
    assert err.value.code == "not_enrolled"


def test_enrol_score_explain_withdraw(prog: Programme, data_dir: Path) -> None:
    record = _put(prog, data_dir, ALICE, "bank", "finance", "loan.repaid", 10)
    ref = prog.enrol(ALICE)
    base = service.compute(prog.store, ref)
    assert base.score > 300  # the default rules' base is 300; a repaid loan earns points
    service.rescore(prog.store, ref)
    explained = service.explain(prog.store, ref)
    assert explained["score"] == base.score
    assert explained["history"], "the enrolment's rescoring is in the history"
    for moment in (explained["as_of"], *(h["as_of"] for h in explained["history"])):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", moment), moment
    assert explained["reasons"][0]["records"][0]["record_id"] == record
    assert explained["reasons"][0]["rule"]["category"] == "finance"
    # Regression: each reason listed its record ids twice (record_ids, then records), and
    # said what it meant only as a translation key.
    assert "record_ids" not in explained["reasons"][0]
    assert explained["reasons"][0]["text"].startswith("+")
    assert "loan.repaid" in explained["reasons"][0]["text"]
    assert len(explained["reasons"]) <= 4
    prog.withdraw(ALICE)
    assert prog.store.get_score(ref) is None
    assert prog.store.score_history(ref) == []


def test_special_categories_never_scored(prog: Programme, data_dir: Path) -> None:
    _put(prog, data_dir, ALICE, "clinic", "health", "visit.completed", 3)
    ref = prog.enrol(ALICE)
    assert service.scoring_records(prog.store, ref) == []


def test_dispute_freezes_until_answered(prog: Programme, data_dir: Path) -> None:
    record = _put(prog, data_dir, ALICE, "bank", "finance", "loan.repaid", 10)
    ref = prog.enrol(ALICE)
    before = service.compute(prog.store, ref).score
    dispute = prog.open_dispute(ALICE, record, "I never had this loan")
    assert service.compute(prog.store, ref).score < before  # frozen: not scored
    with pytest.raises(NotFound) as err:  # not the submitter: nothing is sealed for it
        prog.answer(member_key(data_dir, "uni"), "uni", dispute, "upheld", "contract ref 42")
    assert err.value.code == "unknown_record"
    prog.answer(member_key(data_dir, "bank"), "bank", dispute, "upheld", "contract ref 42")
    assert service.compute(prog.store, ref).score == before


def test_unanswered_dispute_resolves_for_the_person(
    prog: Programme, data_dir: Path, clock: SetClock
) -> None:
    record = _put(prog, data_dir, ALICE, "bank", "finance", "loan.repaid", 10)
    ref = prog.enrol(ALICE)
    dispute = prog.open_dispute(ALICE, record, "Not mine")
    assert prog.expire_overdue() == []  # still inside the 30-day answer period
    with pytest.raises(EntryRejected) as early:
        prog._operator("dispute.expire", ref, {"id": dispute})  # the log itself refuses it too
    assert early.value.code == "not_expired"
    later = datetime.now(UTC) + timedelta(days=31)
    clock.moment = later.timestamp()  # the node's one clock: the log's and the service's
    assert prog.expire_overdue() == [dispute]
    clock.release()
    status = prog.store.get_dispute(dispute)
    assert status is not None
    assert status.status == "expired"
    assert record not in {r.record_id for r in service.scoring_records(prog.store, ref)}
    with pytest.raises(EntryRejected) as late:
        prog.answer(member_key(data_dir, "bank"), "bank", dispute, "upheld", "too late")
    assert late.value.code == "dispute_closed"


def test_per_person_batch_and_rebuild_agree(prog: Programme, data_dir: Path) -> None:
    types = [
        ("bank", "finance", "loan.repaid"),
        ("bank", "finance", "bill.paid_on_time"),
        ("uni", "education", "degree.awarded"),
    ]
    for n, nid in enumerate([ALICE, BOB, "ID-CAROL-0003"]):
        for k in range(6):
            member, category, type_ = types[(n + k) % len(types)]
            _put(prog, data_dir, nid, member, category, type_, 5 + 40 * k + n)
        prog.enrol(nid)
    as_of = int(datetime.now(UTC).timestamp())
    refs = prog.store.list_enrolled()
    single = {ref: service.compute(prog.store, ref, as_of) for ref in refs}
    batch = service.rescore_all(prog.store, as_of)
    assert batch == single
    rebuild(prog.store, opener=prog.people.vault)
    assert {ref: service.compute(prog.store, ref, as_of) for ref in refs} == single


def test_erasure_withdraws_and_deletes_the_score(prog: Programme, data_dir: Path) -> None:
    _put(prog, data_dir, ALICE, "bank", "finance", "loan.repaid", 10)
    ref = prog.enrol(ALICE)
    service.rescore(prog.store, ref)
    assert prog.store.get_score(ref) is not None
    prog.people.rights.erase(ALICE)
    assert not prog.store.is_enrolled(ref)
    assert prog.store.get_score(ref) is None
    assert prog.store.score_history(ref) == []


def test_the_export_shows_disputes_enrolment_and_score(prog: Programme, data_dir: Path) -> None:
    """A disputed record once showed "active" in the export and in member reads, and the
    export had no disputes, enrolment or score."""
    record = _put(prog, data_dir, ALICE, "bank", "finance", "loan.repaid", 5)
    ref = prog.enrol(ALICE)
    scored = service.rescore(prog.store, ref)  # the score held (a cache, not recomputed)
    assert scored is not None
    dispute = prog.open_dispute(ALICE, record, "Not mine")
    export = prog.people.rights.export(ALICE).to_json()
    assert [r["status"] for r in export["records"]] == ["disputed"]
    (shown,) = export["disputes"]
    assert shown["id"] == dispute
    assert shown["record_id"] == record
    assert shown["status"] == "open"
    opened = datetime.fromisoformat(shown["opened_at"])
    assert datetime.fromisoformat(shown["answer_by"]) - opened == timedelta(days=30)
    assert export["programme"]["enrolled"] is True
    assert export["programme"]["score"]["score"] == scored.score
    assert export["programme"]["score"]["rules_hash"] == scored.rules_hash
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", export["programme"]["score"]["as_of"])
    prog.withdraw(ALICE)
    after = prog.people.rights.export(ALICE).to_json()["programme"]
    assert after == {"enrolled": False, "score": None}
