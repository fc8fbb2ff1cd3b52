"""credo.witness: a C2SP tlog-witness a member runs on its own host.

`service.Witness` checks and cosigns checkpoints (no HTTP), `store.WitnessStore` keeps its
state with a compare-and-swap, `app.create_witness_app` serves it, `identity` holds its key.
It uses only `credo.tlog` and `credo.errors` (an import-linter layer of its own).
"""

from credo.witness.app import create_witness_app
from credo.witness.identity import load_or_create
from credo.witness.service import OldSizeMismatch, Witness, origin_hash, parse_request
from credo.witness.store import Cosigned, Evidence, WitnessStore

__all__ = [
    "Cosigned",
    "Evidence",
    "OldSizeMismatch",
    "Witness",
    "WitnessStore",
    "create_witness_app",
    "load_or_create",
    "origin_hash",
    "parse_request",
]
