"""A new device needs the old one, or time (credo.services.accounts): the cooling-off ends on
its own, a recovery code's passkey replaces every other unless the person objects, an
objection freezes the account until a review, and a device link works at once. Codes are
logged through a journal that records what it is given (the real one is People; the portal
and API tests use it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from credo.errors import AuthenticationError, Conflict, CredoError, InputError, NotFound
from credo.ledger.sequencer import Accepted
from credo.services.accounts import Accounts, Journal, device_of, passkey_name
from credo.store.accounts import AccountStore
from tests._authenticator import SoftAuthenticator, b64url
from tests.services.test_accounts import ALICE, BOB, ORIGIN, RP_ID, Clock

HOURS = 3600
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
LINUX_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


class Log:
    """A journal that keeps the personal entries it is asked to write, in order."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str | None, dict[str, Any], str | None]] = []

    def submit_personal(
        self, kind: str, subject: str | None, meta: dict[str, Any], at: str | None = None
    ) -> Accepted:
        self.entries.append((kind, subject, meta, at))
        return Accepted(len(self.entries), bytes(32))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def log() -> Log:
    return Log()


@pytest.fixture(params=["sqlite", "postgres"])
def accounts(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[Accounts]:
    """The service on each backend of its store in turn."""
    location: str | Path = tmp_path / "accounts.db"
    if request.param == "postgres":
        location = request.getfixturevalue("postgres").fresh_url()
    a = Accounts(
        AccountStore(location).open(),
        rp_id=RP_ID,
        origin=ORIGIN,
        cooling_off_hours=72,
        clock=clock,
    )
    yield a
    a.close()


def device() -> SoftAuthenticator:
    return SoftAuthenticator(RP_ID, ORIGIN)


def enrol(
    accounts: Accounts, journal: Journal, phone: SoftAuthenticator, kind: str = "enrolment"
) -> str:
    """Register ``phone`` with a registrar's code; the state the passkey is in."""
    code = accounts.issue(journal, ALICE, "registry", kind).code  # type: ignore[arg-type]
    ceremony, options = accounts.begin_registration(code)
    return accounts.register(ceremony, phone.create(options)).state


def sign_in(accounts: Accounts, phone: SoftAuthenticator) -> str:
    ceremony, options = accounts.begin_authentication()
    return accounts.authenticate(ceremony, phone.get(options)).subject


def refused_with(code: str, call: Any, *args: Any) -> None:
    with pytest.raises(CredoError) as err:
        call(*args)
    assert err.value.code == code, (err.value.code, err.value.message)


def states(accounts: Accounts) -> dict[str, str]:
    return {p["id"]: p["state"] for p in accounts.credentials_of(ALICE)}


def test_every_code_is_logged_first_naming_its_issuer(accounts: Accounts, log: Log) -> None:
    issued = accounts.issue(log, ALICE, "registry", "recovery")
    [(kind, subject, meta, at)] = log.entries
    assert (kind, subject) == ("account.code", ALICE)
    assert meta == {
        "member": "registry",
        "code": "recovery",
        "code_id": issued.code_id,
        "expires_at": issued.expires_at,
    }
    assert at == "2027-01-15T08:00:00Z"
    assert issued.log_index == 1
    assert issued.code.replace("-", "") not in repr(log.entries)
    refused_with("bad_code_kind", accounts.issue, log, ALICE, "registry", "device")
    assert len(log.entries) == 1


def test_a_code_whose_entry_is_refused_makes_no_code(accounts: Accounts) -> None:
    class Refusing:
        def submit_personal(self, *args: Any, **kw: Any) -> Accepted:
            raise Conflict("the log refused it", code="refused")

    with pytest.raises(Conflict):
        accounts.issue(Refusing(), ALICE, "registry")
    assert accounts.store.credentials_of(ALICE) == []
    with accounts.store._live().read("test") as st:
        assert st.one("SELECT count(*) FROM invites") == (0,)


def test_a_second_passkey_waits_out_the_cooling_off_then_works(
    accounts: Accounts, log: Log, clock: Clock
) -> None:
    phone, laptop = device(), device()
    assert enrol(accounts, log, phone) == "active"  # no passkey yet: at once
    assert enrol(accounts, log, laptop) == "pending"
    [waiting] = accounts.pending(ALICE)
    assert waiting["pending_until"] == "2027-01-18T08:00:00Z"  # 72 hours
    assert waiting["code"]["issued_by"] == "registry"
    refused_with("passkey_pending", sign_in, accounts, laptop)
    clock.advance(72 * HOURS - 1)
    refused_with("passkey_pending", sign_in, accounts, laptop)
    clock.advance(1)
    assert sign_in(accounts, laptop) == ALICE
    assert accounts.pending(ALICE) == []
    assert sign_in(accounts, phone) == ALICE  # an ordinary addition replaces nothing


def test_approval_from_a_passkey_session_and_refusal_with_the_attempt_logged(
    accounts: Accounts, log: Log
) -> None:
    phone, laptop, intruder = device(), device(), device()
    enrol(accounts, log, phone)
    enrol(accounts, log, laptop)
    enrol(accounts, log, intruder)
    own = accounts.start_session(ALICE, credential=phone.credentials[0].id)
    bare = accounts.start_session(ALICE)  # not signed in with a passkey
    refused_with("needs_passkey", accounts.approve, bare, b64url(laptop.credentials[0].id))
    accounts.approve(own, b64url(laptop.credentials[0].id))
    assert sign_in(accounts, laptop) == ALICE
    intruder_id = b64url(intruder.credentials[0].id)
    index = accounts.refuse(log, ALICE, intruder_id)
    assert log.entries[index - 1][:3] == (
        "account.device",
        ALICE,
        {"event": "refused", "code_id": log.entries[2][2]["code_id"]},
    )
    refused_with("unknown_passkey", sign_in, accounts, intruder)
    assert states(accounts)[intruder_id] == "refused"  # listed for good
    refused_with("not_pending", accounts.refuse, log, ALICE, intruder_id)
    refused_with("not_pending", accounts.approve, own, intruder_id)


def test_a_recovery_replaces_every_passkey_once_the_cooling_off_ends(
    accounts: Accounts, log: Log, clock: Clock
) -> None:
    phone, laptop, found = device(), device(), device()
    enrol(accounts, log, phone)
    session = accounts.start_session(ALICE, credential=phone.credentials[0].id)
    assert enrol(accounts, log, found, "recovery") == "pending"
    [waiting] = accounts.pending(ALICE)
    assert waiting["recovery"]
    refused_with("not_pending", accounts.approve, session, waiting["id"])  # waits, or objected to
    refused_with("not_pending", accounts.refuse, log, ALICE, waiting["id"])
    refused_with("recovery_waits", accounts.remove_passkey, ALICE, waiting["id"])
    enrol(accounts, log, laptop)  # an ordinary device added meanwhile is replaced too
    clock.advance(72 * HOURS)
    refused_with("unknown_passkey", sign_in, accounts, phone)  # whichever signs in first
    assert accounts.session(session.token) is None  # the old devices are signed out
    assert sign_in(accounts, found) == ALICE
    assert states(accounts) == {
        b64url(phone.credentials[0].id): "replaced",
        b64url(laptop.credentials[0].id): "replaced",
        b64url(found.credentials[0].id): "active",
    }


def test_an_objection_freezes_the_account_until_a_review(
    accounts: Accounts, log: Log, clock: Clock
) -> None:
    phone, found = device(), device()
    enrol(accounts, log, phone)
    session = accounts.start_session(ALICE, credential=phone.credentials[0].id)
    enrol(accounts, log, found, "recovery")
    refused_with("no_recovery", accounts.object, log, BOB)
    accounts.object(log, ALICE)
    assert log.entries[-1][2]["event"] == "objected"
    assert accounts.frozen(ALICE)
    assert accounts.session(session.token) is None
    clock.advance(100 * HOURS)  # neither side wins by waiting
    refused_with("account_frozen", sign_in, accounts, phone)
    refused_with("account_frozen", sign_in, accounts, found)
    refused_with("account_frozen", accounts.start_session, ALICE)
    code = accounts.issue(log, ALICE, "registry").code
    refused_with("account_frozen", accounts.begin_registration, code)

    accounts.review(log, ALICE, "keep")
    assert log.entries[-1][2]["event"] == "kept"
    assert not accounts.frozen(ALICE)
    assert sign_in(accounts, phone) == ALICE
    refused_with("unknown_passkey", sign_in, accounts, found)
    refused_with("not_frozen", accounts.review, log, ALICE, "keep")


def test_a_review_may_complete_the_recovery(accounts: Accounts, log: Log) -> None:
    phone, found = device(), device()
    enrol(accounts, log, phone)
    enrol(accounts, log, found, "recovery")
    accounts.object(log, ALICE)
    accounts.review(log, ALICE, "recover")
    assert log.entries[-1][2]["event"] == "recovered"
    assert sign_in(accounts, found) == ALICE
    refused_with("unknown_passkey", sign_in, accounts, phone)


def test_a_device_link_works_once_at_once_and_only_from_a_passkey_session(
    accounts: Accounts, log: Log, clock: Clock
) -> None:
    phone, laptop = device(), device()
    enrol(accounts, log, phone)
    refused_with("needs_passkey", accounts.device_link, accounts.start_session(ALICE))
    link = accounts.device_link(accounts.start_session(ALICE, credential=phone.credentials[0].id))
    assert link.expires_at == "2027-01-15T08:15:00Z"
    registrar = accounts.issue(log, ALICE, "registry").code  # a link supersedes no code
    ceremony, options = accounts.begin_registration(link.code)
    assert accounts.register(ceremony, laptop.create(options)).state == "active"
    assert sign_in(accounts, laptop) == ALICE
    refused_with("bad_enrolment_code", accounts.begin_registration, link.code)
    accounts.begin_registration(registrar)
    [added] = [p for p in accounts.credentials_of(ALICE) if p["code"]["kind"] == "device"]
    assert (added["state"], added["code"]["issued_by"]) == ("active", None)
    late = accounts.device_link(accounts.start_session(ALICE, credential=phone.credentials[0].id))
    clock.advance(15 * 60)
    refused_with("bad_enrolment_code", accounts.begin_registration, late.code)


def test_names_sessions_and_somebody_elses_ids(accounts: Accounts, log: Log) -> None:
    phone = device()
    enrol(accounts, log, phone)
    pid = b64url(phone.credentials[0].id)
    accounts.rename_passkey(ALICE, pid, "  Grandma's\u00a0 phone ")
    assert accounts.credentials_of(ALICE)[0]["name"] == "Grandma's phone"
    for bad in ("", " ", "x" * 61, "evil\u202etxt", "\u200b\u200b", "a\x00b", "a\nb\x07"):
        refused_with("bad_name", accounts.rename_passkey, ALICE, pid, bad)
    for call, args in [
        (accounts.rename_passkey, (BOB, pid, "mine")),
        (accounts.remove_passkey, (BOB, pid)),
        (accounts.refuse, (log, BOB, pid)),
        (accounts.rename_passkey, (ALICE, "!!", "x")),
        (accounts.remove_passkey, (ALICE, b64url(b"no such passkey"))),
    ]:
        with pytest.raises(NotFound) as err:
            call(*args)
        assert err.value.code == "unknown_device"
    assert states(accounts) == {pid: "active"}

    mine = accounts.start_session(
        ALICE,
        user_agent=IPHONE,
    )
    other = accounts.start_session(
        ALICE,
        user_agent=LINUX_CHROME,
    )
    bobs = accounts.start_session(BOB)
    listed = accounts.sessions_of(ALICE)
    assert {(s["browser"], s["system"]) for s in listed} == {
        ("Safari", "iPhone"),
        ("Chrome", "Linux"),
    }
    assert all("ip" not in s for s in listed)
    with pytest.raises(NotFound):
        accounts.end_session_of(BOB, mine.id)
    assert accounts.session(mine.token) is not None
    accounts.end_session_of(ALICE, other.id)
    assert accounts.session(other.token) is None
    third = accounts.start_session(ALICE)
    assert accounts.end_other_sessions(mine) == 1
    assert accounts.session(third.token) is None
    assert accounts.session(mine.token) is not None
    assert accounts.session(bobs.token) is not None  # nobody else's


def test_device_descriptions_are_coarse() -> None:
    assert device_of(None) == "|"
    assert (
        device_of(LINUX_CHROME.replace("X11; Linux x86_64", "Windows NT 10.0") + " Edg/131.0")
        == "Edge|Windows"
    )
    assert (
        device_of(
            "Mozilla/5.0 (Linux; Android 14) SamsungBrowser/25.0 Chrome/121.0 Mobile Safari/537.36"
        )
        == "Samsung Internet|Android"
    )
    assert device_of("<script>alert(1)</script> 192.0.2.7") == "|"
    assert passkey_name(" a ") == "a"
    with pytest.raises(InputError):
        passkey_name(None)


def test_an_older_accounts_file_gains_the_new_columns(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "accounts.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE invites (code_hash TEXT PRIMARY KEY, subject TEXT NOT NULL,
            issued_by TEXT NOT NULL, issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
            used_at INTEGER) WITHOUT ROWID;
        CREATE TABLE credentials (credential_id BLOB PRIMARY KEY, subject TEXT NOT NULL,
            public_key BLOB NOT NULL, sign_count INTEGER NOT NULL, transports TEXT NOT NULL,
            created_at INTEGER NOT NULL, last_used_at INTEGER) WITHOUT ROWID;
        CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, subject TEXT NOT NULL,
            csrf TEXT NOT NULL, created_at INTEGER NOT NULL, last_seen INTEGER NOT NULL,
            expires_at INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO credentials VALUES (x'01', 'a1a1', x'02', 0, '[]', 5, NULL);
        """
    )
    conn.close()
    store = AccountStore(path).open()
    try:
        [old] = store.credentials_of("a1a1")
        assert (old.state, old.name, old.code_kind) == ("active", None, None)
    finally:
        store.close()


def test_a_pending_passkey_cannot_be_signed_in_even_when_its_signature_verifies(
    accounts: Accounts, log: Log
) -> None:
    phone, laptop = device(), device()
    enrol(accounts, log, phone)
    enrol(accounts, log, laptop)
    with pytest.raises(AuthenticationError) as err:
        sign_in(accounts, laptop)
    assert err.value.code == "passkey_pending"
    assert "2027-01-18T08:00:00Z" in err.value.message
    [pending] = [p for p in accounts.credentials_of(ALICE) if p["state"] == "pending"]
    assert pending["last_used_at"] is None  # the refused attempt counted nothing


def test_the_old_sessions_end_when_a_recovery_completes_without_a_sign_in(
    accounts: Accounts, log: Log, clock: Clock
) -> None:
    phone, found = device(), device()
    enrol(accounts, log, phone)
    enrol(accounts, log, found, "recovery")
    clock.advance(72 * HOURS - 60)
    session = accounts.start_session(ALICE, credential=phone.credentials[0].id)
    assert accounts.session(session.token) is not None  # told, and still able to object
    clock.advance(60)
    assert accounts.session(session.token) is None
    assert states(accounts)[b64url(phone.credentials[0].id)] == "replaced"
