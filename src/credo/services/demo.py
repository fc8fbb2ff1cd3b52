"""The demo: a synthetic consortium like the pilots, two years of it, written through the log.

`seed_demo` creates a data directory holding 164 members across every sector, the
programme's rules adopted by a governance vote, and N synthetic people (Thai, Chinese and
English names, made-up national ids) with what a pilot's members would have recorded about
them over the last two years: bank accounts, loans and bills, utility contracts and bills,
degrees and courses, bike rides and returns, cars bought and serviced, library loans and
volunteering, hospital visits (a special category: recorded, never scored). Each person's
registered name is a record of the city registry (`identity.registered`), sealed in the
vault like every payload. Most people enrol; many grant consents to banks, bike operators
and hotels, which read under them (some reads are refused: a consent revoked, expired, or
never given); providers ask about benefits; some people dispute a record (answered by the
member, expired unanswered, or still open). Everyone enrolled is scored in batch, for every
sixth month of the two years and now, so each score has a history.

Nothing is written around the log: every entry is sealed by the vault, signed by its member
(or by the operator as consent manager), validated and sequenced like any other, a thousand
at a time through `Node.submit`, and every outcome is checked. The history is real history
on the log: the node's sequencer runs on a clock that starts two years ago and moves forward
a month at a time, so entries carry the time they would have had; the last month ends now.

People are generated from a seed, so a seed gives the same people, records and choices
(entry tags, salts and keys are fresh every time, as they must be).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import multiprocessing
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from credo.errors import EntryRejected, InputError
from credo.ledger.dsse import encode_envelope, sign_envelope
from credo.ledger.entries import envelope_json, make_envelope
from credo.ledger.keys import MemberKey
from credo.ledger.schema import rfc3339
from credo.ledger.sequencer import Outcome
from credo.scoring import DEFAULT_RULES_BYTES
from credo.scoring.rules import load_rules
from credo.services import scores
from credo.services._demo_data import (
    CHINESE_FAMILY,
    CHINESE_GIVEN,
    ENGLISH_FAMILY,
    ENGLISH_GIVEN,
    MEMBERS_BY_SECTOR,
    THAI_FAMILY,
    THAI_GIVEN,
)
from credo.services.node import DEFAULT_ROLES, DataDir, Node, admit_members, init_consortium
from credo.services.people import BATCH, People, ReadRequest, RecordSpec
from credo.services.programme import Programme

DEMO_ORIGIN = "credo.example/demo"
ROSTER_FILE = "demo-people.json"
RULES_PROPOSAL = "rules-2026-1"
DEFAULT_PEOPLE = 10_000
DEFAULT_SEED = 2026

DAY = 86_400
HISTORY_DAYS = 730
STEPS = 24
"""The two years are written a month (730/24 days) at a time."""
ACTIVE_SHARE, ACTIVE_FACTOR, QUIET_FACTOR = 0.25, 1.8, 0.45
"""A quarter of the people are active: each kind of record is 1.8 times as likely for them,
0.45 times for the rest."""
SCORED_EVERY = 6
"""Everyone enrolled is scored in batch every sixth month, and at the end."""


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


@dataclass(frozen=True, slots=True)
class DemoPerson:
    """A person the portal offers to sign in as (their national id is made up)."""

    national_id: str
    name: str
    locale: str  # "th", "zh" or "en"
    profile: str  # what is interesting about them, in a line


Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``; phases ``members``, ``people``, ``records`` (every
personal entry, month by month) and ``scoring`` (batch rescorings)."""

PHASES = ("members", "people", "records", "scoring")
FATES = ("answered", "expired", "open")
"""What becomes of a dispute: the member answers it, nobody does in time, or it is new."""


def _no_progress(phase: str, done: int, total: int) -> None:
    del phase, done, total


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
class _Record:
    step: int
    member: str
    category: str
    type: str
    effective: int
    payload: dict[str, Any]
    record_id: str | None = None


@dataclass(slots=True)
class _Consent:
    step: int
    member: str
    purpose: str
    categories: list[str]
    days: int
    revoke_step: int | None = None
    read_step: int | None = None
    consent_id: str | None = None


@dataclass(slots=True)
class _Dispute:
    step: int
    record: int  # index into the person's records
    fate: str  # "answered", "expired" or "open"
    statement: str
    outcome: str = "upheld"
    dispute_id: str | None = None


@dataclass(slots=True)
class _Person:
    national_id: str
    name: str
    locale: str
    records: list[_Record] = field(default_factory=list)
    enrol_step: int | None = None
    consents: list[_Consent] = field(default_factory=list)
    dispute: _Dispute | None = None
    bogus_read_step: int | None = None
    benefit_checks: list[str] = field(default_factory=list)
    profile: str = ""


class _Timeline:
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


def _identity(person: _Person, registered: int) -> _Record:
    payload = {"name": person.name, "locale": person.locale}
    return _Record(0, REGISTRY, "identity", "identity.registered", registered, payload)


class _Planner:
    def __init__(self, rng: random.Random, timeline: _Timeline) -> None:
        self.rng = rng
        self.t = timeline
        self.disputes: list[str] = []  # the fates of the disputes planned so far

    def record(
        self, p: _Person, member: str, category: str, type_: str, when: float, **payload: Any
    ) -> None:
        moment = int(when)
        if moment > self.t.end:
            return
        step = self.t.step_of(moment)
        p.records.append(_Record(step, member, category, type_, moment, payload))

    def when(self, earliest: float | None = None) -> float:
        lo = self.t.start - 365 * DAY if earliest is None else earliest
        return self.rng.uniform(lo, self.t.end)

    def person(self, national_id: str, locale: str) -> _Person:
        rng, t = self.rng, self.t
        p = _Person(national_id, _name(rng, locale), locale)
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

    def programme(self, p: _Person) -> None:
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
            statement = rng.choice(
                [
                    "I never had this account.",
                    "This bill was paid on time; the date is wrong.",
                    "This was somebody else with my name.",
                    "I returned the bike on time; the dock was broken.",
                ]
            )
            p.dispute = _Dispute(step, n, fate, statement, outcome)
            self.disputes.append(fate)
        if p.enrol_step is not None and rng.random() < 0.06:
            p.benefit_checks.append(
                rng.choice(["bike-deposit-free", "hotel-deposit-waiver", "shopping-discount"])
            )

    def consent(self, p: _Person, member: str, purpose: str, categories: list[str]) -> None:
        rng = self.rng
        step = rng.randint(p.enrol_step or 0, STEPS)
        days = 90 if rng.random() < 0.3 else 365
        consent = _Consent(step, member, purpose, categories, days)
        if rng.random() < 0.1 and step < STEPS:
            consent.revoke_step = rng.randint(step + 1, STEPS)
        if rng.random() < 0.5:
            consent.read_step = min(STEPS, step + rng.randint(0, 6))
        p.consents.append(consent)


def _scripted(planner: _Planner) -> list[_Person]:
    """The people the README names, with the records it promises."""
    t = planner.t

    def ago(days: float) -> float:
        return t.end - days * DAY

    graduate = _Person("TH-1103700012345", "สมชาย ศรีสุข", "th", enrol_step=6)
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
        _Consent(
            STEPS, "first-bank", "credit_assessment", ["finance", "utilities"], 90, read_step=STEPS
        )
    )
    graduate.consents.append(_Consent(18, "orchid-palace", "service_provision", ["finance"], 365))
    graduate.bogus_read_step = STEPS
    graduate.profile = "graduate with a repaid loan; consents to First City Bank; a read refused"

    cyclist = _Person("CN-110101199003077777", "李明华", "zh", enrol_step=20)
    cyclist.records.append(_identity(cyclist, t.start - 8 * 365 * DAY))
    for day in range(1, 36):
        planner.record(cyclist, "citybikes", "mobility", "bike.returned_on_time", ago(day))
        planner.record(cyclist, "citybikes", "mobility", "ride.completed", ago(day))
    planner.record(cyclist, "city-registry", "civic", "volunteering.completed", ago(15))
    cyclist.consents.append(
        _Consent(21, "citybikes", "service_provision", ["mobility"], 365, read_step=23)
    )
    cyclist.benefit_checks.append("bike-deposit-free")
    cyclist.profile = "rides a city bike every day: rents without a deposit"

    newcomer = _Person("GB-QQ123456C", "Oliver Bennett", "en")
    newcomer.records.append(_identity(newcomer, t.start + 300 * DAY))
    planner.record(newcomer, "first-bank", "finance", "loan.opened", ago(90), source="demo")
    newcomer.dispute = _Dispute(STEPS, 1, "open", "I never opened this account.")
    newcomer.profile = "not enrolled; disputes a loan he never opened (open)"
    for p in (graduate, cyclist, newcomer):
        p.records.sort(key=lambda r: (r.step, r.effective))
    return [graduate, cyclist, newcomer]


def plan_people(count: int, seed: int, end: float) -> list[_Person]:
    """The three people the README names, then ``count`` generated from ``seed``."""
    rng = random.Random(seed)  # noqa: S311 - synthetic people, reproducible; no secret
    planner = _Planner(rng, _Timeline(end))
    people = _scripted(planner)
    seen = {p.national_id for p in people}
    while len(people) < count + 3:
        locale = rng.choices(["th", "zh", "en"], [0.55, 0.35, 0.10])[0]
        national_id = {"th": _thai_id, "zh": _chinese_id, "en": _british_id}[locale](rng)
        if national_id not in seen:
            seen.add(national_id)
            people.append(planner.person(national_id, locale))
    return people


# -- writing it ------------------------------------------------------------------------------


class _Clock:
    """The seeding node's clock: it moves a month at a time; the log judges entries by it.
    Released, it is the real clock again."""

    def __init__(self, moment: float) -> None:
        self.moment: float | None = moment

    def __call__(self) -> float:
        return time.time() if self.moment is None else self.moment

    def release(self) -> None:
        self.moment = None


def _digest(*parts: object) -> str:
    return "sha256:" + hashlib.sha256(" ".join(map(str, parts)).encode()).hexdigest()


class _Seeder:
    def __init__(self, node: Node, clock: _Clock, timeline: _Timeline, progress: Progress):
        self.node = node
        self.clock = clock
        self.t = timeline
        self.progress = progress
        self.people = People.open(node)
        self.programme = Programme(self.people)
        self.keys: dict[str, MemberKey] = {}
        self.refs: dict[str, str] = {}

    def move_to(self, step: int, offset: int = 0) -> str:
        """Set the log's clock to month ``step``'s end (plus ``offset`` seconds): the time of
        the entries written now."""
        moment = self.t.at(step) + offset
        self.clock.moment = moment
        return rfc3339(moment)

    def key(self, member: str) -> MemberKey:
        found = self.keys.get(member)
        if found is None:
            found = self.keys[member] = MemberKey.load(self.node.data.member_key(member))
        return found

    def ref(self, national_id: str) -> str:
        ref = self.refs.get(national_id)
        if ref is None:
            vault = self.people.vault  # a read first: a write would wait for the members'
            ref = vault.subject_ref(national_id) or vault.ensure_subject(national_id)
            self.refs[national_id] = ref
        return ref

    # -- the consortium --------------------------------------------------------------------

    def members(self) -> None:
        at = self.move_to(0, -2 * DAY)
        chunk = 41
        for start in range(0, len(MEMBERS), chunk):
            batch = MEMBERS[start : start + chunk]
            specs = [(m.id, m.name, m.sector, DEFAULT_ROLES[m.sector]) for m in batch]
            self.keys |= admit_members(self.node, specs, at)
            self.progress("members", start + len(batch), len(MEMBERS))
        diplomas = []
        for n in range(1, 4):
            digest = hashlib.sha256(f"demo diploma {n}".encode()).hexdigest()
            body = {
                "digest": f"sha256:{digest}",
                "doc_type": "diploma",
                "note": f"BSc, class of 202{n}",
            }
            diplomas.append(self._envelope("attestation.issue", "state-university", body, at))
        revoked = hashlib.sha256(b"demo diploma 3").hexdigest()
        body = {"digest": f"sha256:{revoked}", "reason": "issued in error"}
        diplomas.append(self._envelope("attestation.revoke", "state-university", body, at))
        self.people.submit_batch(diplomas)

    def _envelope(self, kind: str, by: str, body: dict[str, Any], at: str) -> dict[str, Any]:
        return envelope_json(make_envelope(kind, by, body, [self.key(by)], at=at))

    def rules(self) -> None:
        """Propose the programme's rules (a civil-society member) and vote them in: a few
        members abstain or vote no, the rest vote yes until the quorum adopts them."""
        at = self.move_to(0, -DAY)
        rules = load_rules(DEFAULT_RULES_BYTES)
        body = {
            "id": RULES_PROPOSAL,
            "action": "adopt_rules",
            "params": {"document": DEFAULT_RULES_BYTES.decode()},
            "rationale": "The programme's first rules: rewards only, for repaid loans, bills "
            "paid on time, bikes returned on time, degrees, library loans and volunteering; "
            f"{len(rules.benefits)} benefits from their providers.",
        }
        self.people.submit_batch([self._envelope("governance.propose", "rights-watch", body, at)])
        seats = [m for m in self.node.store.list_members() if "voter" in m.roles]
        num, den = json.loads(self.node.store.get_meta("quorum") or "[2, 3]")
        needed = math.ceil(len(seats) * num / den)
        # civil society first (they proposed it), then everyone else in the order admitted
        order = sorted(seats, key=lambda m: (m.sector != "civil_society", m.admitted_idx))
        ballots = [("no", m.id) for m in order[-3:]] + [("abstain", m.id) for m in order[-7:-3]]
        yes = [m.id for m in order[: len(order) - 7]][:needed]
        if len(yes) < needed:
            raise InputError("too few voters to adopt the demo's rules", code="no_quorum")
        votes = ballots + [("yes", member) for member in yes]
        envelopes = [
            self._envelope(
                "governance.vote", member, {"proposal": RULES_PROPOSAL, "vote": vote}, at
            )
            for vote, member in votes
        ]
        self.people.submit_batch(envelopes)
        proposal = self.node.store.get_proposal(RULES_PROPOSAL)
        if proposal is None or proposal.status != "adopted":
            raise InputError("the demo's rules were not adopted", code="not_adopted")

    # -- the people, month by month --------------------------------------------------------

    def people_entries(self, people: list[_Person]) -> None:
        """Month by month. Each month's records, enrolments and consent grants are sealed and
        signed by a second process (the members' side, `_prepare_records`, and the consent
        manager's, `_prepare_operator`) a month ahead, while this one has them validated on
        a worker and sequences them: two cores, one log."""
        total = sum(_entries(p) for p in people)
        by_step: list[list[tuple[_Person, _Record]]] = [[] for _ in range(STEPS + 1)]
        for p in people:
            for r in p.records:
                by_step[r.step].append((p, r))
        context = multiprocessing.get_context("spawn")
        root = str(self.node.data.root)
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="demo-submit", daemon=True)
        thread.start()
        try:
            with ProcessPoolExecutor(1, context, _worker_open, (root,)) as pool:

                def ahead(step: int) -> _Ahead:
                    """Month ``step``'s records, enrolments and consents, given to the
                    members' process to seal and sign."""
                    if step > STEPS:
                        return [], None, []
                    due, at = by_step[step], rfc3339(self.t.at(step) + 60)
                    records = [
                        pool.submit(
                            _prepare_records, [_spec(p, r) for p, r in due[i : i + BATCH]], at
                        )
                        for i in range(0, len(due), BATCH)
                    ]
                    granted = [c for p in people for c in p.consents if c.step == step]
                    items = [
                        *((p.national_id, None) for p in people if p.enrol_step == step),
                        *(
                            (p.national_id, _grant(c, self.t.at(step) + c.days * DAY))
                            for p in people
                            for c in p.consents
                            if c.step == step
                        ),
                    ]
                    return records, pool.submit(_prepare_operator, items, at), granted

                done = 0
                pending = ahead(0)
                for step in range(STEPS + 1):
                    (current, operator, granted), pending = pending, ([], None, [])
                    self.move_to(step, 60)
                    inflight: deque[Future[list[Outcome]]] = deque()
                    for n, future in enumerate(current):
                        if n == 0:
                            pending = ahead(step + 1)  # next month's, while this one's go in
                        record_ids, body = future.result()
                        chunk = by_step[step][n * BATCH : (n + 1) * BATCH]
                        for (_, r), record_id in zip(chunk, record_ids, strict=True):
                            r.record_id = record_id
                        submitted = self.node.ledger.submit_body(body)
                        inflight.append(asyncio.run_coroutine_threadsafe(submitted, loop))
                        while len(inflight) > 1:
                            done += _accepted(inflight.popleft().result())
                    while inflight:
                        done += _accepted(inflight.popleft().result())
                    if not current:
                        pending = ahead(step + 1)
                    if operator is not None:
                        consent_ids, body = operator.result()
                        for consent, consent_id in zip(granted, consent_ids, strict=True):
                            consent.consent_id = consent_id
                        if body:
                            submitted = self.node.ledger.submit_body(body)
                            future_outcomes = asyncio.run_coroutine_threadsafe(submitted, loop)
                            done += _accepted(future_outcomes.result())
                    done += self.month(step, people)
                    total = max(total, done)  # overdue disputes expire beyond the plan's count
                    self.progress("records", done, total)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()

    def month(self, step: int, people: list[_Person]) -> int:
        """Everything of month ``step`` after its records, enrolments and consents:
        revocations; then reads and disputes; then members' answers; then overdue disputes
        expire. At the end, scoring and providers' benefit questions."""
        at = self.move_to(step, 60)
        written = 0
        first: list[dict[str, Any]] = []
        for p in people:
            for c in p.consents:
                if c.revoke_step == step and c.consent_id is not None:
                    meta = {"id": c.consent_id, "reason": "revoked_by_person"}
                    first.append(
                        self.people.operator_envelope(
                            "consent.revoke", self.ref(p.national_id), meta, at
                        )
                    )
        written += len(self.people.submit_batch(first))
        at = self.move_to(step, 120)
        second: list[dict[str, Any]] = []
        for p in people:
            for c in p.consents:
                if c.read_step == step and c.consent_id is not None:
                    second.append(
                        self._read(p, c.member, c.purpose, c.consent_id, c.categories, at)
                    )
            if p.bogus_read_step == step:
                member = next(
                    (r.member for r in p.records if r.category == "finance"), "first-bank"
                )
                second.append(self._read(p, member, "credit_assessment", "0" * 32, ["finance"], at))
            d = p.dispute
            if d is not None and d.step == step:
                record = p.records[d.record]
                if record.record_id is None:
                    raise InputError("a disputed record was not written", code="demo_plan")
                d.dispute_id, env = self.programme.dispute_envelope(
                    p.national_id, record.record_id, d.statement, at
                )
                second.append(env)
        written += len(self.people.submit_batch(second))
        at = self.move_to(step, 180)
        third: list[dict[str, Any]] = []
        for p in people:
            d = p.dispute
            if d is not None and d.step == step and d.fate == "answered" and d.dispute_id:
                member = p.records[d.record].member
                meta = {
                    "id": d.dispute_id,
                    "outcome": d.outcome,
                    "evidence": "checked against our files",
                }
                prepared = self.people.prepare_entry(member, "dispute.answer", meta, at)
                signed = sign_envelope(prepared.payload_type, prepared.payload, [self.key(member)])
                third.append(envelope_json(signed))
        written += len(self.people.submit_batch(third))
        self.move_to(step, 240)
        now = datetime.fromtimestamp(self.t.at(step) + 240, UTC)
        written += len(self.programme.expire_overdue(now))
        if step == STEPS:
            self.rescore(people)
            written += self.benefit_checks(people)
        return written

    def _records(
        self, due: list[tuple[_Person, _Record]], signed: list[tuple[str | None, dict[str, Any]]]
    ) -> int:
        for (_, r), (record_id, _) in zip(due, signed, strict=True):
            r.record_id = record_id
        return len(self.people.submit_batch([envelope for _, envelope in signed]))

    def _read(
        self, p: _Person, member: str, purpose: str, basis: str, categories: list[str], at: str
    ) -> dict[str, Any]:
        request = ReadRequest(
            member,
            p.national_id,
            purpose,
            ("consent", basis),
            tuple(categories),
            _digest("demo read", member, basis, at),
        )
        return self.people.read_envelope(request, at)

    def rescore(self, people: list[_Person]) -> None:
        """Score everyone enrolled in batch, now and at the end of every third month: one read
        of the store, the records as they stand, each moment counting the records effective
        by then. The earlier moments are stored first, each for the people enrolled by then,
        so each person's score history starts when they enrolled."""
        store = self.node.store
        rules, digest = scores.adopted_rules(store)
        steps = [*range(SCORED_EVERY, STEPS, SCORED_EVERY), STEPS]
        moments = [self.t.at(step) for step in steps]
        self.progress("scoring", 0, len(steps) + 1)
        batches = scores.batch_scores_at(store, rules, digest, moments)
        self.progress("scoring", 1, len(steps) + 1)
        enrolled = {
            self.ref(p.national_id): self.t.at(p.enrol_step)
            for p in people
            if p.enrol_step is not None
        }
        for n, (moment, batch) in enumerate(zip(moments, batches, strict=True), start=2):
            due = {ref: s for ref, s in batch.items() if enrolled.get(ref, moment) <= moment}
            scores.switch_rules(store, digest, due)
            self.progress("scoring", n, len(steps) + 1)

    def benefit_checks(self, people: list[_Person]) -> int:
        """Providers ask, at the end, whether some enrolled people earn their benefit."""
        at = self.move_to(STEPS, 300)
        rules, _ = scores.rules_in_force(self.node.store)
        benefits = {b.id: b for b in rules.benefits}
        envelopes = []
        for p in people:
            for benefit_id in p.benefit_checks:
                benefit = benefits[benefit_id]
                ref = self.ref(p.national_id)
                envelopes.append(
                    self.programme.benefit_check_envelope(
                        benefit.provider,
                        ref,
                        benefit.id,
                        benefit.context,
                        True,
                        "ok",
                        _digest("demo benefit", benefit.id, p.national_id),
                        at,
                    )
                )
        return len(self.people.submit_batch(envelopes))


def _spec(p: _Person, r: _Record) -> RecordSpec:
    return RecordSpec(r.member, p.national_id, r.category, r.type, r.payload, rfc3339(r.effective))


_WORKER: dict[str, Any] = {}


def _worker_open(root: str) -> None:
    """In the members' process: the data directory's node (never written through) for the
    members' checks and the vault, and the members' keys."""
    node = Node(DataDir(Path(root))).start()
    _WORKER.update(node=node, people=People.open(node), keys={})


def _prepare_records(specs: list[RecordSpec], at: str) -> tuple[list[str | None], bytes]:
    """Seal the records (`People.prepare_records`: the vault's one transaction) and sign each
    with its member's key, as the member would: the record ids, and the signed envelopes as
    the body of a ``POST /v1/entries``."""
    node: Node = _WORKER["node"]
    people: People = _WORKER["people"]
    keys: dict[str, MemberKey] = _WORKER["keys"]
    record_ids: list[str | None] = []
    envelopes: list[bytes] = []
    for spec, entry in zip(specs, people.prepare_records(specs, at), strict=True):
        key = keys.get(spec.member_id)
        if key is None:
            key = keys[spec.member_id] = MemberKey.load(node.data.member_key(spec.member_id))
        record_ids.append(entry.record_id)
        envelopes.append(encode_envelope(sign_envelope(entry.payload_type, entry.payload, [key])))
    return record_ids, b'{"entries":[' + b",".join(envelopes) + b"]}"


_Grant = tuple[str, str, list[str], str]
"""A consent to prepare: member, purpose, categories, valid until."""
_Ahead = tuple[
    list[Future[tuple[list[str | None], bytes]]],
    Future[tuple[list[str | None], bytes]] | None,
    list[_Consent],
]


def _grant(c: _Consent, until: float) -> _Grant:
    return c.member, c.purpose, c.categories, rfc3339(until)


def _prepare_operator(
    items: list[tuple[str, _Grant | None]], at: str
) -> tuple[list[str | None], bytes]:
    """Enrolments (no grant) and consent grants, sealed and signed as the operator (the
    consent manager) would: the consent ids, in order, and the envelopes as a body."""
    people: People = _WORKER["people"]
    vault = people.vault
    consent_ids: list[str | None] = []
    envelopes = []
    for national_id, grant in items:
        if grant is None:
            ref = vault.subject_ref(national_id) or vault.ensure_subject(national_id)
            envelopes.append(people.operator_envelope("programme.enrol", ref, {}, at))
        else:
            member, purpose, categories, until = grant
            consent_id, envelope = people.consent_envelope(
                national_id, member, purpose, categories, until, at=at
            )
            consent_ids.append(consent_id)
            envelopes.append(envelope)
    if not envelopes:
        return consent_ids, b""
    return consent_ids, json.dumps({"entries": envelopes}, separators=(",", ":")).encode()


def _accepted(outcomes: list[Outcome]) -> int:
    """How many were accepted; raise the first refusal (every outcome is checked)."""
    for outcome in outcomes:
        if isinstance(outcome, EntryRejected):
            raise outcome
    return len(outcomes)


def _entries(p: _Person) -> int:
    """How many personal entries the plan writes for ``p`` (expiries aside)."""
    count = len(p.records) + (p.enrol_step is not None) + len(p.benefit_checks)
    for c in p.consents:
        count += 1 + (c.revoke_step is not None) + (c.read_step is not None)
    count += p.bogus_read_step is not None
    if p.dispute is not None:
        count += 1 + (p.dispute.fate == "answered")
    return count


# -- the roster ------------------------------------------------------------------------------


def _roster(seeder: _Seeder, plan: list[_Person]) -> list[DemoPerson]:
    """A dozen varied people to sign in as: the README's three, then the first generated
    person who fits each profile (the same ones for the same seed)."""
    store = seeder.node.store
    picked: list[DemoPerson] = [
        DemoPerson(p.national_id, p.name, p.locale, p.profile) for p in plan[:3]
    ]
    taken = {p.national_id for p in plan[:3]}
    rest = plan[3:]

    def score_of(p: _Person) -> tuple[int, str] | None:
        ref = seeder.refs.get(p.national_id) or seeder.people.vault.subject_ref(p.national_id)
        row = None if ref is None else store.get_score(ref)
        return None if row is None else (row.score, row.tier)

    def take(p: _Person | None, profile: str) -> None:
        if p is not None and p.national_id not in taken:
            taken.add(p.national_id)
            picked.append(DemoPerson(p.national_id, p.name, p.locale, profile))

    for locale, who in (("th", "Thai"), ("zh", "Chinese")):
        scored = [(score_of(p), n, p) for n, p in enumerate(rest) if p.locale == locale]
        best = max(
            ((s, -n, p) for s, n, p in scored if s is not None),
            default=None,
            key=lambda x: (x[0][0], x[1]),
        )
        if best is not None:
            (points, tier), _, person = best
            take(person, f"the highest score of the {who} names: {points} ({tier})")

    def first(test: Callable[[_Person], bool]) -> _Person | None:
        return next((p for p in rest if p.national_id not in taken and test(p)), None)

    def fate(name: str) -> Callable[[_Person], bool]:
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
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def is_demo(data: DataDir) -> bool:
    """Did `seed_demo` create this data directory?"""
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


def seed_demo(
    root: Path,
    people: int = DEFAULT_PEOPLE,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    store_url: str | None = None,
) -> Node:
    """Create the demo consortium in ``root`` (which must not hold one) and return its node,
    whose clock is the real one again; its log and state in the (empty) PostgreSQL database
    at ``store_url`` if given (bench_people.py serves one to several processes)."""
    if not 0 <= people <= 1_000_000:
        raise InputError("the demo has 0 to 1,000,000 people", code="bad_people")
    report = progress or _no_progress
    timeline = _Timeline(time.time() - 600)  # the last entries are written a little before now
    clock = _Clock(timeline.at(0) - 3 * DAY)
    init_consortium(
        root, DEMO_ORIGIN, store_url=store_url, clock=clock, extra_config={"demo": True}
    ).close()
    node = Node(
        DataDir(root, store_url), workers=1, clock=clock
    ).start()  # validation on a worker process
    try:
        seeder = _Seeder(node, clock, timeline, report)
        seeder.members()
        seeder.rules()
        report("people", 0, people)
        plan = plan_people(people, seed, timeline.end)
        report("people", people, people)
        seeder.people_entries(plan)
        write_roster(node.data, _roster(seeder, plan))
    except BaseException:
        node.close()
        raise
    finally:
        clock.release()
    return node
