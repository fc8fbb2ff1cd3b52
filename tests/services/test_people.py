"""What the log says about people, from a stranger's side: nothing that links two entries.

Many synthetic people get records, consents, reads (granted and refused), enrolments,
disputes and benefit questions, in a shuffled order, as the services write them. Then the
test plays an attacker holding every public byte of the log and groups the people's entries
by every value they carry (and by the length of each value): no grouping may say which
entries belong to one person better than chance. The operator's own view (which subject each
tag names) is the ground truth.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from credo.ledger.entries import statement_of
from credo.ledger.kinds import PERSONAL_KINDS
from credo.services.programme import Programme
from credo.services.reads import ReadRequest
from tests._people import FAR_FUTURE
from tests.conftest import member_key

PEOPLE = [f"LINK{n:04d}" for n in range(24)]
DIGEST = "sha256:" + "ab" * 32
RECORDERS = [
    ("bank", "finance", "loan.repaid"),
    ("uni", "education", "degree.awarded"),
    ("clinic", "health", "visit.completed"),
]
TOKEN = re.compile(rb"[A-Za-z0-9+/=_-]{16,}")


def _actions(prog: Programme, data_dir: Path, rng: random.Random) -> list[Callable[[], None]]:
    """Each person's life on the log, as closures to be run in a shuffled order; the steps
    that need an earlier one (a dispute needs its record) run after it."""
    people = prog.people
    keys = {m: member_key(data_dir, m) for m, _, _ in RECORDERS}
    records: dict[str, list[str]] = defaultdict(list)

    def put(nid: str) -> Callable[[], None]:
        member, category, type_ = rng.choice(RECORDERS)

        def run() -> None:
            record, _ = people.records.put(keys[member], member, nid, category, type_, {"n": 1})
            records[nid].append(record)

        return run

    def read(nid: str, consent: str) -> Callable[[], None]:
        basis = ("consent", consent)
        return lambda: _ignore(
            people.reads.read(
                ReadRequest("bank", nid, "credit_assessment", basis, ("finance",), DIGEST)
            )
        )

    def dispute(nid: str) -> Callable[[], None]:
        return lambda: _ignore(records[nid] and prog.open_dispute(nid, records[nid][0], "not mine"))

    first: list[Callable[[], None]] = []
    later: list[Callable[[], None]] = []
    for nid in PEOPLE:
        first.append(put(nid))
        later += [put(nid), put(nid), dispute(nid), read(nid, "0" * 32)]
        later.append(lambda nid=nid: _ignore(prog.enrol(nid)))
        later.append(
            lambda nid=nid: _ignore(
                people.consents.grant(nid, "bank", "credit_assessment", ["finance"], FAR_FUTURE)
            )
        )
        later.append(
            lambda nid=nid: _ignore(
                prog.log_benefit_check(
                    "uni",
                    people.known(nid),
                    "low-rate-loan",
                    "finance",
                    False,
                    "not_provider",
                    DIGEST,
                )
            )
        )
    rng.shuffle(first)
    rng.shuffle(later)
    return first + later


def _ignore(_: object) -> None:
    return None


def _fields(envelope: bytes) -> Iterator[tuple[str, str]]:
    """Every value an entry carries in public, and the length of each, by where it is."""
    env = json.loads(envelope)
    statement = json.loads(base64.b64decode(env["payload"]))
    leaves: list[tuple[str, Any]] = [("payloadType", env["payloadType"])]
    for n, sig in enumerate(env["signatures"]):
        leaves += [(f"signatures.{n}.keyid", sig["keyid"]), (f"signatures.{n}.sig", sig["sig"])]
    leaves += [(k, v) for k, v in statement.items() if k != "body"]
    leaves += [(f"body.{k}", v) for k, v in statement["body"].items()]
    for where, value in leaves:
        yield where, str(value)
        yield f"len({where})", str(len(str(value)))
    yield "len(entry)", str(len(envelope))


def _personal(prog: Programme) -> list[tuple[int, bytes, str]]:
    """(index, stored bytes, whom it concerns) of every personal entry, the subject taken
    from the operator's own records (the tags the vault resolved)."""
    store = prog.store
    out = []
    for index, data in store.iter_entries():
        statement = statement_of(data)
        if statement["kind"] in PERSONAL_KINDS:
            subject = store.tag_subject(statement["body"]["tag"])
            assert subject is not None
            out.append((index, data, subject))
    return out


@pytest.fixture
def logged(prog: Programme, data_dir: Path) -> list[tuple[int, bytes, str]]:
    for action in _actions(prog, data_dir, random.Random(20261201)):
        action()
    return _personal(prog)


def test_grouping_entries_by_any_public_value_does_no_better_than_chance(
    logged: list[tuple[int, bytes, str]],
) -> None:
    people = Counter(subject for _, _, subject in logged)
    assert len(logged) > 150
    assert sum(n >= 6 for n in people.values()) >= len(PEOPLE)  # each person has a history
    total_pairs = math.comb(len(logged), 2)
    same_pairs = sum(math.comb(n, 2) for n in people.values())
    chance = same_pairs / total_pairs
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for _, data, subject in logged:
        for where, value in _fields(data):
            groups[(where, value)].append(subject)
    by_field: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (where, _), subjects in groups.items():
        by_field[where][0] += math.comb(len(subjects), 2)
        by_field[where][1] += sum(math.comb(n, 2) for n in Counter(subjects).values())
    assert {"body.tag", "body.sealed", "body.commitment", "at", "by"} <= set(by_field)
    for where, (pairs, same) in by_field.items():
        # what grouping by this field guesses right, against a binomial at the chance rate
        bound = pairs * chance + 4 * math.sqrt(pairs * chance * (1 - chance)) + 1
        assert same <= bound, f"{where}: {same} of {pairs} pairs right, chance {chance:.3f}"


def test_no_long_token_recurs_in_two_personal_entries(
    logged: list[tuple[int, bytes, str]],
) -> None:
    """Apart from the member's key id and the kind, which name a member and a kind."""
    seen: dict[bytes, int] = {}
    for index, data, _ in logged:
        env = json.loads(data)
        statement = base64.b64decode(env["payload"])
        body = json.dumps(json.loads(statement)["body"]).encode()
        sigs = " ".join(s["sig"] for s in env["signatures"]).encode()
        for token in set(TOKEN.findall(body + b" " + sigs)):
            assert token not in seen, f"{token!r} in entries {seen.get(token)} and {index}"
            seen[token] = index


def test_the_operator_links_what_the_stranger_cannot(logged: list[tuple[int, bytes, str]]) -> None:
    """The ground truth is real: the vault's view groups every person's entries."""
    by_subject: dict[str, list[int]] = defaultdict(list)
    for index, _, subject in logged:
        by_subject[subject].append(index)
    assert max(len(v) for v in by_subject.values()) >= 6
    assert all(a < b for v in by_subject.values() for a, b in itertools.pairwise(v))
