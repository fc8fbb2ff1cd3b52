"""Record entries: metadata on the log, payload sealed in the vault, vocabulary enforced both
when a record is prepared and when its entry is sequenced or replayed."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from credo.errors import EntryRejected, InputError, NotFound, PayloadTooLarge, PermissionDenied
from credo.ledger.categories import SPECIAL_CATEGORIES, check_recordable
from credo.ledger.dsse import parse_envelope_bytes
from credo.ledger.entries import envelope_json, make_envelope, statement_of
from credo.ledger.personal import open_statement
from credo.ledger.replay import rebuild, verify_store
from credo.services.node import Node
from credo.services.people import People
from credo.vault import MAX_PAYLOAD_BYTES
from tests._people import NID, opened, sealed
from tests.conftest import member_key

MARKER = "purple-elephant-7781"


@pytest.fixture
def people(ledger: Node) -> Iterator[People]:
    p = People.open(ledger)
    yield p
    p.close()


def _put(people: People, member: str, category: str, type_: str, payload: object) -> str:
    key = member_key(people.writer.data.root, member)  # the node's DIR/keys
    record_id, _ = people.records.put(key, member, NID, category, type_, payload)
    return record_id


def test_the_log_holds_metadata_only(people: People) -> None:
    record_id = _put(people, "bank", "finance", "loan.repaid", {"note": MARKER})
    row = people.store.get_record(record_id)
    assert row is not None
    assert row.member == "bank"
    assert row.status == "active"
    stored = people.store.read_entries(row.put_idx, 1)[0]
    payload = json.loads(parse_envelope_bytes(stored).payload)
    assert set(payload["body"]) == {"tag", "sealed", "commitment"}
    for secret in (MARKER, NID, NID.replace("-", ""), record_id, "finance", "loan.repaid"):
        assert secret.encode() not in stored
    ref = people.vault.subject_ref(NID)
    assert ref is not None
    assert ref.encode() not in stored
    meta = opened(people, row.put_idx)
    assert set(meta) == {
        "salt", "record_id", "category", "type", "effective_at", "commitment", "vault_key",
    }  # fmt: skip
    assert (meta["record_id"], meta["category"]) == (record_id, "finance")


def test_amend_and_retract_by_the_submitter_only(people: People, ledger: Node) -> None:
    record_id = _put(people, "bank", "finance", "loan.opened", {"amount": 5})
    prepared = people.records.prepare(
        "bank", NID, "finance", "loan.repaid", {"amount": 5}, amends=record_id
    )
    assert prepared.kind == "record.amend"
    key = member_key(ledger.data.root, "bank")
    from credo.ledger.dsse import sign_envelope
    from credo.ledger.entries import envelope_json

    env = sign_envelope(prepared.payload_type, prepared.payload, [key])
    assert not isinstance(ledger.submit([envelope_json(env)])[0], EntryRejected)
    row = people.store.get_record(record_id)
    assert row is not None
    assert row.type == "loan.repaid"
    with pytest.raises(PermissionDenied):
        people.records.prepare("uni", NID, "finance", "loan.repaid", {}, amends=record_id)
    retract = {"record_id": record_id, "reason": "wrong"}
    with pytest.raises(EntryRejected) as info:
        ledger.submit_one(
            "record.retract", "uni", sealed(ledger, "record.retract", "uni", retract, NID)
        )
    assert info.value.code == "not_submitter"
    with pytest.raises(NotFound):  # nor will the vault seal it for uni
        people.records.prepare_entry("uni", "record.retract", retract)
    people.records.sign_and_submit(
        people.records.prepare_entry("bank", "record.retract", retract), key
    )
    row = people.store.get_record(record_id)
    assert row is not None
    assert row.status == "retracted"
    with pytest.raises(EntryRejected) as info:
        people.records.sign_and_submit(
            people.records.prepare_entry("bank", "record.retract", retract), key
        )
    assert info.value.code == "record_not_active"
    verify_store(ledger.store, opener=ledger.vault)


@pytest.mark.parametrize(
    ("member", "category", "type_", "code"),
    [
        ("bank", "astrology", "star.sign", "unknown_category"),
        ("bank", "finance", "loan.forgiven_by_magic", "unknown_type"),
        ("uni", "finance", "loan.repaid", "sector_not_allowed"),
        ("bank", "health", "visit.completed", "sector_not_allowed"),
        ("clinic", "biometrics", "face.scan", "biometric_refused"),
        ("clinic", "religion", "service.attended", "special_category_refused"),
    ],
)
def test_bad_records_write_nothing(
    people: People, member: str, category: str, type_: str, code: str
) -> None:
    size, vault_size = people.store.tree_size(), people.vault.path.stat().st_size
    with pytest.raises(EntryRejected) as info:
        people.records.prepare(member, NID, category, type_, {"x": 1})
    assert info.value.code == code
    assert people.store.tree_size() == size
    assert people.vault.subject_ref(NID) is None  # not even a subject was created
    assert people.vault.path.stat().st_size == vault_size


@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({"national_id": "x"}, InputError, "bad_national_id"),
        ({"national_id": "ÄÖÜ-1234"}, InputError, "bad_national_id"),
        ({"payload": {"x": "y" * MAX_PAYLOAD_BYTES}}, PayloadTooLarge, "payload_too_large"),
        ({"payload": [1, 2]}, InputError, "bad_payload"),
        ({"payload": {"fingerprint": "ab12"}}, EntryRejected, "biometric_refused"),
        ({"effective_at": "yesterday"}, InputError, "bad_time"),
        ({"member_id": "watch"}, PermissionDenied, "role_not_allowed"),
    ],
)
def test_bad_input_writes_nothing(
    people: People, kwargs: dict[str, object], error: type[Exception], code: str
) -> None:
    args: dict[str, object] = {
        "member_id": "bank",
        "national_id": NID,
        "category": "finance",
        "type_": "loan.repaid",
        "payload": {"amount": 1},
    } | kwargs
    size = people.store.tree_size()
    with pytest.raises(error) as info:
        people.records.prepare(**args)  # type: ignore[arg-type]
    assert getattr(info.value, "code", None) == code
    assert people.store.tree_size() == size
    assert people.vault.subject_ref(NID) is None


def test_a_hospital_records_health_data(people: People) -> None:
    record_id = _put(people, "clinic", "health", "vaccination.given", {"vaccine": "MMR"})
    assert people.store.get_record(record_id) is not None


def test_direct_submission_is_checked_by_the_handler(ledger: Node) -> None:
    meta = {
        "record_id": "1" * 32,
        "category": "health",
        "type": "visit.completed",
        "effective_at": "2024-01-01T00:00:00Z",
        "commitment": "3" * 64,
        "vault_key": "4" * 32,
    }
    with pytest.raises(EntryRejected) as info:
        ledger.submit_one("record.put", "bank", sealed(ledger, "record.put", "bank", meta))
    assert info.value.code == "sector_not_allowed"
    for body, code in (
        (sealed(ledger, "record.put", "bank", meta | {"national_id": NID}), "schema"),
        (sealed(ledger, "record.put", "clinic", meta), "bad_seal"),  # another member's
        (sealed(ledger, "record.put", "bank", meta) | {"tag": "A" * 59}, "bad_tag"),
    ):
        with pytest.raises(EntryRejected) as info:
            ledger.submit_one("record.put", "bank", body)
        assert info.value.code == code


def test_records_sequenced_together_are_each_answered_as_alone(ledger: Node) -> None:
    """One group commit reads the vault once for all its entries (`group_context`); each
    entry is still answered as if it came alone: a good record, another member's seal, a tag
    the vault did not make, a record about an erased person, and a second good one."""
    meta = {
        "record_id": "1" * 32,
        "category": "finance",
        "type": "loan.repaid",
        "effective_at": "2024-01-01T00:00:00Z",
        "commitment": "3" * 64,
        "vault_key": "4" * 32,
    }
    known = sealed(ledger, "record.put", "bank", meta | {"record_id": "8" * 32}, "GONE-0001")
    ledger.submit_one("record.put", "bank", known)
    gone = sealed(ledger, "record.put", "bank", meta | {"record_id": "5" * 32}, "GONE-0001")
    ref = ledger.vault.subject_ref("GONE-0001")
    assert ref is not None
    ledger.submit_one("subject.erase", "operator", {"tag": ledger.vault.entry_tag(ref)})
    bodies = [
        sealed(ledger, "record.put", "bank", meta),
        sealed(ledger, "record.put", "clinic", meta | {"record_id": "2" * 32}),
        sealed(ledger, "record.put", "bank", meta | {"record_id": "6" * 32}) | {"tag": "A" * 59},
        gone,
        sealed(ledger, "record.put", "bank", meta | {"record_id": "7" * 32}, "OTHER-0002"),
    ]
    key = member_key(ledger.data.root, "bank")
    envelopes = [envelope_json(make_envelope("record.put", "bank", b, [key])) for b in bodies]
    outcomes = ledger.submit(envelopes)
    codes = [o.code if isinstance(o, EntryRejected) else "accepted" for o in outcomes]
    assert codes == ["accepted", "bad_seal", "bad_tag", "subject_erased", "accepted"]
    assert ledger.store.get_record("1" * 32) is not None
    assert ledger.store.get_record("7" * 32) is not None


def test_rebuild_reproduces_people_state(people: People, ledger: Node) -> None:
    record_id = _put(people, "bank", "finance", "loan.repaid", {"a": 1})
    ref = people.vault.subject_ref(NID)
    assert ref is not None
    entries = ledger.store.entries_of(ref)
    people.rights.erase(NID)
    assert ledger.store.get_record(record_id) is None  # what the ledger held is gone
    assert ledger.store.is_subject_erased(ref)
    erased = ledger.store.entries_of(ref)
    assert erased[: len(entries)] == entries  # the entries stay, verifiable, unreadable:
    for index in entries:
        got = open_statement(ledger.vault, statement_of(ledger.store.read_entries(index, 1)[0]))
        assert got is not None
        assert (got.subject, got.plaintext) == (ref, None)
    before = ledger.store.dump_state()
    rebuild(ledger.store, opener=ledger.vault)
    assert ledger.store.dump_state() == before
    verify_store(ledger.store, opener=ledger.vault)
    verify_store(ledger.store)  # a stranger's verification: people's tables are not compared


def test_vocabulary_covers_the_issue() -> None:
    for category, sector in [
        ("finance", "bank"),
        ("utilities", "utility"),
        ("mobility", "transport"),
        ("mobility", "company"),
        ("education", "university"),
        ("civic", "government"),
        ("health", "hospital"),
    ]:
        from credo.ledger.categories import CATEGORIES

        some_type = sorted(CATEGORIES[category].types)[0]
        check_recordable(category, some_type, sector)
    assert {"health", "biometrics", "criminal", "sex_life"} <= SPECIAL_CATEGORIES
