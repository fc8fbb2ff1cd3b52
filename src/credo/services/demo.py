"""Placeholder until the demo generator lands (replaced on merge)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from credo.services.node import DataDir


@dataclass(frozen=True, slots=True)
class DemoPerson:
    national_id: str
    name: str
    locale: str
    profile: str


def demo_roster(data: DataDir) -> list[DemoPerson]:
    path = data.root / "demo-people.json"
    if not path.exists():
        return []
    people = json.loads(path.read_text())["people"]
    return [DemoPerson(p["national_id"], p["name"], p["locale"], p["profile"]) for p in people]
