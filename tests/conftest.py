"""Fixtures shared by every layer's tests: a real consortium in a temporary data directory."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from credo.api import create_app
from credo.ledger.entries import envelope_json, make_envelope
from credo.ledger.keys import MemberKey
from credo.services.node import DataDir, Node, admit_member, init_consortium
from credo.settings import Settings
from tests import _postgres

ORIGIN = "credo.test/log"

# (id, name, sector, roles): one member per sector the tests need.
MEMBERS = [
    ("uni", "Test University", "university", ["issuer", "recorder", "reader"]),
    ("bank", "Test Bank", "bank", ["recorder", "reader", "provider"]),
    ("clinic", "Test Clinic", "hospital", ["recorder", "reader"]),
    ("watch", "Test Watchdog", "civil_society", ["voter", "witness"]),
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first: tests marked ``slow``, then the end-to-end ones, then the rest, each in
    file order. With the suite spread over workers (pytest-xdist, ``scripts/test``), a long
    test handed out last would leave the other workers idle while it runs."""

    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("slow") is not None:
            return 0
        return 1 if item.nodeid.startswith("tests/e2e/") else 2

    items.sort(key=rank)


@pytest.fixture(scope="session")
def postgres() -> Iterator[_postgres.Server]:
    """A throwaway PostgreSQL server for the session (tests/_postgres.py). Without Debian's
    PostgreSQL installed this fails in CI (CI=true) and skips elsewhere."""
    server = _postgres.Server(_postgres.require_bin())
    try:
        server.start()
        yield server
    finally:
        server.stop()


TEST_STORE = os.environ.get("CREDO_TEST_STORE", "sqlite")
"""The store behind the ``data_dir`` fixture's consortium: ``sqlite`` (DIR/ledger.db), or
``postgres`` (a fresh schema on the session's throwaway server, recorded in config.json)."""


@pytest.fixture
def store_url(request: pytest.FixtureRequest) -> str | None:
    """Where ``data_dir`` puts its store: None for DIR/ledger.db, else a PostgreSQL URL."""
    if TEST_STORE == "sqlite":
        return None
    assert TEST_STORE == "postgres", f"CREDO_TEST_STORE is sqlite or postgres, not {TEST_STORE}"
    server: _postgres.Server = request.getfixturevalue("postgres")
    return server.fresh_url()


@pytest.fixture
def data_dir(tmp_path: Path, store_url: str | None) -> Path:
    """A consortium with genesis and the MEMBERS admitted; keys in DIR/keys."""
    root = tmp_path / "data"
    ledger = init_consortium(root, ORIGIN, store_url=store_url)
    try:
        for member_id, name, sector, roles in MEMBERS:
            admit_member(ledger, member_id, name, sector, roles)
    finally:
        ledger.close()
    return root


@pytest.fixture
def ledger(data_dir: Path) -> Iterator[Node]:
    led = Node(DataDir(data_dir)).start()
    yield led
    led.close()


@pytest.fixture
def client(data_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data_dir=data_dir, workers=0))) as c:
        yield c


def member_key(data_dir: Path, member_id: str) -> MemberKey:
    return MemberKey.load(DataDir(data_dir).member_key(member_id))


def attestation(data_dir: Path, n: int, by: str = "uni") -> dict[str, object]:
    """A signed attestation.issue envelope (as JSON) for document number ``n``."""
    digest = hashlib.sha256(f"document {n}".encode()).hexdigest()
    body = {"digest": f"sha256:{digest}", "doc_type": "diploma"}
    return envelope_json(make_envelope("attestation.issue", by, body, [member_key(data_dir, by)]))


def adopt_default_rules(ledger: Node, proposal: str = "rules-1") -> None:
    """Adopt the default rules through governance: the operator proposes, the two voters in
    MEMBERS (operator and watch) make the 2/3 quorum."""
    from credo.scoring import DEFAULT_RULES_BYTES

    body = {
        "id": proposal,
        "action": "adopt_rules",
        "params": {"document": DEFAULT_RULES_BYTES.decode()},
    }
    ledger.submit_one("governance.propose", "operator", body)
    for voter in ("operator", "watch"):
        ledger.submit_one("governance.vote", voter, {"proposal": proposal, "vote": "yes"})
    assert ledger.store.current_rules() is not None
