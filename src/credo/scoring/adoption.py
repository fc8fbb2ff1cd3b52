"""Wires rules vetting into the ledger's governance: importing this installs the validator.

The ledger cannot import scoring (arrows point down only), so scoring hands the ledger the
function that refuses special categories, out-of-context benefits and penalties at adoption.
"""

from __future__ import annotations

from credo.ledger.governance import set_rules_validator
from credo.scoring.rules import load_rules, rules_hash


def vet_rules_document(document: bytes) -> str:
    """Validate a rules document (raising RulesRejected with a code) and return its hash."""
    load_rules(document)
    return rules_hash(document)


set_rules_validator(vet_rules_document)
