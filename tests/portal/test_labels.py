"""Every code the ledger can put in front of a person has plain words in the portal."""

from __future__ import annotations

import json

from credo.ledger.categories import CATEGORIES, PURPOSES
from credo.ledger.kinds import PERSONAL_KINDS
from credo.ledger.schema import SECTORS
from credo.portal.labels import LABELS
from credo.scoring import DEFAULT_RULES_BYTES


def test_every_category_type_purpose_sector_kind_tier_and_benefit_has_a_label() -> None:
    rules = json.loads(DEFAULT_RULES_BYTES)
    wanted = {
        "category": set(CATEGORIES),
        "type": {t for c in CATEGORIES.values() for t in c.types},
        "purpose": set(PURPOSES),
        "sector": set(SECTORS),
        "kind": set(PERSONAL_KINDS),
        "tier": {t["name"] for t in rules["tiers"]},
        "benefit": {b["id"] for b in rules["benefits"]},
    }
    for group, codes in wanted.items():
        assert codes - set(LABELS[group]) == set(), group
