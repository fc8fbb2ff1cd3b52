"""Governance on the log: proposals, votes, adoption at the genesis quorum, refusals."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credo.errors import EntryRejected
from credo.ledger.entries import public_key_b64
from credo.ledger.keys import MemberKey
from credo.ledger.replay import rebuild, verify_store
from credo.scoring import DEFAULT_RULES_BYTES
from credo.services.node import Node
from credo.tlog import CosignatureSigner, NoteSigner

# conftest MEMBERS: voters are the operator and "watch" (civil society); we add "bank" as voter.


def _voters(ledger: Node) -> None:
    ledger.submit_one(
        "member.admit",
        "operator",
        {
            "id": "city",
            "name": "City Office",
            "sector": "government",
            "public_key": public_key_b64(_save(ledger, "city")),
            "roles": ["voter", "issuer"],
        },
    )


def _save(ledger: Node, member_id: str) -> MemberKey:
    key = MemberKey.generate()
    key.save(ledger.data.member_key(member_id))
    return key


def _rules(**change: Any) -> str:
    doc = json.loads(DEFAULT_RULES_BYTES)
    for path, value in change.items():
        target = doc
        *parents, last = path.split("__")
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        target[int(last) if last.isdigit() else last] = value
    return json.dumps(doc)


def propose(ledger: Node, pid: str, action: str, params: dict[str, Any], by: str = "operator"):
    return ledger.submit_one(
        "governance.propose", by, {"id": pid, "action": action, "params": params}
    )


def vote(ledger: Node, pid: str, by: str, choice: str = "yes"):
    return ledger.submit_one("governance.vote", by, {"proposal": pid, "vote": choice})


def test_rules_adopted_at_two_thirds(ledger: Node) -> None:
    _voters(ledger)  # voters: operator, watch, city -> quorum 2 of 3
    propose(ledger, "rules-1", "adopt_rules", {"document": DEFAULT_RULES_BYTES.decode()})
    assert ledger.store.current_rules() is None
    vote(ledger, "rules-1", "operator")
    assert ledger.store.get_proposal("rules-1").status == "open"
    vote(ledger, "rules-1", "watch")
    assert ledger.store.get_proposal("rules-1").status == "adopted"
    current = ledger.store.current_rules()
    assert current is not None
    assert current.document == DEFAULT_RULES_BYTES
    assert len(ledger.store.rules_history()) == 1


def test_rejected_when_quorum_unreachable(ledger: Node) -> None:
    _voters(ledger)
    propose(ledger, "rules-1", "adopt_rules", {"document": DEFAULT_RULES_BYTES.decode()})
    vote(ledger, "rules-1", "operator", "no")
    vote(ledger, "rules-1", "watch", "no")
    assert ledger.store.get_proposal("rules-1").status == "rejected"
    with pytest.raises(EntryRejected) as err:
        vote(ledger, "rules-1", "city")
    assert err.value.code == "proposal_closed"


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (_rules(scorecards__0__lines__0__category="health"), "special_category"),
        (_rules(benefits__0__context="finance"), "out_of_context"),
        (_rules(scorecards__0__lines__0__points=-50), "penalty"),
        (
            json.dumps({**json.loads(DEFAULT_RULES_BYTES), "penalty": {"action": "ban"}}),
            "penalty",
        ),
    ],
    ids=["special-category", "outside-benefit-context", "negative-points", "penalty-key"],
)
def test_bad_rules_refused_at_proposal(ledger: Node, document: str, code: str) -> None:
    size = ledger.store.tree_size()
    with pytest.raises(EntryRejected) as err:
        propose(ledger, "rules-bad", "adopt_rules", {"document": document})
    assert err.value.code == code
    assert err.value.message  # a reason a person can read
    assert ledger.store.tree_size() == size  # nothing written
    assert ledger.store.get_proposal("rules-bad") is None


def test_one_vote_per_member_and_only_voters(ledger: Node) -> None:
    propose(ledger, "rules-1", "adopt_rules", {"document": DEFAULT_RULES_BYTES.decode()})
    _voters(ledger)
    vote(ledger, "rules-1", "operator")
    with pytest.raises(EntryRejected) as twice:
        vote(ledger, "rules-1", "operator")
    assert twice.value.code == "already_voted"
    with pytest.raises(EntryRejected) as not_voter:
        vote(ledger, "rules-1", "bank")  # bank holds no voting seat in the fixture
    assert not_voter.value.code == "role_not_allowed"


def test_member_admitted_by_governance_and_replayed(ledger: Node, data_dir: Path) -> None:
    key = MemberKey.generate()
    spec = {
        "id": "new-coop",
        "name": "New Cooperative",
        "sector": "company",
        "public_key": public_key_b64(key),
        "roles": ["recorder"],
    }
    propose(ledger, "admit-coop", "admit_member", spec)
    assert ledger.store.get_member("new-coop") is None
    vote(ledger, "admit-coop", "operator")
    vote(ledger, "admit-coop", "watch")
    assert ledger.store.get_member("new-coop") is not None
    before = copy.deepcopy(ledger.store.dump_state())
    rebuild(ledger.store, opener=ledger.vault)
    assert ledger.store.dump_state() == before
    verify_store(ledger.store, opener=ledger.vault)


# --- the witness policy (C2SP tlog-policy) -------------------------------------------------


def _witness_policy(ledger: Node, *, log_line: bool = True, url: str = " http://w1.test") -> str:
    w = [CosignatureSigner(f"w{i}.test", Ed25519PrivateKey.generate()) for i in range(3)]
    lines = [f"log {ledger.verifier_key}"] if log_line else []
    lines += [f"witness W{i} {s.verifier_key()}{url}" for i, s in enumerate(w)]
    return "\n".join([*lines, "group g 2 W0 W1 W2", "quorum g", ""])


def test_witness_policy_adopted_at_the_quorum_and_replayed(ledger: Node) -> None:
    text = _witness_policy(ledger)
    propose(ledger, "witnesses-1", "adopt_witness_policy", {"policy": text})
    assert ledger.store.get_meta("witness_policy") is None
    vote(ledger, "witnesses-1", "operator")
    vote(ledger, "witnesses-1", "watch")
    assert ledger.store.get_proposal("witnesses-1").status == "adopted"
    assert ledger.store.get_meta("witness_policy") == text
    later = _witness_policy(ledger, log_line=False)
    propose(ledger, "witnesses-2", "adopt_witness_policy", {"policy": later})
    vote(ledger, "witnesses-2", "operator")
    vote(ledger, "witnesses-2", "watch")
    assert ledger.store.get_meta("witness_policy") == later  # the last adopted one rules
    ledger.store.reset_state()
    assert ledger.store.get_meta("witness_policy") is None
    rebuild(ledger.store, opener=ledger.vault)  # derived state cleared, then replayed
    assert ledger.store.get_meta("witness_policy") == later
    verify_store(ledger.store, opener=ledger.vault)


@pytest.mark.parametrize(
    ("policy", "why"),
    [
        ("quorum\n", "exactly one name"),
        ("witness W0 not-a-key http://w.test\nquorum W0\n", "policy line 1: verifier key"),
        ("x", "unknown keyword"),
    ],
)
def test_a_malformed_witness_policy_is_refused(ledger: Node, policy: str, why: str) -> None:
    with pytest.raises(EntryRejected, match=why) as refused:
        propose(ledger, "witnesses-1", "adopt_witness_policy", {"policy": policy})
    assert refused.value.code == "bad_witness_policy"
    assert ledger.store.get_proposal("witnesses-1") is None


def test_a_witness_policy_for_another_log_or_without_urls_is_refused(ledger: Node) -> None:
    other = MemberKey.generate()
    foreign = NoteSigner("elsewhere.test/log", other.private_key).verifier_key()
    text = _witness_policy(ledger, log_line=False)
    with pytest.raises(EntryRejected, match="not this log's key") as refused:
        propose(ledger, "w-1", "adopt_witness_policy", {"policy": f"log {foreign}\n{text}"})
    assert refused.value.code == "bad_witness_policy"
    with pytest.raises(EntryRejected, match="needs an http"):
        propose(ledger, "w-2", "adopt_witness_policy", {"policy": _witness_policy(ledger, url="")})
    bad = _witness_policy(ledger, url=" ftp://w.test")
    with pytest.raises(EntryRejected, match="needs an http"):
        propose(ledger, "w-3", "adopt_witness_policy", {"policy": bad})


# --- a member's names in each language and its contact point --------------------------------


def test_member_names_set_at_admission_then_changed_by_governance(
    ledger: Node, data_dir: Path
) -> None:
    from credo.ledger.kinds.members import member_profile

    names = {"th": "สหกรณ์ใหม่", "zh-Hans": "新合作社", "zh-Hant": "新合作社", "en": "New Coop"}
    spec = {
        "id": "new-coop",
        "name": "New Cooperative",
        "sector": "company",
        "public_key": public_key_b64(MemberKey.generate()),
        "roles": ["recorder"],
        "names": names,
        "contact": "help@new-coop.example",
    }
    ledger.submit_one("member.admit", "operator", spec)
    profile = member_profile(ledger.store, "new-coop")
    assert profile.names == names
    assert profile.contact == "help@new-coop.example"
    assert member_profile(ledger.store, "bank").names == {}  # none given: the name of record

    with pytest.raises(EntryRejected):  # a language the portal does not speak
        ledger.submit_one(
            "member.admit", "operator", {**spec, "id": "x-coop", "names": {"fr": "x"}}
        )
    changed = {"id": "new-coop", "names": {"th": "สหกรณ์เมือง"}, "contact": "02 123 4567"}
    propose(ledger, "coop-words", "update_member_profile", changed)
    assert member_profile(ledger.store, "new-coop").names == names  # not until adopted
    vote(ledger, "coop-words", "operator")
    vote(ledger, "coop-words", "watch")
    assert member_profile(ledger.store, "new-coop").names == {"th": "สหกรณ์เมือง"}
    assert member_profile(ledger.store, "new-coop").contact == "02 123 4567"
    with pytest.raises(EntryRejected):
        propose(ledger, "nobody-words", "update_member_profile", {**changed, "id": "nobody"})

    before = copy.deepcopy(ledger.store.dump_state())
    rebuild(ledger.store, opener=ledger.vault)
    assert ledger.store.dump_state() == before
    verify_store(ledger.store, opener=ledger.vault)
