"""The consortium's rules and how it takes decisions, as the public pages explain them: the
rules in force as plain facts (what earns points, for how long, the levels, the benefits, the
time to answer a dispute) and who votes, how many votes carry a proposal, and what passed."""

from __future__ import annotations

import json
import math
from typing import Any

from credo.services import scores
from credo.store import Store


def rules_in_words(store: Store) -> dict[str, Any] | None:
    """The rules in force, shaped for the page; None before any rules are adopted."""
    if store.current_rules() is None:
        return None
    rules, digest = scores.rules_in_force(store)
    return {
        "hash": digest,
        "range": rules.score,
        "tiers": rules.tiers,
        "lines": [
            {"context": card.context, "line": line}
            for card in rules.scorecards
            for line in card.lines
            if line.points > 0
        ],
        "benefits": rules.benefits,
        "answer_days": rules.dispute_answer_days,
    }


def governance(store: Store) -> dict[str, Any]:
    """Who holds a vote, how many yes votes adopt a proposal, and every decision taken."""
    seats = sorted(
        (m for m in store.list_members() if m.status == "active" and "voter" in m.roles),
        key=lambda m: m.id,
    )
    raw = store.get_meta("quorum")
    numerator, denominator = json.loads(raw) if raw else (2, 3)
    needed = math.ceil(len(seats) * numerator / denominator) if seats else 0
    decided = [p for p in store.list_proposals() if p.status != "open"]
    decided.sort(key=lambda p: -(p.decided_idx or p.proposed_idx))
    return {
        "seats": seats,
        "numerator": numerator,
        "denominator": denominator,
        "needed": needed,
        "decided": decided,
    }
