"""What disputing a record does, said before and after: the score the person would have while
the record is disputed, and their own statement read back from the vault.

Why a dispute can lower a score: a disputed record is frozen (`credo.scoring.engine`): it does
not count until the member answers. No record ever subtracts points, but a record that earns
points stops earning them while it is disputed, so the score falls by what it earned, and
rises again if the record stands. The pages say so in figures before the person sends it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from credo.errors import CredoError
from credo.ledger.entries import statement_of
from credo.ledger.personal import open_statement
from credo.scoring.engine import score_subject
from credo.services import scores
from credo.services.people import People

STATEMENT_CONTEXT = b"dispute-statement"
"""The context a statement is sealed under (`credo.services.programme`)."""


@dataclass(frozen=True, slots=True)
class Preview:
    """The score now and while the record is disputed, and the tiers they reach."""

    before: int
    after: int
    tier_before: str
    tier_after: str

    @property
    def points(self) -> int:
        return self.before - self.after

    def as_dict(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "after": self.after,
            "points": self.points,
            "tier_before": self.tier_before,
            "tier_after": self.tier_after,
        }


def dispute_preview(people: People, subject: str, record_id: str) -> Preview | None:
    """The person's score now, and what it would be with ``record_id`` frozen by a dispute,
    both under the rules in force and at the same moment; None when the person has no score
    (not enrolled, or no rules adopted): then a dispute changes no score."""
    store = people.store
    if not store.is_enrolled(subject) or store.current_rules() is None:
        return None
    rules, digest = scores.rules_in_force(store)
    records = scores.scoring_records(store, subject)
    as_of = scores.now()
    now = score_subject(rules, digest, records, as_of)
    frozen = [replace(r, frozen=True) if r.record_id == record_id else r for r in records]
    disputed = score_subject(rules, digest, frozen, as_of)
    return Preview(now.score, disputed.score, now.tier, disputed.tier)


def own_statement(people: People, subject: str, dispute_id: str) -> str | None:
    """The statement the person wrote when they opened the dispute, read back from the vault
    and checked against the commitment on the log; None when it cannot be shown (a dispute
    opened before its text's key was kept, or the text erased)."""
    row = people.store.get_dispute(dispute_id)
    if row is None or row.subject != subject:
        return None
    entry = statement_of(people.store.read_entries(row.opened_idx, 1)[0])
    try:
        opened = open_statement(people.vault, entry)
        if opened is None or opened.plaintext is None:
            return None
        key = json.loads(opened.plaintext).get("statement_key")
        if not isinstance(key, str):
            return None
        text = people.vault.unseal(subject, key, row.statement, STATEMENT_CONTEXT)
    except CredoError:
        return None
    return text.decode("utf-8", errors="replace")
