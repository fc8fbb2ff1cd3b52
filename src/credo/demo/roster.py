"""The demo's roster: a dozen varied people its portal offers to sign in as, picked from the
plan once it is written, kept in DIR/demo-people.json (written last: its presence marks a
finished demo) and read back for `credo serve`, which hands it to the portal's installer."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from credo.demo.plan import PersonPlan
from credo.errors import InputError
from credo.services.node import DataDir, write_private

ROSTER_FILE = "demo-people.json"


@dataclass(frozen=True, slots=True)
class DemoPerson:
    """A person the portal offers to sign in as (their national id is made up)."""

    national_id: str
    name: str
    locale: str  # "th", "zh" or "en"
    profile: str  # what is interesting about them, in a line


Scored = Callable[[str], tuple[int, str] | None]
"""A person's score and tier by national id, None if they have none."""


def pick_roster(plan: list[PersonPlan], score_of: Scored) -> list[DemoPerson]:
    """A dozen varied people to sign in as: the README's three, then the first generated
    person who fits each profile (the same ones for the same seed)."""
    picked: list[DemoPerson] = [
        DemoPerson(p.national_id, p.name, p.locale, p.profile) for p in plan[:3]
    ]
    taken = {p.national_id for p in plan[:3]}
    rest = plan[3:]

    def take(p: PersonPlan | None, profile: str) -> None:
        if p is not None and p.national_id not in taken:
            taken.add(p.national_id)
            picked.append(DemoPerson(p.national_id, p.name, p.locale, profile))

    for locale, who in (("th", "Thai"), ("zh", "Chinese")):
        scored = [(score_of(p.national_id), n, p) for n, p in enumerate(rest) if p.locale == locale]
        best = max(
            ((s, -n, p) for s, n, p in scored if s is not None),
            default=None,
            key=lambda x: (x[0][0], x[1]),
        )
        if best is not None:
            (points, tier), _, person = best
            take(person, f"the highest score of the {who} names: {points} ({tier})")

    def first(test: Callable[[PersonPlan], bool]) -> PersonPlan | None:
        return next((p for p in rest if p.national_id not in taken and test(p)), None)

    def fate(name: str) -> Callable[[PersonPlan], bool]:
        return lambda p: p.dispute is not None and p.dispute.fate == name

    take(first(fate("answered")), "disputed a record; the member answered")
    take(first(fate("expired")), "disputed a record nobody answered: resolved in their favour")
    take(first(fate("open")), "a dispute waiting for the member's answer")
    take(
        first(lambda p: p.enrol_step is None and len(p.records) > 3),
        "records, but never enrolled: no score",
    )
    take(
        first(lambda p: len({c.member for c in p.consents}) >= 3 or len(p.consents) >= 3),
        "consents to a bank, a bike operator and a hotel",
    )
    take(
        first(
            lambda p: any(
                c.revoke_step is not None
                and c.read_step is not None
                and c.read_step >= c.revoke_step
                for c in p.consents
            )
        ),
        "revoked a consent; the member's read after it was refused",
    )
    take(
        first(
            lambda p: any(r.category == "health" for r in p.records) and p.enrol_step is not None
        ),
        "hospital visits: recorded, never scored",
    )
    take(
        first(lambda p: any(r.type == "vehicle.purchased" for r in p.records)),
        "bought a car; services on the log",
    )
    take(
        first(lambda p: p.locale == "en" and p.enrol_step is not None),
        "an English name in the programme",
    )
    return picked


def write_roster(data: DataDir, people: list[DemoPerson]) -> Path:
    path = data.root / ROSTER_FILE
    doc = {
        "people": [
            {"national_id": p.national_id, "name": p.name, "locale": p.locale, "profile": p.profile}
            for p in people
        ]
    }
    write_private(path, json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    return path


def is_demo(data: DataDir) -> bool:
    """Did `credo.demo.seed_demo` create this data directory?"""
    return data.config.exists() and data.read_config().get("demo") is True


def is_complete(data: DataDir) -> bool:
    """A demo directory whose seeding finished (its roster is written last)."""
    return is_demo(data) and (data.root / ROSTER_FILE).exists()


def demo_roster(data: DataDir) -> list[DemoPerson]:
    """The people a demo's portal offers to sign in as; empty for any other directory."""
    if not is_complete(data):
        return []
    try:
        doc = json.loads((data.root / ROSTER_FILE).read_text(encoding="utf-8"))
        return [
            DemoPerson(str(p["national_id"]), str(p["name"]), str(p["locale"]), str(p["profile"]))
            for p in doc["people"]
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{ROSTER_FILE} in {data.root} is malformed", code="bad_roster") from exc
