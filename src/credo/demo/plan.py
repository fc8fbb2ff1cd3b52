"""The demo's plan: who its synthetic people are and what happens to them, month by month.

`plan_people` draws N people from a seed (Thai, Chinese and English names, made-up national
ids; the README's three first), each with the records a pilot's members would have written
about them over two years, their enrolment, consents and the reads under them, a dispute
and its fate, and providers' benefit questions: pure data, nothing written. `credo.demo.seed`
writes the plan through the log; a seed gives the same plan.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from credo.demo.cast import (
    CHINESE_FAMILY,
    CHINESE_GIVEN,
    ENGLISH_FAMILY,
    ENGLISH_GIVEN,
    MEMBERS_BY_SECTOR,
    THAI_FAMILY,
    THAI_GIVEN,
)
from credo.demo.member_words import DISPUTE_STATEMENTS

DAY = 86_400
HISTORY_DAYS = 730
STEPS = 24
"""The two years are written a month (730/24 days) at a time."""
ACTIVE_SHARE, ACTIVE_FACTOR, QUIET_FACTOR = 0.25, 1.8, 0.45
"""A quarter of the people are active: each kind of record is 1.8 times as likely for them,
0.45 times for the rest."""


@dataclass(frozen=True, slots=True)
class DemoMember:
    id: str
    name: str
    sector: str


MEMBERS: tuple[DemoMember, ...] = tuple(
    DemoMember(member_id, name, sector)
    for sector, members in MEMBERS_BY_SECTOR.items()
    for member_id, name in members
)


FATES = ("answered", "expired", "open")
"""What becomes of a dispute: the member answers it, nobody does in time, or it is new."""


def _ids(sector: str) -> list[str]:
    return [member_id for member_id, _ in MEMBERS_BY_SECTOR[sector]]


BANKS = _ids("bank")
UTILITIES = _ids("utility") + _ids("energy")
UNIVERSITIES = _ids("university")
HOSPITALS = _ids("hospital")
CAR_MAKERS = _ids("automotive")
BIKES = ["citybikes", "green-wheels", "riverbikes", "campus-bikes"]
HOTELS = _ids("hotel")
CIVIC = ["city-registry", "city-library", "volunteer-bureau", "district-pathum-wan"]
REGISTRY = "city-registry"

DEGREES = (
    "BA Economics",
    "BSc Computer Science",
    "BEng Civil Engineering",
    "BBA Marketing",
    "BSc Nursing",
    "MA Thai Literature",
    "MSc Data Science",
    "BA Chinese Studies",
)
COURSES = (
    "Financial literacy",
    "First aid",
    "Mandarin for beginners",
    "English for work",
    "Python programming",
    "Bookkeeping",
    "Safe cycling",
)


# -- the plan: who the people are and what happens to them, month by month -----------------


@dataclass(slots=True)
class RecordPlan:
    step: int
    member: str
    category: str
    type: str
    effective: int
    payload: dict[str, Any]
    record_id: str | None = None


@dataclass(slots=True)
class ConsentPlan:
    step: int
    member: str
    purpose: str
    categories: list[str]
    days: int
    revoke_step: int | None = None
    read_step: int | None = None
    consent_id: str | None = None


@dataclass(slots=True)
class DisputePlan:
    step: int
    record: int  # index into the person's records
    fate: str  # "answered", "expired" or "open"
    statement: str
    outcome: str = "upheld"
    dispute_id: str | None = None


@dataclass(slots=True)
class PersonPlan:
    national_id: str
    name: str
    locale: str
    records: list[RecordPlan] = field(default_factory=list)
    enrol_step: int | None = None
    consents: list[ConsentPlan] = field(default_factory=list)
    dispute: DisputePlan | None = None
    bogus_read_step: int | None = None
    benefit_checks: list[str] = field(default_factory=list)
    profile: str = ""


class Timeline:
    """The two years' month boundaries: step k ends at ``at(k)``; the last one is now."""

    def __init__(self, end: float) -> None:
        self.end = int(end)
        self.start = self.end - HISTORY_DAYS * DAY
        self.width = HISTORY_DAYS * DAY / STEPS

    def at(self, step: int) -> int:
        return self.end if step >= STEPS else int(self.start + step * self.width)

    def step_of(self, moment: int) -> int:
        """The first month whose end is at or after ``moment`` (0 for anything earlier)."""
        return min(STEPS, max(0, math.ceil((moment - self.start) / self.width)))


def _thai_id(rng: random.Random) -> str:
    digits = [rng.randint(1, 8)] + [rng.randint(0, 9) for _ in range(11)]
    check = (11 - sum(d * (13 - i) for i, d in enumerate(digits)) % 11) % 10
    return "TH-" + "".join(map(str, digits)) + str(check)


def _chinese_id(rng: random.Random) -> str:
    region = rng.choice(["110101", "310104", "440305", "510107", "330106", "420102"])
    born = datetime.fromtimestamp(rng.randint(0, 1_000_000_000), UTC).strftime("%Y%m%d")
    body = region + born + f"{rng.randint(0, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    return "CN-" + body + check


def _british_id(rng: random.Random) -> str:
    letters = "ABCEGHJKLMNPRSTWXYZ"
    return (
        "GB-"
        + rng.choice(letters)
        + rng.choice(letters)
        + f"{rng.randint(0, 999_999):06d}"
        + rng.choice("ABCD")
    )


def _name(rng: random.Random, locale: str) -> str:
    if locale == "th":
        return f"{rng.choice(THAI_GIVEN)} {rng.choice(THAI_FAMILY)}"
    if locale == "zh":
        return rng.choice(CHINESE_FAMILY) + rng.choice(CHINESE_GIVEN)
    return f"{rng.choice(ENGLISH_GIVEN)} {rng.choice(ENGLISH_FAMILY)}"


def _identity(person: PersonPlan, registered: int) -> RecordPlan:
    payload = {"name": person.name, "locale": person.locale}
    return RecordPlan(0, REGISTRY, "identity", "identity.registered", registered, payload)


class Planner:
    def __init__(self, rng: random.Random, timeline: Timeline) -> None:
        self.rng = rng
        self.t = timeline
        self.disputes: list[str] = []  # the fates of the disputes planned so far

    def record(
        self, p: PersonPlan, member: str, category: str, type_: str, when: float, **payload: Any
    ) -> None:
        moment = int(when)
        if moment > self.t.end:
            return
        step = self.t.step_of(moment)
        p.records.append(RecordPlan(step, member, category, type_, moment, payload))

    def when(self, earliest: float | None = None) -> float:
        lo = self.t.start - 365 * DAY if earliest is None else earliest
        return self.rng.uniform(lo, self.t.end)

    def person(self, national_id: str, locale: str) -> PersonPlan:
        rng, t = self.rng, self.t
        p = PersonPlan(national_id, _name(rng, locale), locale)
        p.records.append(_identity(p, rng.randint(t.start - 30 * 365 * DAY, t.start)))
        bank = "first-bank" if rng.random() < 0.3 else rng.choice(BANKS)
        # A quarter of the people are active (most of the log's records are theirs); the rest
        # have a few records each, as most people in a pilot would.
        factor = ACTIVE_FACTOR if rng.random() < ACTIVE_SHARE else QUIET_FACTOR

        def chance(odds: float) -> bool:
            return rng.random() < min(0.95, odds * factor)

        if chance(0.5):
            self.record(p, bank, "finance", "account.opened", self.when(), product="savings")
        if chance(0.25):
            opened = self.when()
            amount = rng.choice([20_000, 50_000, 120_000, 300_000])
            self.record(p, bank, "finance", "loan.opened", opened, amount=amount, currency="THB")
            self.record(
                p,
                bank,
                "finance",
                "loan.repaid",
                opened + rng.randint(120, 540) * DAY,
                amount=amount,
                currency="THB",
            )
        if chance(0.12):
            moment = self.when(t.start)
            while moment < t.end:
                amount = rng.randint(500, 15_000)
                self.record(p, bank, "finance", "bill.paid_on_time", moment, amount=amount)
                moment += rng.randint(150, 250) * DAY
        if chance(0.35):
            utility = rng.choice(UTILITIES)
            moment = self.when()
            self.record(p, utility, "utilities", "contract.started", moment, tariff="home")
            moment = max(moment, t.start) + rng.randint(30, 300) * DAY
            while moment < t.end:
                amount = rng.randint(300, 4_000)
                self.record(p, utility, "utilities", "bill.paid_on_time", moment, amount=amount)
                moment += rng.randint(200, 300) * DAY
        if chance(0.1):
            school = rng.choice(UNIVERSITIES)
            degree = rng.choice(DEGREES)
            self.record(p, school, "education", "degree.awarded", self.when(), degree=degree)
        if chance(0.1):
            school = rng.choice(UNIVERSITIES)
            for _ in range(rng.randint(1, 3)):
                course = rng.choice(COURSES)
                self.record(p, school, "education", "course.completed", self.when(), course=course)
        if chance(0.2):
            bikes = rng.choice(BIKES)
            first = self.when(t.start)
            for _ in range(rng.randint(1, 3)):
                moment = rng.uniform(first, t.end)
                minutes = rng.randint(5, 60)
                self.record(p, bikes, "mobility", "ride.completed", moment, minutes=minutes)
                self.record(p, bikes, "mobility", "bike.returned_on_time", moment + 60 * minutes)
        if chance(0.06):
            maker = rng.choice(CAR_MAKERS)
            bought = self.when()
            model = rng.choice(["sedan", "pickup", "EV hatchback", "scooter"])
            self.record(p, maker, "mobility", "vehicle.purchased", bought, model=model)
            moment = bought + 365 * DAY
            while moment < t.end:
                self.record(p, maker, "mobility", "vehicle.serviced", moment)
                moment += rng.randint(300, 400) * DAY
        if chance(0.15):
            self.record(p, REGISTRY, "civic", "address.registered", self.when())
        if chance(0.12):
            for _ in range(rng.randint(1, 3)):
                self.record(p, "city-library", "civic", "library.returned", self.when(t.start))
        if chance(0.08):
            for _ in range(rng.randint(1, 3)):
                hours = rng.randint(2, 8)
                moment = self.when(t.start)
                self.record(
                    p, "volunteer-bureau", "civic", "volunteering.completed", moment, hours=hours
                )
        if chance(0.2):
            hospital = rng.choice(HOSPITALS)
            for _ in range(rng.randint(1, 2)):
                self.record(p, hospital, "health", "visit.completed", self.when(t.start))
        p.records.sort(key=lambda r: (r.step, r.effective))
        self.programme(p)
        return p

    def programme(self, p: PersonPlan) -> None:
        rng = self.rng
        if rng.random() < 0.85:
            p.enrol_step = min(rng.randint(0, STEPS - 1), rng.randint(0, STEPS - 1))
        finance = next((r for r in p.records if r.category == "finance"), None)
        if finance is not None and rng.random() < 0.35:
            self.consent(p, finance.member, "credit_assessment", ["finance", "utilities"])
        bikes = next((r for r in p.records if r.category == "mobility"), None)
        if bikes is not None and bikes.member in BIKES and rng.random() < 0.5:
            self.consent(p, bikes.member, "service_provision", ["mobility"])
        if rng.random() < 0.08:
            self.consent(p, rng.choice(HOTELS), "service_provision", ["finance"])
        if rng.random() < 0.02:
            p.bogus_read_step = rng.randint(1, STEPS)
        scorable = [
            n
            for n, r in enumerate(p.records)
            if r.category in ("finance", "utilities", "mobility", "civic", "education")
        ]
        # The first three disputes are one of each fate, so that even a small demo has them.
        wanted = FATES[len(self.disputes)] if len(self.disputes) < len(FATES) else None
        if p.enrol_step is not None and scorable and (wanted or rng.random() < 0.03):
            n = rng.choice(scorable)
            earliest = max(p.records[n].step, p.enrol_step)
            if wanted == "open":
                step = STEPS
            elif wanted is not None and earliest < STEPS:
                step = rng.randint(earliest, STEPS - 1)
            else:
                step = rng.randint(earliest, STEPS)
            fate = "open" if step == STEPS else wanted or rng.choice(FATES[:2] + FATES[:1])
            outcome = rng.choice(["upheld", "upheld", "retracted"])
            statement = rng.choice(DISPUTE_STATEMENTS[p.locale])
            p.dispute = DisputePlan(step, n, fate, statement, outcome)
            self.disputes.append(fate)
        if p.enrol_step is not None and rng.random() < 0.06:
            p.benefit_checks.append(
                rng.choice(["bike-deposit-free", "hotel-deposit-waiver", "shopping-discount"])
            )

    def consent(self, p: PersonPlan, member: str, purpose: str, categories: list[str]) -> None:
        rng = self.rng
        step = rng.randint(p.enrol_step or 0, STEPS)
        days = 90 if rng.random() < 0.3 else 365
        consent = ConsentPlan(step, member, purpose, categories, days)
        if rng.random() < 0.1 and step < STEPS:
            consent.revoke_step = rng.randint(step + 1, STEPS)
        if rng.random() < 0.5:
            consent.read_step = min(STEPS, step + rng.randint(0, 6))
        p.consents.append(consent)


def _scripted(planner: Planner) -> list[PersonPlan]:
    """The people the README names, with the records it promises."""
    t = planner.t

    def ago(days: float) -> float:
        return t.end - days * DAY

    graduate = PersonPlan("TH-1103700012345", "สมชาย ศรีสุข", "th", enrol_step=6)
    graduate.records.append(_identity(graduate, t.start - 20 * 365 * DAY))
    for member, category, type_, days in [
        ("first-bank", "finance", "account.opened", 700),
        ("state-university", "education", "degree.awarded", 400),
        ("first-bank", "finance", "loan.opened", 380),
        ("first-bank", "finance", "loan.repaid", 40),
        ("city-hospital", "health", "visit.completed", 30),
        ("power-co", "utilities", "bill.paid_on_time", 20),
        ("first-bank", "finance", "bill.paid_on_time", 12),
    ]:
        planner.record(graduate, member, category, type_, ago(days), source="demo")
    graduate.consents.append(
        ConsentPlan(
            STEPS, "first-bank", "credit_assessment", ["finance", "utilities"], 90, read_step=STEPS
        )
    )
    graduate.consents.append(
        ConsentPlan(18, "orchid-palace", "service_provision", ["finance"], 365)
    )
    graduate.bogus_read_step = STEPS
    graduate.profile = "graduate with a repaid loan; consents to First City Bank; a read refused"

    cyclist = PersonPlan("CN-110101199003077777", "李明华", "zh", enrol_step=20)
    cyclist.records.append(_identity(cyclist, t.start - 8 * 365 * DAY))
    for day in range(1, 36):
        planner.record(cyclist, "citybikes", "mobility", "bike.returned_on_time", ago(day))
        planner.record(cyclist, "citybikes", "mobility", "ride.completed", ago(day))
    planner.record(cyclist, "city-registry", "civic", "volunteering.completed", ago(15))
    cyclist.consents.append(
        ConsentPlan(21, "citybikes", "service_provision", ["mobility"], 365, read_step=23)
    )
    cyclist.benefit_checks.append("bike-deposit-free")
    cyclist.profile = "rides a city bike every day: rents without a deposit"

    newcomer = PersonPlan("GB-QQ123456C", "Oliver Bennett", "en")
    newcomer.records.append(_identity(newcomer, t.start + 300 * DAY))
    planner.record(newcomer, "first-bank", "finance", "loan.opened", ago(90), source="demo")
    newcomer.dispute = DisputePlan(STEPS, 1, "open", "I never opened this account.")
    newcomer.profile = "not enrolled; disputes a loan he never opened (open)"
    for p in (graduate, cyclist, newcomer):
        p.records.sort(key=lambda r: (r.step, r.effective))
    return [graduate, cyclist, newcomer]


def plan_people(count: int, seed: int, end: float) -> list[PersonPlan]:
    """The three people the README names, then ``count`` generated from ``seed``."""
    rng = random.Random(seed)  # noqa: S311 - synthetic people, reproducible; no secret
    planner = Planner(rng, Timeline(end))
    people = _scripted(planner)
    seen = {p.national_id for p in people}
    while len(people) < count + 3:
        locale = rng.choices(["th", "zh", "en"], [0.55, 0.35, 0.10])[0]
        national_id = {"th": _thai_id, "zh": _chinese_id, "en": _british_id}[locale](rng)
        if national_id not in seen:
            seen.add(national_id)
            people.append(planner.person(national_id, locale))
    return people
