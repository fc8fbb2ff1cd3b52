"""The explicit registry of kinds, and a ledger built with what it needs passed in: no kind,
handler or rules check is installed by importing a module."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from credo.errors import EntryRejected, RulesRejected
from credo.ledger import Kind, Registry, standard_kinds, verify_store
from credo.ledger.dsse import payload_type_for
from credo.ledger.schema import ROLES, Body
from credo.scoring import DEFAULT_RULES_BYTES
from credo.services.node import DataDir, Node
from credo.services.policy import StandardPolicy
from tests.conftest import adopt_default_rules


def test_every_registered_kind_has_a_schema_roles_and_a_transition() -> None:
    kinds = standard_kinds()
    assert len(kinds) == 35  # 23, two for portal accounts, ten for public consultations
    for kind in kinds:
        assert issubclass(kind.body, Body), kind.name
        schema = kind.body.model_json_schema()
        assert schema["type"] == "object", kind.name
        assert schema.get("additionalProperties") is False, kind.name
        assert kind.roles, kind.name
        assert kind.roles <= set(ROLES), kind.name
        assert callable(kind.apply), kind.name
        assert kind.summary.strip(), kind.name
        assert payload_type_for(kind.name) == f"application/vnd.credo.{kind.name}+json"


def test_a_kind_listed_twice_is_refused() -> None:
    genesis = standard_kinds().get("genesis")
    with pytest.raises(ValueError, match="listed twice"):
        Registry([genesis, genesis])


def test_an_unknown_kind_is_refused_with_a_code() -> None:
    with pytest.raises(EntryRejected) as err:
        standard_kinds().get("record.delete")
    assert err.value.code == "unknown_kind"


def test_a_ledger_knows_only_the_kinds_it_was_built_with(data_dir: Path) -> None:
    """A registry without attestations: the same signed entry is refused as unknown."""
    without = Registry(k for k in standard_kinds() if not k.name.startswith("attestation."))
    from tests.conftest import attestation

    node = Node(DataDir(data_dir), kinds=without).start()
    try:
        outcome = node.submit([attestation(data_dir, 1)])[0]
        assert isinstance(outcome, EntryRejected)
        assert outcome.code == "unknown_kind"
    finally:
        node.close()


def test_the_registry_pickles_as_its_kinds() -> None:
    """Validation workers receive the ledger's registry itself (spawned processes)."""
    import pickle

    kinds = standard_kinds()
    again = pickle.loads(pickle.dumps(kinds))
    assert [k.name for k in again] == [k.name for k in kinds]
    payload = b'{"v":1,"kind":"genesis","by":"op","at":"2026-01-01T00:00:00Z","body":{}}'
    with pytest.raises(EntryRejected) as err:
        again.parse_payload(payload, "genesis")
    assert err.value.code == "schema"


def test_an_honest_log_verifies_in_a_fresh_interpreter_importing_only_the_public_api(
    ledger: Node,
) -> None:
    """`verify_store` once failed "no rules validator is installed" unless a scoring module
    had been imported first. A log holding a rules adoption verifies in a new interpreter
    that imports only `credo.ledger` and `credo.store`, and scoring is never loaded."""
    adopt_default_rules(ledger)
    db = str(ledger.data.store_location)
    ledger.close()
    script = f"""
import sys
from credo.ledger import verify_store
from credo.store import open_store
store = open_store({db!r})
summary = verify_store(store)
loaded = sorted(m for m in sys.modules if m.startswith(("credo.scoring", "credo.services",
                                                          "credo.api", "credo.cli")))
print(summary.entries, loaded)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split(maxsplit=1)
    assert int(out[0]) > 5
    assert out[1].strip() == "[]"


class _Tightened(StandardPolicy):
    """Today's checks, and a new one: no benefit may waive a hotel deposit."""

    def vet_rules(self, document: bytes) -> None:
        super().vet_rules(document)
        if b"hotel-deposit-waiver" in document:
            raise RulesRejected("hotel deposit waivers are no longer allowed", code="tightened")


def _propose(node: Node, proposal: str) -> None:
    body = {
        "id": proposal,
        "action": "adopt_rules",
        "params": {"document": DEFAULT_RULES_BYTES.decode()},
    }
    node.submit_one("governance.propose", "operator", body)


def test_an_old_adoption_verifies_after_the_checks_are_tightened(data_dir: Path) -> None:
    """Replay checks what the log decided, not today's policy; a new adoption is judged by
    the new checks, and so is the deciding vote on a proposal made under the old ones."""
    node = Node(DataDir(data_dir)).start()
    try:
        adopt_default_rules(node)
        _propose(node, "rules-2")  # proposed under the old checks, still open
    finally:
        node.close()
    tightened = Node(DataDir(data_dir), policy=_Tightened()).start()
    try:
        assert verify_store(tightened.store).entries == tightened.store.tree_size()
        with pytest.raises(EntryRejected) as proposed:
            _propose(tightened, "rules-3")
        assert proposed.value.code == "tightened"
        tightened.submit_one("governance.vote", "operator", {"proposal": "rules-2", "vote": "yes"})
        with pytest.raises(EntryRejected) as deciding:
            tightened.submit_one("governance.vote", "watch", {"proposal": "rules-2", "vote": "yes"})
        assert deciding.value.code == "tightened"
        proposal = tightened.store.get_proposal("rules-2")
        assert proposal is not None
        assert proposal.status == "open"
        assert len(tightened.store.rules_history()) == 1
        assert verify_store(tightened.store).entries == tightened.store.tree_size()
    finally:
        tightened.close()


def test_the_standard_policy_refuses_a_penalty_rule(data_dir: Path) -> None:
    """The policy the node is built with is the scoring layer's vetting."""
    doc = json.loads(DEFAULT_RULES_BYTES)
    doc["benefits"][0]["description"] = "travel ban for low scores"
    node = Node(DataDir(data_dir)).start()
    try:
        with pytest.raises(EntryRejected) as err:
            node.submit_one(
                "governance.propose",
                "operator",
                {"id": "bad-1", "action": "adopt_rules", "params": {"document": json.dumps(doc)}},
            )
        assert err.value.code not in ("rules_unavailable", "schema")
    finally:
        node.close()


def test_kinds_are_plain_data() -> None:
    kind = standard_kinds().get("record.put")
    assert isinstance(kind, Kind)
    assert kind.roles == frozenset({"recorder"})
