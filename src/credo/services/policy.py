"""The policy credo judges new entries by: a rules document is adopted only if the scoring
layer accepts it (no special categories, no penalties, benefits in their own context).

The ledger cannot import scoring (arrows point down only), so this is handed to it when it
is built (`credo.ledger.Ledger`); replays never consult it."""

from __future__ import annotations

from credo.scoring.rules import load_rules


class StandardPolicy:
    """`credo.ledger.registry.Policy` with today's scoring checks."""

    def vet_rules(self, document: bytes) -> None:
        load_rules(document)  # raises RulesRejected with a code
