"""credo rules: the rules in force and their history, as the log adopted them."""

from __future__ import annotations

import json

from credo.cli._common import DataOption
from credo.errors import InputError
from credo.services.node import DataDir
from credo.store import open_store


def rules(data: DataOption) -> None:
    """Show the rules in force (the last adopted on the log) and their history, as JSON."""
    d = DataDir(data)
    d.read_config()
    store = open_store(d.store_location)
    try:
        history = store.rules_history()
    finally:
        store.close()
    if not history:
        raise InputError("no rules document has been adopted yet", code="no_rules")
    current = history[-1]
    doc = {
        "current": {
            "hash": current.hash,
            "adopted_at_index": current.adopted_idx,
            "proposal": current.proposal_id,
            "document": json.loads(current.document)
            if current.document.lstrip().startswith(b"{")
            else current.document.decode(),
        },
        "history": [
            {"hash": r.hash, "adopted_at_index": r.adopted_idx, "proposal": r.proposal_id}
            for r in history
        ],
    }
    print(json.dumps(doc, indent=2, ensure_ascii=False))
