"""Consent and mandates as legal bases: reads inside a basis succeed, outside it they are
refused with a clear reason, and every read (either way) is on the log."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credo.errors import EntryRejected, InputError
from credo.ledger.kinds.access import decide
from credo.ledger.replay import verify_store
from credo.services.node import Node
from credo.services.people import People
from credo.services.reads import ReadRequest
from tests._people import FAR_FUTURE, NID, sealed
from tests.conftest import member_key

DIGEST = "sha256:" + "ab" * 32


@pytest.fixture
def people(ledger: Node) -> Iterator[People]:
    p = People.open(ledger)
    key = member_key(ledger.data.root, "bank")
    p.records.put(key, "bank", NID, "finance", "loan.repaid", {"amount": 100})
    uni = member_key(ledger.data.root, "uni")
    p.records.put(uni, "uni", NID, "education", "degree.awarded", {"degree": "BSc"})
    clinic = member_key(ledger.data.root, "clinic")
    p.records.put(clinic, "clinic", NID, "health", "visit.completed", {"ward": "B"})
    yield p
    p.close()


def _read(
    people: People,
    basis: tuple[str, str],
    member: str = "bank",
    purpose: str = "credit_assessment",
    categories: tuple[str, ...] = ("finance",),
    nid: str = NID,
) -> tuple[str, tuple[str, ...], list[str]]:
    result = people.reads.read(ReadRequest(member, nid, purpose, basis, categories, DIGEST))
    kinds = [r.type for r in result.records]
    return result.decision.reason, result.decision.granted, kinds


def test_read_inside_consent_is_granted_and_decrypted(people: People) -> None:
    cid, _ = people.consents.grant(NID, "bank", "credit_assessment", ["finance"], FAR_FUTURE)
    result = people.reads.read(
        ReadRequest("bank", NID, "credit_assessment", ("consent", cid), ("finance",), DIGEST)
    )
    assert result.decision.reason == "ok"
    assert [r.payload for r in result.records] == [{"amount": 100}]
    access = people.store.access_of(people.vault.subject_ref(NID) or "")
    assert access[-1].outcome == "granted"
    assert access[-1].request_digest == DIGEST


def test_only_covered_categories_are_returned(people: People) -> None:
    cid, _ = people.consents.grant(NID, "bank", "credit_assessment", ["finance"], FAR_FUTURE)
    reason, granted, kinds = _read(people, ("consent", cid), categories=("finance", "education"))
    assert (reason, granted, kinds) == ("ok", ("finance",), ["loan.repaid"])


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"purpose": "research"}, "purpose_not_covered"),
        ({"categories": ("education",)}, "categories_not_covered"),
        ({"member": "uni"}, "consent_other_member"),
        ({"nid": "OTHER-PERSON-1"}, "consent_other_subject"),
    ],
)
def test_read_outside_consent_is_refused(
    people: People, change: dict[str, object], reason: str
) -> None:
    cid, _ = people.consents.grant(NID, "bank", "credit_assessment", ["finance"], FAR_FUTURE)
    if change.get("nid"):
        people.consents.grant(str(change["nid"]), "bank", "research", ["finance"], FAR_FUTURE)
    got, granted, kinds = _read(people, ("consent", cid), **change)
    assert (got, granted, kinds) == (reason, (), [])


def test_consent_validity_window(people: People) -> None:
    future, _ = people.consents.grant(
        NID, "bank", "credit_assessment", ["finance"], FAR_FUTURE, "2098-01-01T00:00:00Z"
    )
    past, _ = people.consents.grant(
        NID,
        "bank",
        "credit_assessment",
        ["finance"],
        "2001-01-01T00:00:00Z",
        "2000-01-01T00:00:00Z",
    )
    assert _read(people, ("consent", future))[0] == "consent_not_yet_valid"
    assert _read(people, ("consent", past))[0] == "consent_expired"


def test_revocation_takes_effect_for_every_later_read(people: People) -> None:
    cid, _ = people.consents.grant(NID, "bank", "credit_assessment", ["finance"], FAR_FUTURE)
    assert _read(people, ("consent", cid))[0] == "ok"
    people.consents.revoke(cid)
    for _ in range(2):
        assert _read(people, ("consent", cid))[:2] == ("consent_revoked", ())
    ref = people.vault.subject_ref(NID)
    assert ref is not None
    outcomes = [(a.outcome, a.reason) for a in people.store.access_of(ref)]
    assert outcomes == [
        ("granted", "ok"),
        ("refused", "consent_revoked"),
        ("refused", "consent_revoked"),
    ]


def test_unknown_consent_and_unknown_person_are_refused_and_logged(people: People) -> None:
    assert _read(people, ("consent", "0" * 32))[0] == "unknown_consent"
    result = people.reads.read(
        ReadRequest(
            "bank", "NOBODY-1234", "credit_assessment", ("consent", "0" * 32), ("finance",), DIGEST
        )
    )
    assert result.decision.reason == "unknown_consent"
    entry = people.store.read_entries(result.index, 1)[0]
    assert b"NOBODY" not in entry


def test_special_categories_never_for_scoring(people: People) -> None:
    with pytest.raises(EntryRejected) as info:
        people.consents.grant(NID, "clinic", "credit_programme", ["health"], FAR_FUTURE)
    assert info.value.code == "special_category_refused"
    with pytest.raises(EntryRejected) as info:  # a bank holds no health data lawfully
        people.consents.grant(NID, "bank", "service_provision", ["health"], FAR_FUTURE)
    assert info.value.code == "special_category_refused"
    cid, _ = people.consents.grant(NID, "clinic", "healthcare", ["health"], FAR_FUTURE)
    reason, granted, kinds = _read(
        people, ("consent", cid), member="clinic", purpose="healthcare", categories=("health",)
    )
    assert (reason, granted, kinds) == ("ok", ("health",), ["visit.completed"])


def test_mandate_basis(people: People, ledger: Node) -> None:
    mandate = {
        "id": "civic-education-check",
        "purpose": "benefit_eligibility",
        "categories": ["education"],
        "members": ["bank"],
        "legal_reference": "Student Aid Act s.4",
        "valid_from": "2000-01-01T00:00:00Z",
    }
    ledger.submit_one("mandate.adopt", ledger.operator, mandate)
    basis = ("mandate", "civic-education-check")
    eligibility = {"purpose": "benefit_eligibility", "categories": ("education",)}
    ok = _read(people, basis, purpose="benefit_eligibility", categories=("education", "finance"))
    assert ok == ("ok", ("education",), ["degree.awarded"])
    assert _read(people, basis, member="clinic", **eligibility)[0] == "mandate_other_member"
    ledger.submit_one("mandate.repeal", ledger.operator, {"id": mandate["id"], "reason": "expired"})
    assert _read(people, basis, **eligibility)[0] == "mandate_repealed"


def test_mandates_may_not_cover_special_categories(ledger: Node) -> None:
    body = {
        "id": "health-for-all",
        "purpose": "research",
        "categories": ["health"],
        "sectors": ["hospital"],
        "legal_reference": "none",
        "valid_from": "2000-01-01T00:00:00Z",
    }
    with pytest.raises(EntryRejected) as info:
        ledger.submit_one("mandate.adopt", ledger.operator, body)
    assert info.value.code == "special_category_refused"


def test_malformed_reads_write_nothing(people: People) -> None:
    size = people.store.tree_size()
    for purpose, cats, nid in [
        ("spying", ("finance",), NID),
        ("credit_assessment", ("astrology",), NID),
        ("credit_assessment", ("finance",), "?!"),
    ]:
        with pytest.raises(InputError):
            people.reads.read(
                ReadRequest("bank", nid, purpose, ("consent", "0" * 32), cats, DIGEST)
            )
    assert people.store.tree_size() == size


def test_a_forged_grant_does_not_replay(people: People, ledger: Node) -> None:
    """An access entry claiming a grant its basis does not give is refused by the handler,
    so neither the sequencer nor a replay can be fooled by the access recorder."""
    meta = {
        "member": "bank",
        "purpose": "credit_assessment",
        "basis": {"type": "consent", "id": "0" * 32},
        "categories_requested": ["finance"],
        "categories_granted": ["finance"],
        "outcome": "granted",
        "reason": "ok",
        "record_ids": [],
        "request_digest": DIGEST,
    }
    body = sealed(ledger, "access.read", ledger.operator, meta, NID)
    with pytest.raises(EntryRejected) as info:
        ledger.submit_one("access.read", ledger.operator, body)
    assert info.value.code == "unjustified_access"
    verify_store(ledger.store, opener=ledger.vault)


def test_decide_is_pure_over_state(people: People) -> None:
    cid, _ = people.consents.grant(NID, "bank", "credit_assessment", ["finance"], FAR_FUTURE)
    ref = people.vault.subject_ref(NID)
    args = ("bank", ref, "credit_assessment", ("consent", cid), ("finance",))
    assert decide(people.store, *args, "2050-01-01T00:00:00Z").granted == ("finance",)
    assert decide(people.store, *args, "2100-01-01T00:00:00Z").reason == "consent_expired"
