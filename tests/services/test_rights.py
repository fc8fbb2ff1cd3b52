"""`credo.services.rights`: the export and the portal show a person the same views (an expired
consent reads "expired" in both), and erasure cannot leave a person half-erased: a failed log
write destroys nothing, a failed key destruction is finished by erasing again."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from credo.errors import StoreError
from credo.ledger.sequencer import Outcome
from credo.services.node import DataDir, Node
from credo.services.people import People
from credo.services.person import Person
from tests._clock import SetClock
from tests._people import NID
from tests.conftest import member_key
from tests.portal.conftest import portal_client, sign_in

DAY = 86_400


def _known_person(node: Node, data_dir: Path) -> People:
    """``NID`` with a record (so credo knows them) and a consent to the bank."""
    people = People.open(node)
    people.records.put(member_key(data_dir, "bank"), "bank", NID, "finance", "loan.repaid", {})
    return people


def test_an_expired_consent_reads_expired_in_the_export_and_in_the_portal(
    data_dir: Path,
) -> None:
    """The export called an expired consent "granted" where the portal said "expired": both
    now build it with `credo.services.views.consent_view`."""
    then = time.time() - 10 * DAY
    # ten days ago, by the node's clock
    node = Node(DataDir(data_dir), clock=SetClock(then)).start()
    try:
        people = _known_person(node, data_dir)
        until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(then + 5 * DAY))
        consent_id, _ = people.consents.grant(NID, "bank", "credit_assessment", ["finance"], until)
        ref = people.ref_of(NID)
    finally:
        node.close()

    node = Node(DataDir(data_dir)).start()  # today: the consent ended five days ago
    try:
        people = People.open(node)
        (exported,) = people.rights.export(NID).to_json()["consents"]
        (shown,) = Person(people, ref).consents()
    finally:
        node.close()
    assert exported["id"] == shown.id == consent_id
    assert exported["status"] == shown.status == "expired"

    with portal_client(data_dir) as client:
        sign_in(client, ref)
        client.cookies.set("credo_lang", "en")
        page = client.get("/consents")
        assert page.status_code == 200
        card = re.search(rf'id="consent-{consent_id}">(.*?)</li>', page.text, re.S)
        assert card is not None
        assert '<span class="badge">Expired</span>' in card.group(1)
        download = client.get("/data/export.json")
        assert download.status_code == 200
        assert [c["status"] for c in download.json()["consents"]] == ["expired"]


class _FailingWriter:
    """The node as the people's services see it, whose log write fails (a disk full, a lost
    database) after the entry was sealed and signed."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.origin = node.origin
        self.operator = node.operator
        self.operator_key = node.operator_key
        self.attempts = 0

    def submit(self, envelopes: list[dict[str, Any]]) -> list[Outcome]:
        self.attempts += 1
        raise StoreError("the log could not be written", code="store_error")


class _FailingVault:
    """The node's vault, whose erasure fails (the disk went away) and everything else works."""

    def __init__(self, node: Node) -> None:
        self._vault = node.vault

    def __getattr__(self, name: str) -> Any:
        return getattr(self._vault, name)

    def erase(self, **_: str) -> int:
        raise StoreError("the vault could not be written", code="store_error")


def test_a_failed_log_write_destroys_nothing_and_the_person_can_be_erased_again(
    ledger: Node, data_dir: Path
) -> None:
    people = _known_person(ledger, data_dir)
    ref = people.ref_of(NID)
    writer = _FailingWriter(ledger)
    failing = People(ledger.store, ledger.vault, writer, ledger.clock)
    with pytest.raises(StoreError):
        failing.rights.erase(NID)
    assert writer.attempts == 1
    # whole: the vault still opens their records, the log does not call them erased
    assert people.known(NID) == ref
    assert not ledger.store.is_subject_erased(ref)
    (record,) = people.rights.export(NID).records
    assert record.payload == {}
    assert record.payload_error is None

    done = people.rights.erase(NID)
    assert done["payloads_destroyed"] == 1
    assert ledger.store.is_subject_erased(ref)
    assert ledger.vault.subject_ref(NID) is None


def test_an_erasure_stopped_after_its_entry_is_finished_by_erasing_again(
    ledger: Node, data_dir: Path
) -> None:
    people = _known_person(ledger, data_dir)
    ref = people.ref_of(NID)
    stopped = People(ledger.store, _FailingVault(ledger), ledger, ledger.clock)  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        stopped.rights.erase(NID)
    assert ledger.store.is_subject_erased(ref)  # the log says erased: nobody reads them now
    assert ledger.vault.subject_ref(NID) == ref  # but the keys are still there
    size = ledger.store.tree_size()

    done = people.rights.erase(NID)  # again: the keys go, no second entry
    assert done["payloads_destroyed"] == 1
    assert ledger.store.tree_size() == size
    assert done["index"] == size - 1  # the first attempt's entry
    assert ledger.vault.subject_ref(NID) is None
