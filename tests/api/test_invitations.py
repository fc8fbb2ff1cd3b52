"""POST /v1/people/invitations: a registrar's signed call issues a person's enrolment code."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from credo.api import create_app
from credo.ledger.keys import MemberKey
from credo.services.accounts import Accounts
from credo.services.node import DataDir, Node, admit_member
from credo.services.people import People
from credo.settings import Settings
from credo.store.sqlite.database import SqliteDatabase
from tests._authenticator import SoftAuthenticator
from tests._people import NID, key_of, signed_post

PATH = "/v1/people/invitations"
CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


@pytest.fixture
def api(data_dir: Path) -> Iterator[TestClient]:
    """The test consortium with a government member holding the registrar role."""
    node = Node(DataDir(data_dir)).start()
    try:
        admit_member(node, "gov", "Test Registry", "government", ["issuer", "registrar"])
    finally:
        node.close()
    settings = Settings(data_dir=data_dir, workers=0, public_url="https://portal.credo.test")
    with TestClient(create_app(settings)) as client:
        yield client


def test_a_registrar_issues_a_code_the_person_enrols_with(api: TestClient, data_dir: Path) -> None:
    r = signed_post(api, key_of(data_dir, "gov"), PATH, {"national_id": NID})
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert set(body) == {"code", "expires_at", "kind", "log_index"}
    assert body["kind"] == "enrolment"
    assert CODE.fullmatch(body["code"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["expires_at"])
    assert NID not in r.text
    accounts: Accounts = api.app.state.accounts  # type: ignore[attr-defined]
    assert (accounts.rp_id, accounts.origin) == ("portal.credo.test", "https://portal.credo.test")
    device = SoftAuthenticator("portal.credo.test", "https://portal.credo.test")
    ceremony, options = accounts.begin_registration(body["code"])
    subject = accounts.finish_registration(ceremony, device.create(options))
    node = Node(DataDir(data_dir)).start()
    try:
        people = People.open(node)
        assert people.subject_ref(NID) == subject  # the person's own ref, in the vault
        # the issue is on the log, sealed for the person, naming the registrar
        [entry] = [e.to_json() for e in people.rights.entries_of(subject)]
        assert entry["index"] == body["log_index"]
        assert (entry["kind"], entry["by"]) == ("account.code", "operator")
        assert entry["metadata"]["member"] == "gov"
        assert entry["metadata"]["code"] == "enrolment"
        assert entry["metadata"]["expires_at"] == body["expires_at"]
        assert body["code"].replace("-", "") not in json.dumps(entry)
        [passkey] = accounts.credentials_of(subject)
        assert passkey["code"]["issued_by"] == "gov"
        assert passkey["code"]["log_index"] == body["log_index"]
        assert passkey["code"]["code_id"] == entry["metadata"]["code_id"]
        assert people.rights.export_of(subject).to_json()["entries"] == [entry]
    finally:
        node.close()


def test_a_new_code_supersedes_the_last(api: TestClient, data_dir: Path) -> None:
    key = key_of(data_dir, "gov")
    first = signed_post(api, key, PATH, {"national_id": NID}).json()["code"]
    second = signed_post(api, key, PATH, {"national_id": NID.lower()}).json()["code"]
    accounts: Accounts = api.app.state.accounts  # type: ignore[attr-defined]
    accounts.begin_registration(second)
    with pytest.raises(Exception, match="not valid"):
        accounts.begin_registration(first)


@pytest.mark.parametrize(
    ("signer", "status", "code"),
    [
        (None, 401, "unauthenticated"),
        ("stranger", 401, "unknown_member"),
        ("bank", 403, "role_not_allowed"),
        ("operator", 403, "role_not_allowed"),
        ("uni", 403, "role_not_allowed"),
    ],
)
def test_only_registrars_may_issue_codes(
    api: TestClient, data_dir: Path, signer: str | None, status: int, code: str
) -> None:
    key = None
    if signer == "stranger":
        key = MemberKey.generate()
    elif signer is not None:
        key = key_of(data_dir, signer)
    r = signed_post(api, key, PATH, {"national_id": NID})
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert (problem["status"], problem["code"]) == (status, code)
    assert NID not in r.text


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"national_id": "!!"}', "bad_national_id"),
        (b'{"national_id": 12}', "bad_request"),
        (b'{"nid": "ZX-9876-5432"}', "bad_request"),
        (b"not json", "bad_request"),
    ],
)
def test_malformed_bodies_are_400_problems(
    api: TestClient, data_dir: Path, body: bytes, code: str
) -> None:
    r = signed_post(api, key_of(data_dir, "gov"), PATH, body)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == code
    assert "9876" not in r.text


def test_the_invitation_is_documented(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    operation = spec["paths"][PATH]["post"]
    assert operation["security"] == [{"Signature": [], "SignatureInput": []}]
    assert {"201", "401", "403"} <= set(operation["responses"])


def tree_size(data_dir: Path) -> int:
    node = Node(DataDir(data_dir)).start()
    try:
        return node.store.tree_size()
    finally:
        node.close()


def test_a_recovery_code_is_logged_as_one(api: TestClient, data_dir: Path) -> None:
    body = {"national_id": NID, "kind": "recovery"}
    r = signed_post(api, key_of(data_dir, "gov"), PATH, body)
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "recovery"
    node = Node(DataDir(data_dir)).start()
    try:
        people = People.open(node)
        subject = people.subject_ref(NID)
        assert subject is not None
        [entry] = [e.to_json() for e in people.rights.entries_of(subject)]
        assert entry["metadata"]["code"] == "recovery"
        assert entry["metadata"]["member"] == "gov"
    finally:
        node.close()


@pytest.mark.parametrize(
    ("signer", "body"),
    [
        ("bank", {"national_id": NID}),  # no registrar role
        ("gov", {"national_id": NID, "kind": "device"}),  # not a kind a member issues
        ("gov", {"national_id": "!!"}),
    ],
)
def test_a_refused_invitation_writes_nothing(
    api: TestClient, data_dir: Path, signer: str, body: dict[str, str]
) -> None:
    size = tree_size(data_dir)
    r = signed_post(api, key_of(data_dir, signer), PATH, body)
    assert r.status_code in (400, 403), r.text
    assert tree_size(data_dir) == size


def test_codes_are_rate_limited_per_person_and_per_registrar(
    api: TestClient, data_dir: Path
) -> None:
    """3 codes a day for one person, from all registrars together; 60 an hour from one
    registrar. Past either: 429 with Retry-After, and no code issued."""
    key = key_of(data_dir, "gov")
    for _ in range(3):
        assert signed_post(api, key, PATH, {"national_id": NID}).status_code == 201
    fourth = signed_post(api, key, PATH, {"national_id": NID})
    assert fourth.status_code == 429, fourth.text
    assert fourth.json()["code"] == "too_many_attempts"
    assert int(fourth.headers["retry-after"]) > 0
    assert NID not in fourth.text
    issued = 3
    for n in range(100):
        r = signed_post(api, key, PATH, {"national_id": f"ZX-5555-{n:04d}"})
        if r.status_code == 429:
            break
        assert r.status_code == 201, r.text
        issued += 1
    assert issued == 59  # the registrar's 60 an hour: 3 for NID, the refused 4th, 56 others
    assert r.json()["code"] == "too_many_attempts"


def test_issuing_does_the_same_work_for_known_and_unknown_ids(
    api: TestClient, data_dir: Path
) -> None:
    """The reservation behind a code reads one row, unwraps one key, wraps one and writes one
    row whether or not the person is on file: counted on a counting key and the database,
    not timed (a probe measured a 0.25 ms gap when an unknown id alone was written)."""
    node: Node = api.app.state.node  # type: ignore[attr-defined]
    counting = _CountingKey(node.vault._master)
    node.vault._master = counting
    assert node.vault._rows is not None
    # the SQLite vault's connection counts rows written; a PostgreSQL vault's rows are not
    # counted here (CREDO_TEST_STORE=postgres), only its key operations
    db = node.vault._rows.db
    conn = db.connection if isinstance(db, SqliteDatabase) else None
    key = key_of(data_dir, "gov")
    assert signed_post(api, key, PATH, {"national_id": "ZX-7000-0001"}).status_code == 201

    def work(national_id: str) -> tuple[dict[str, int], int]:
        counting.calls.clear()
        changes = conn.total_changes if conn is not None else 0
        r = signed_post(api, key, PATH, {"national_id": national_id})
        assert r.status_code == 201, r.text
        return dict(counting.calls), (conn.total_changes - changes if conn is not None else 1)

    known = work("ZX-7000-0001")  # reserved above
    unknown = work("ZX-7000-0002")  # never seen
    assert known == unknown
    # the reservation (one lookup, one unwrap, one wrap, one row) and the code's sealed
    # entry on the log (`account.code`: its key unwrapped, a tag made and read back)
    assert known[0] == {
        "lookup": 1, "unwrap_data_key": 3, "wrap_data_key": 1, "entry_tag": 1, "tag_subject": 1
    }  # fmt: skip
    assert known[1] == 1  # one vault row written and committed either way


class _CountingKey:
    """A vault key that counts the operations asked of it, then does them with the real one."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> object:
        attr = getattr(self.inner, name)
        if not callable(attr) or name in ("close",):
            return attr

        def counted(*args: object) -> object:
            self.calls[name] = self.calls.get(name, 0) + 1
            return attr(*args)

        return counted
