"""`credo.demo.signing`: the members' process seals and signs in order, and a refusal there
is raised in the seeding process, not lost with the process."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from credo.demo.signing import MembersProcess
from credo.errors import EntryRejected
from credo.ledger.schema import rfc3339
from credo.ledger.sequencer import Accepted
from credo.services.node import DataDir, Node
from credo.services.records import RecordSpec

AT = rfc3339(time.time())  # the log judges an entry's time by its clock


def test_records_are_signed_in_order_and_accepted_by_the_log(data_dir: Path) -> None:
    specs = [
        RecordSpec("bank", "ZX-1111-0001", "finance", "loan.repaid", {"amount": n}, AT)
        for n in range(3)
    ]
    with MembersProcess(data_dir) as members:
        first = members.records(specs[:2], AT)
        second = members.records(specs[2:], AT)
        ids, body = first.result()
        more, more_body = second.result()
    assert len(ids) == 2
    assert len(more) == 1
    node = Node(DataDir(data_dir)).start()
    try:
        for signed in (body, more_body):
            outcomes = asyncio.run(node.ledger.submit_body(signed))
            assert all(isinstance(o, Accepted) for o in outcomes), outcomes
        ref = node.vault.subject_ref("ZX-1111-0001")
        assert ref is not None
        assert [r.record_id for r in node.store.records_of(ref)] == [*ids, *more]
    finally:
        node.close()


def test_a_refusal_in_the_members_process_is_raised_here(data_dir: Path) -> None:
    refused = [RecordSpec("bank", "ZX-1111-0001", "health", "visit.completed", {}, AT)]
    fine = [RecordSpec("bank", "ZX-1111-0001", "finance", "loan.repaid", {}, AT)]
    with MembersProcess(data_dir) as members:
        bad = members.records(refused, AT)
        good = members.records(fine, AT)  # the process carries on after a refusal
        with pytest.raises(EntryRejected) as raised:
            bad.result()
        assert good.result()[0][0] is not None
    assert raised.value.code == "sector_not_allowed"
