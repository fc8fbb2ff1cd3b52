"""credo.ledger: the log machinery (DSSE envelopes, validation, the sequencer, replay) and
the entry kinds (`credo.ledger.kinds`, an explicit registry). Nothing here registers itself
on import: a `Ledger` is built with its `Registry` and `Policy` passed in."""

from credo.ledger.kinds import standard_kinds
from credo.ledger.ledger import Ledger
from credo.ledger.registry import Context, Kind, Policy, Registry
from credo.ledger.replay import VerifySummary, rebuild, verify_store

__all__ = [
    "Context",
    "Kind",
    "Ledger",
    "Policy",
    "Registry",
    "VerifySummary",
    "rebuild",
    "standard_kinds",
    "verify_store",
]
