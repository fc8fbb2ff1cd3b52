"""The demo's seeding: a synthetic consortium like the pilots, two years of it, written through
the log (the people from `credo.demo.plan`, the roster picked by `credo.demo.roster`).

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
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from credo.demo.cast import REGISTRY_OFFICES
from credo.demo.consultations import seed_consultations
from credo.demo.member_words import DISPUTE_ANSWERS, contact_of, names_of
from credo.demo.plan import (
    DAY,
    MEMBERS,
    STEPS,
    ConsentPlan,
    PersonPlan,
    RecordPlan,
    Timeline,
    plan_people,
)
from credo.demo.roster import pick_roster, write_roster
from credo.demo.signing import Grant, MembersProcess, Signed
from credo.errors import EntryRejected, InputError
from credo.ledger.dsse import sign_envelope
from credo.ledger.entries import envelope_json, make_envelope
from credo.ledger.keys import MemberKey
from credo.ledger.schema import rfc3339
from credo.ledger.sequencer import Outcome
from credo.scoring import DEFAULT_RULES_BYTES
from credo.scoring.rules import load_rules
from credo.services import scores
from credo.services.node import DEFAULT_ROLES, DataDir, Node, admit_members, init_consortium
from credo.services.people import BATCH, People
from credo.services.programme import Programme
from credo.services.reads import ReadRequest
from credo.services.records import RecordSpec
from credo.vault.hsm import Pkcs11Config

DEMO_ORIGIN = "credo.example/demo"
RULES_PROPOSAL = "rules-2026-1"
DEFAULT_PEOPLE = 10_000
DEFAULT_SEED = 2026
SCORED_EVERY = 6
"""Everyone enrolled is scored in batch every sixth month, and at the end."""


Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``; phases ``members``, ``people``, ``records`` (every
personal entry, month by month) and ``scoring`` (batch rescorings)."""

DEMO_TIME_ZONE = "Asia/Bangkok"
"""The demo consortium's time zone, in its config: its people live in Bangkok."""

PHASES = ("members", "people", "records", "scoring")


def _no_progress(phase: str, done: int, total: int) -> None:
    del phase, done, total


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
    def __init__(self, node: Node, clock: _Clock, timeline: Timeline, progress: Progress):
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

    def score_of(self, national_id: str) -> tuple[int, str] | None:
        """The person's score and tier, None if they have none (`pick_roster`)."""
        ref = self.refs.get(national_id) or self.people.vault.subject_ref(national_id)
        row = None if ref is None else self.node.store.get_score(ref)
        return None if row is None else (row.score, row.tier)

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
            specs = [(m.id, m.name, m.sector, _roles(m.id, m.sector)) for m in batch]
            profiles = {m.id: (names_of(m.id, m.name), contact_of(m.id)) for m in batch}
            self.keys |= admit_members(self.node, specs, at, profiles)
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

    def people_entries(self, people: list[PersonPlan]) -> None:
        """Month by month. Each month's records, enrolments and consent grants are sealed and
        signed by a second process (the members' and the consent manager's,
        `credo.demo.signing`) a month ahead, while this one has them validated on
        a worker and sequences them: two cores, one log."""
        total = sum(_entries(p) for p in people)
        by_step: list[list[tuple[PersonPlan, RecordPlan]]] = [[] for _ in range(STEPS + 1)]
        for p in people:
            for r in p.records:
                by_step[r.step].append((p, r))
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="demo-submit", daemon=True)
        thread.start()
        try:
            with MembersProcess(self.node.data.root) as pool:

                def ahead(step: int) -> _Ahead:
                    """Month ``step``'s records, enrolments and consents, given to the
                    members' process to seal and sign."""
                    if step > STEPS:
                        return [], None, []
                    due, at = by_step[step], rfc3339(self.t.at(step) + 60)
                    records = [
                        pool.records([_spec(p, r) for p, r in due[i : i + BATCH]], at)
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
                    return records, pool.operator(items, at), granted

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

    def month(self, step: int, people: list[PersonPlan]) -> int:
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
                    "evidence": DISPUTE_ANSWERS[p.locale],
                }
                prepared = self.people.records.prepare_entry(member, "dispute.answer", meta, at)
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

    def _read(
        self, p: PersonPlan, member: str, purpose: str, basis: str, categories: list[str], at: str
    ) -> dict[str, Any]:
        request = ReadRequest(
            member,
            p.national_id,
            purpose,
            ("consent", basis),
            tuple(categories),
            _digest("demo read", member, basis, at),
        )
        return self.people.reads.envelope(request, at)

    def rescore(self, people: list[PersonPlan]) -> None:
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

    def benefit_checks(self, people: list[PersonPlan]) -> int:
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


def _spec(p: PersonPlan, r: RecordPlan) -> RecordSpec:
    return RecordSpec(r.member, p.national_id, r.category, r.type, r.payload, rfc3339(r.effective))


_Ahead = tuple[list[Future[Signed]], Future[Signed] | None, list[ConsentPlan]]


def _grant(c: ConsentPlan, until: float) -> Grant:
    return c.member, c.purpose, c.categories, rfc3339(until)


def _accepted(outcomes: list[Outcome]) -> int:
    """How many were accepted; raise the first refusal (every outcome is checked)."""
    for outcome in outcomes:
        if isinstance(outcome, EntryRejected):
            raise outcome
    return len(outcomes)


def _entries(p: PersonPlan) -> int:
    """How many personal entries the plan writes for ``p`` (expiries aside)."""
    count = len(p.records) + (p.enrol_step is not None) + len(p.benefit_checks)
    for c in p.consents:
        count += 1 + (c.revoke_step is not None) + (c.read_step is not None)
    count += p.bogus_read_step is not None
    if p.dispute is not None:
        count += 1 + (p.dispute.fate == "answered")
    return count


def _roles(member_id: str, sector: str) -> list[str]:
    """A demo member's roles: its sector's, and registrar for a registry office only."""
    extra = ["registrar"] if member_id in REGISTRY_OFFICES else []
    return DEFAULT_ROLES[sector] + extra


def seed_demo(
    root: Path,
    people: int = DEFAULT_PEOPLE,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    hsm: Pkcs11Config | None = None,
    store_url: str | None = None,
) -> Node:
    """Create the demo consortium in ``root`` (which must not hold one) and return its node,
    whose clock is the real one again. With ``hsm`` its vault's key is generated in that
    PKCS#11 token (`credo demo --hsm`) instead of DIR/master.key; with ``store_url`` its log,
    state and people's data live in that (empty) PostgreSQL database (`credo demo --db`, for
    bench_people.py's several processes)."""
    if not 0 <= people <= 1_000_000:
        raise InputError("the demo has 0 to 1,000,000 people", code="bad_people")
    report = progress or _no_progress
    timeline = Timeline(time.time() - 600)  # the last entries are written a little before now
    clock = _Clock(timeline.at(0) - 3 * DAY)
    init_consortium(
        root,
        DEMO_ORIGIN,
        store_url=store_url,
        clock=clock,
        extra_config={"demo": True, "time_zone": DEMO_TIME_ZONE},
        hsm=hsm,
    ).close()
    node = Node(DataDir(root, store_url), workers=1, clock=clock).start()  # validation: a worker
    try:
        seeder = _Seeder(node, clock, timeline, report)
        seeder.members()
        seeder.rules()
        report("people", 0, people)
        plan = plan_people(people, seed, timeline.end)
        report("people", people, people)
        seeder.people_entries(plan)
        refs = [seeder.ref(p.national_id) for p in plan]
        seed_consultations(node, refs, clock())  # one open (for a proposal), one closed
        write_roster(node.data, pick_roster(plan, seeder.score_of))
    except BaseException:
        node.close()
        raise
    finally:
        clock.release()
    return node
