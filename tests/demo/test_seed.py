"""`credo.demo`: the synthetic consortium, written through the log, verifies end to
end and holds what the portal's demo shows (members by sector, rules voted in, people with
Thai and Chinese names, consents, reads, disputes, scores with a history, a roster)."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from credo import demo
from credo.ledger.replay import verify_store
from credo.services import scores as service
from credo.services.node import DataDir, Node, init_consortium
from credo.services.people import People
from tests import _postgres

THAI = re.compile(r"[\u0e00-\u0e7f]")
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, People]]:
    ledger = demo.seed_demo(tmp_path_factory.mktemp("demo") / "d", people=200)
    people = People.open(ledger)
    try:
        yield ledger, people
    finally:
        ledger.close()


def test_only_registry_offices_are_registrars(seeded: tuple[Node, People]) -> None:
    """Issuing enrolment codes is the registry offices' alone: not the library, not the
    volunteer bureau, not the other government members."""
    ledger, _ = seeded
    registrars = {m.id for m in ledger.store.list_members() if "registrar" in m.roles}
    assert registrars == {
        "city-registry", "district-pathum-wan", "district-bang-rak", "district-chatuchak"
    }  # fmt: skip
    government = {m.id for m in ledger.store.list_members() if m.sector == "government"}
    assert {"city-library", "volunteer-bureau"} <= government - registrars


def test_the_consortium_verifies_with_its_members_by_sector(seeded: tuple[Node, People]) -> None:
    ledger, _ = seeded
    summary = verify_store(ledger.store, opener=ledger.vault)
    assert summary.members == len(demo.MEMBERS) + 1 == 165  # and the operator
    sectors = Counter(m.sector for m in ledger.store.list_members())
    for sector in ("government", "university", "bank", "hospital", "automotive", "energy",
                   "transport", "hotel", "retail", "civil_society"):  # fmt: skip
        assert sectors[sector] >= 5, sector
    ids = {m.id for m in ledger.store.list_members()}
    kept = {"city-registry", "first-bank", "city-hospital", "citybikes", "rights-watch"}
    kept |= {"state-university", "power-co", "hotel-association", "high-street-traders"}
    assert kept <= ids


def test_the_rules_were_voted_in_by_members_civil_society_included(
    seeded: tuple[Node, People],
) -> None:
    ledger, _ = seeded
    proposal = ledger.store.get_proposal(demo.RULES_PROPOSAL)
    assert proposal is not None
    assert proposal.status == "adopted"
    assert proposal.proposer == "rights-watch"
    votes = dict(ledger.store.list_votes(demo.RULES_PROPOSAL))
    yes = [m for m, v in votes.items() if v == "yes"]
    assert len(yes) * 3 >= 2 * 165
    assert {"no", "abstain"} <= set(votes.values())
    members = {m.id: m.sector for m in ledger.store.list_members()}
    assert "civil_society" in {members[m] for m in yes}
    assert ledger.store.current_rules() is not None


def test_people_have_names_in_thai_and_chinese_in_the_registry(
    seeded: tuple[Node, People],
) -> None:
    ledger, people = seeded
    roster = demo.demo_roster(ledger.data)
    assert 10 <= len(roster) <= 14
    assert {"TH-1103700012345", "CN-110101199003077777"} <= {p.national_id for p in roster}
    assert {p.locale for p in roster} == {"th", "zh", "en"}
    for person in roster:
        export = people.rights.export(person.national_id).to_json()
        names = [
            r["payload"]["name"] for r in export["records"] if r["type"] == "identity.registered"
        ]
        assert names == [person.name]
        assert export["records"][0]["member"] == "city-registry" or any(
            r["member"] == "city-registry" for r in export["records"]
        )
        script = {"th": THAI, "zh": HAN, "en": re.compile(r"^[A-Za-z ]+$")}[person.locale]
        assert script.search(person.name), person


def test_consents_reads_disputes_and_scores_with_history(seeded: tuple[Node, People]) -> None:
    ledger, people = seeded
    store = ledger.store
    cyclist = people.known("CN-110101199003077777")
    assert cyclist is not None
    benefits = [b["id"] for b in service.explain(store, cyclist)["benefits"]]
    assert benefits == ["bike-deposit-free"]
    graduate = people.rights.export("TH-1103700012345").to_json()
    assert {a["outcome"] for a in graduate["access"]} == {"granted", "refused"}
    assert graduate["programme"]["enrolled"]
    assert graduate["consents"]
    histories = [len(store.score_history(s)) for s in store.list_enrolled()]
    assert max(histories) >= 4  # scored every sixth month of the two years, and now
    statuses = Counter(
        d["status"] for p in demo.demo_roster(ledger.data) for d in _disputes(people, p)
    )
    assert {"open", "expired"} <= set(statuses)
    assert statuses.keys() & {"upheld", "retracted"}
    assert len(store.list_enrolled()) > 150  # most of the 203 enrol


def _disputes(people: People, person: demo.DemoPerson) -> list[dict[str, object]]:
    disputes: list[dict[str, object]] = people.rights.export(person.national_id).to_json()[
        "disputes"
    ]
    return disputes


def test_the_roster_file_and_config_mark_a_demo(
    seeded: tuple[Node, People], tmp_path: Path
) -> None:
    ledger, _ = seeded
    assert ledger.data.read_config()["demo"] is True
    doc = json.loads((ledger.data.root / demo.ROSTER_FILE).read_text(encoding="utf-8"))
    assert set(doc["people"][0]) == {"national_id", "name", "locale", "profile"}
    init_consortium(tmp_path / "plain", "credo.example/plain").close()
    assert demo.demo_roster(DataDir(tmp_path / "plain")) == []
    assert demo.demo_roster(DataDir(tmp_path / "nothing")) == []


def test_scoring_several_moments_from_one_read_matches_one_at_a_time(
    seeded: tuple[Node, People],
) -> None:
    ledger, _ = seeded
    rules, digest = service.adopted_rules(ledger.store)
    now = int(time.time())
    moments = [now - 400 * 86_400, now]
    together = service.batch_scores_at(ledger.store, rules, digest, moments)
    for moment, scores in zip(moments, together, strict=True):
        assert scores == service.batch_scores(ledger.store, rules, digest, moment)


def test_a_batch_of_records_is_checked_before_anything_is_sealed(
    seeded: tuple[Node, People],
) -> None:
    from credo.errors import EntryRejected
    from credo.services.records import RecordSpec

    _, people = seeded
    specs = [
        RecordSpec("first-bank", "TH-9999999999991", "finance", "loan.repaid", {"amount": 1}),
        RecordSpec("first-bank", "TH-9999999999992", "health", "visit.completed", {}),
    ]
    with pytest.raises(EntryRejected) as refused:
        people.records.prepare_many(specs)
    assert refused.value.code == "sector_not_allowed"
    assert people.vault.subject_ref("TH-9999999999991") is None  # nothing was sealed


def test_the_demo_opens_a_consultation_for_a_proposal_and_shows_a_closed_one(
    seeded: tuple[Node, People],
) -> None:
    from credo.demo import consultations as cd
    from credo.services.consultations import Consultations

    node, people = seeded
    store = node.store
    council = store.get_member(cd.CONVENER)
    assert council is not None
    assert "convener" in council.roles  # granted by governance
    opened = store.get_consultation(cd.OPEN_ID)
    closed = store.get_consultation(cd.CLOSED_ID)
    assert opened is not None
    assert closed is not None
    assert opened.proposal == cd.PROPOSAL_ID
    assert opened.closed_idx is None
    assert closed.closed_idx is not None
    statements = store.statements_in(cd.OPEN_ID)
    assert {s.lang for s in statements} == {"th", "zh-Hans", "zh-Hant", "en"}
    assert sum(s.agree + s.disagree + s.passes for s in statements) > 150
    service = Consultations(people)
    th = service.statements(cd.OPEN_ID, "th")
    assert {"volunteer", "moderator"} <= {s.translator for s in th}
    assert "automatic" in {s.translator for s in service.statements(cd.OPEN_ID, "zh-Hant")}
    log = service.moderation_log(cd.OPEN_ID)
    assert {"decision": "reject", "reason": "spam", "count": 1} in log["counts"]


def test_the_demo_can_live_in_postgresql(tmp_path: Path, postgres: _postgres.Server) -> None:
    """bench_people.py serves a demo to several processes on one PostgreSQL database."""
    url = postgres.fresh_url()
    node = demo.seed_demo(tmp_path / "pg", people=6, store_url=url)
    try:
        assert verify_store(node.store, opener=node.vault).members == len(demo.MEMBERS) + 1
    finally:
        node.close()
    data = DataDir(tmp_path / "pg", url)
    assert demo.is_complete(data)
    assert demo.demo_roster(data)
    assert not data.db.exists()  # nothing of the log in DIR/ledger.db
