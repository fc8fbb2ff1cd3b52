"""The account kinds (credo.ledger.kinds.accounts): an ``account.code`` entry names an active
member allowed to issue codes, is sealed like every personal entry, and replays."""

from __future__ import annotations

import pytest

from credo.errors import EntryRejected
from credo.ledger.replay import rebuild, verify_store
from credo.services.node import Node, admit_member
from tests._people import opened, sealed


def code_meta(member: str) -> dict[str, str]:
    return {
        "member": member,
        "code": "enrolment",
        "code_id": "c0" * 16,
        "expires_at": "2030-01-01T00:00:00Z",
    }


def test_a_code_names_a_registrar_or_the_operator_and_replays(ledger: Node) -> None:
    admit_member(ledger, "registry", "Registry", "government", ["registrar"])
    for member in ("registry", "operator"):
        body = sealed(ledger, "account.code", "operator", code_meta(member))
        accepted = ledger.submit_one("account.code", "operator", body)
        assert opened(ledger, accepted.index)["member"] == member
    device = {"event": "refused", "code_id": "c0" * 16}
    ledger.submit_one(
        "account.device", "operator", sealed(ledger, "account.device", "operator", device)
    )
    before = ledger.store.dump_state()
    rebuild(ledger.store, opener=ledger.vault)
    assert ledger.store.dump_state() == before
    verify_store(ledger.store, opener=ledger.vault)


@pytest.mark.parametrize(
    ("member", "code"),
    [("bank", "role_not_allowed"), ("nobody", "unknown_member")],
)
def test_a_code_from_a_member_who_may_not_issue_is_refused(
    ledger: Node, member: str, code: str
) -> None:
    size = ledger.store.tree_size()
    body = sealed(ledger, "account.code", "operator", code_meta(member))
    with pytest.raises(EntryRejected) as info:
        ledger.submit_one("account.code", "operator", body)
    assert info.value.code == code
    assert ledger.store.tree_size() == size


def test_only_the_operator_signs_account_entries(ledger: Node) -> None:
    admit_member(ledger, "registry", "Registry", "government", ["registrar"])
    body = sealed(ledger, "account.code", "registry", code_meta("registry"))
    with pytest.raises(EntryRejected) as info:
        ledger.submit_one("account.code", "registry", body)
    assert info.value.code == "role_not_allowed"
