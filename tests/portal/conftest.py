"""A small consortium with two people, served with the portal, and a way to sign in as each."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from credo import portal
from credo.api import create_app
from credo.ledger.keys import MemberKey
from credo.portal.web import RosterPerson
from credo.services.node import DataDir, Node, admit_member, init_consortium
from credo.services.people import People
from credo.services.programme import Programme
from credo.services.reads import ReadRequest
from credo.settings import Settings
from tests.conftest import MEMBERS, ORIGIN, adopt_default_rules

ALICE = "TH-1103700099991"
BOB = "CN-110101199001019999"
FUTURE = "2099-01-01T00:00:00Z"
DIGEST = "sha256:" + "ab" * 32


@dataclass
class Person:
    national_id: str
    subject: str
    records: list[str]
    consent: str
    dispute: str | None


@dataclass
class World:
    root: Path
    alice: Person
    bob: Person


def _seed(root: Path) -> World:
    node = init_consortium(root, ORIGIN)
    people: dict[str, Person] = {}
    try:
        for member_id, name, sector, roles in MEMBERS:
            admit_member(node, member_id, name, sector, roles)
        adopt_default_rules(node)
        service = People.open(node)
        programme = Programme(service)
        bank = MemberKey.load(node.data.member_key("bank"))
        for nid in (ALICE, BOB):
            records = [
                service.records.put(
                    bank,
                    "bank",
                    nid,
                    "finance",
                    "loan.repaid",
                    {"amount": n},
                    f"2026-0{n}-01T00:00:00Z",
                )[0]
                for n in (1, 2, 3)
            ]
            programme.enrol(nid)
            consent, _ = service.consents.grant(
                nid, "bank", "credit_assessment", ["finance"], FUTURE
            )
            subject = service.known(nid)
            assert subject is not None
            people[nid] = Person(nid, subject, records, consent, None)
        people[BOB].dispute = programme.open_dispute(BOB, people[BOB].records[0], "Not mine.")
        service.reads.read(
            ReadRequest(
                "bank",
                ALICE,
                "credit_assessment",
                ("consent", people[ALICE].consent),
                ("finance",),
                DIGEST,
            )
        )
    finally:
        node.close()
    return World(root, people[ALICE], people[BOB])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return _seed(tmp_path_factory.mktemp("portal") / "data")


def portal_app(root: Path, roster: Sequence[RosterPerson] = ()) -> FastAPI:
    settings = Settings(data_dir=root, workers=0, public_url="http://localhost")
    return create_app(settings, [lambda app: portal.install(app, root, roster=roster)])


@contextmanager
def portal_client(root: Path, roster: Sequence[RosterPerson] = ()) -> Iterator[TestClient]:
    with TestClient(portal_app(root, roster), base_url="http://localhost") as c:
        yield c


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    """A client of the module's shared world: for tests that change nothing in it."""
    with portal_client(world.root) as c:
        yield c


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[tuple[World, TestClient]]:
    """A world of the test's own, for tests that change it."""
    world = _seed(tmp_path / "data")
    with portal_client(world.root) as c:
        yield world, c


def sign_in(client: TestClient, subject: str) -> str:
    """Start a session for ``subject`` as a passkey sign-in would; returns its CSRF token."""
    session = client.app.state.accounts.start_session(subject)  # type: ignore[attr-defined]
    client.cookies.set("credo_session", session.token)
    return session.csrf


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def node_of(client: TestClient) -> Node:
    node: Node = client.app.state.node  # type: ignore[attr-defined]
    return node


__all__ = ["ALICE", "BOB", "DataDir", "World", "csrf_of", "node_of", "sign_in"]
