"""credo.services.accounts: enrolment codes, passkeys (real WebAuthn verification, against a
software authenticator) and sessions, each refusal for the right reason."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import cbor2
import pytest

from credo.errors import AuthenticationError, Conflict, CredoError, InputError
from credo.services.accounts import CEREMONY_SECONDS, Accounts, relying_party
from credo.services.node import DataDir
from credo.store.accounts import AccountStore
from tests._authenticator import SoftAuthenticator, b64url, unb64url

RP_ID = "portal.credo.test"
ORIGIN = "https://portal.credo.test"
ALICE = "a1" * 16
BOB = "b2" * 16
START = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where the accounts are: every test of the service runs on both backends."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres").fresh_url()
        return url
    return tmp_path / "accounts.db"


@pytest.fixture
def db(location: str | Path) -> Path:
    """The SQLite file, for the tests of the bytes it holds (on PostgreSQL, a pg_dump's:
    tests/e2e/test_erasure_postgres.py)."""
    if not isinstance(location, Path):
        pytest.skip("reads the bytes of the SQLite file")
    return location


@pytest.fixture
def accounts(location: str | Path, clock: Clock) -> Iterator[Accounts]:
    a = Accounts(AccountStore(location).open(), rp_id=RP_ID, origin=ORIGIN, clock=clock)
    yield a
    a.close()


@pytest.fixture
def device() -> SoftAuthenticator:
    return SoftAuthenticator(RP_ID, ORIGIN)


def enrol(accounts: Accounts, device: SoftAuthenticator, subject: str = ALICE) -> None:
    code = accounts.invite(subject, "gov").code
    ceremony, options = accounts.begin_registration(code)
    assert accounts.finish_registration(ceremony, device.create(options)) == subject


def sign_in(accounts: Accounts, device: SoftAuthenticator, **bend: object) -> str:
    ceremony, options = accounts.begin_authentication()
    return accounts.finish_authentication(ceremony, device.get(options, **bend))  # type: ignore[arg-type]


def refused(err: pytest.ExceptionInfo[CredoError], code: str) -> None:
    assert err.value.code == code, (err.value.code, err.value.message)


# -- the whole path --------------------------------------------------------------------------


def test_enrol_sign_in_and_hold_a_session(accounts: Accounts, device: SoftAuthenticator) -> None:
    enrol(accounts, device)
    assert sign_in(accounts, device) == ALICE
    session = accounts.start_session(ALICE)
    assert session.subject == ALICE
    found = accounts.session(session.token)
    assert found is not None
    assert (found.subject, found.csrf, found.token) == (ALICE, session.csrf, session.token)
    [passkey] = accounts.credentials_of(ALICE)
    assert passkey["id"] == b64url(device.credentials[0].id)
    assert passkey["state"] == "active"
    assert passkey["code"]["issued_by"] == "gov"
    assert passkey["created_at"] == passkey["last_used_at"] == "2027-01-15T08:00:00Z"
    assert passkey["transports"] == ["internal", "hybrid"]
    accounts.end_session(session.token)
    assert accounts.session(session.token) is None


def test_the_options_ask_for_a_discoverable_passkey_and_name_nobody(
    accounts: Accounts,
) -> None:
    code = accounts.invite(ALICE, "gov").code
    _, options_json = accounts.begin_registration(code)
    options = json.loads(options_json)
    assert options["rp"] == {"id": RP_ID, "name": "credo"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["attestation"] == "none"
    assert options["timeout"] == CEREMONY_SECONDS * 1000
    assert ALICE not in options_json  # the user handle is random, the subject stays here
    _, again = accounts.begin_registration(code)
    assert json.loads(again)["user"]["id"] != options["user"]["id"]
    _, sign_in_json = accounts.begin_authentication()
    assert json.loads(sign_in_json)["allowCredentials"] == []


def test_a_second_passkey_is_excluded_from_the_first_ones_authenticator(
    accounts: Accounts, device: SoftAuthenticator
) -> None:
    enrol(accounts, device)
    code = accounts.invite(ALICE, "gov").code
    _, options = accounts.begin_registration(code)
    excluded = json.loads(options)["excludeCredentials"]
    assert [c["id"] for c in excluded] == [b64url(device.credentials[0].id)]
    phone = SoftAuthenticator(RP_ID, ORIGIN)
    enrol(accounts, phone)
    assert len(accounts.credentials_of(ALICE)) == 2
    assert sign_in(accounts, device) == ALICE
    with pytest.raises(AuthenticationError) as err:  # a second passkey waits (cooling-off)
        sign_in(accounts, phone)
    refused(err, "passkey_pending")


# -- enrolment codes -------------------------------------------------------------------------


def test_codes_look_like_codes_and_read_forgivingly(accounts: Accounts) -> None:
    codes = {accounts.invite(f"{n:032x}", "gov").code for n in range(50)}
    assert len(codes) == 50
    for code in codes:
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){2}", code), code
    invite = accounts.invite(ALICE, "gov")
    assert invite.expires_at == "2027-01-29T08:00:00Z"  # 14 days
    typed = invite.code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    accounts.begin_registration(f"  {typed} ")
    assert invite.code not in repr(invite)


def test_unknown_used_and_expired_codes_are_refused_alike(
    accounts: Accounts, device: SoftAuthenticator, clock: Clock
) -> None:
    messages = set()
    used = accounts.invite(ALICE, "gov").code
    ceremony, options = accounts.begin_registration(used)
    accounts.finish_registration(ceremony, device.create(options))
    expired = accounts.invite(BOB, "gov").code
    clock.advance(14 * 86400)
    for code in ("0000-0000-0000", "not a code", "", used, expired):
        with pytest.raises(InputError) as err:
            accounts.begin_registration(code)
        refused(err, "bad_enrolment_code")
        messages.add(err.value.message)
        assert code not in err.value.message or not code
    assert len(messages) == 1


def test_a_code_expires_at_the_second_given(accounts: Accounts, clock: Clock) -> None:
    code = accounts.invite(ALICE, "gov").code
    clock.advance(14 * 86400 - 1)
    accounts.begin_registration(code)
    clock.advance(1)
    with pytest.raises(InputError) as err:
        accounts.begin_registration(code)
    refused(err, "bad_enrolment_code")


def test_a_new_code_supersedes_the_unused_one(accounts: Accounts) -> None:
    old = accounts.invite(ALICE, "gov").code
    new = accounts.invite(ALICE, "gov").code
    with pytest.raises(InputError) as err:
        accounts.begin_registration(old)
    refused(err, "bad_enrolment_code")
    accounts.begin_registration(new)
    accounts.invite(BOB, "gov")  # somebody else's code supersedes nothing of Alice's
    accounts.begin_registration(new)


def test_a_code_registers_one_passkey_even_with_two_ceremonies(
    accounts: Accounts, device: SoftAuthenticator
) -> None:
    code = accounts.invite(ALICE, "gov").code
    first, first_options = accounts.begin_registration(code)
    second, second_options = accounts.begin_registration(code)
    accounts.finish_registration(first, device.create(first_options))
    other = SoftAuthenticator(RP_ID, ORIGIN)
    with pytest.raises(InputError) as err:
        accounts.finish_registration(second, other.create(second_options))
    refused(err, "bad_enrolment_code")
    assert len(accounts.credentials_of(ALICE)) == 1


def test_a_code_that_expires_during_the_ceremony_registers_nothing(
    accounts: Accounts, device: SoftAuthenticator, clock: Clock
) -> None:
    code = accounts.invite(ALICE, "gov").code
    clock.advance(14 * 86400 - 10)
    ceremony, options = accounts.begin_registration(code)
    clock.advance(10)
    with pytest.raises(InputError) as err:
        accounts.finish_registration(ceremony, device.create(options))
    refused(err, "bad_enrolment_code")
    assert accounts.credentials_of(ALICE) == []


# -- registration refusals -------------------------------------------------------------------


def begun(accounts: Accounts) -> tuple[str, str]:
    return accounts.begin_registration(accounts.invite(ALICE, "gov").code)


def test_registration_from_another_origin_is_refused(
    accounts: Accounts, device: SoftAuthenticator
) -> None:
    ceremony, options = begun(accounts)
    with pytest.raises(CredoError) as err:
        accounts.finish_registration(ceremony, device.create(options, origin="https://evil.test"))
    refused(err, "passkey_not_verified")
    assert "origin" in err.value.message
    assert accounts.credentials_of(ALICE) == []


def test_registration_over_another_challenge_is_refused(
    accounts: Accounts, device: SoftAuthenticator
) -> None:
    ceremony, options = begun(accounts)
    with pytest.raises(CredoError) as err:
        accounts.finish_registration(ceremony, device.create(options, challenge=b64url(b"x" * 32)))
    refused(err, "passkey_not_verified")
    assert "challenge" in err.value.message


def test_registration_for_another_rp_id_is_refused(
    accounts: Accounts, device: SoftAuthenticator
) -> None:
    ceremony, options = begun(accounts)
    with pytest.raises(CredoError) as err:
        accounts.finish_registration(ceremony, device.create(options, rp_id="evil.test"))
    refused(err, "passkey_not_verified")


def test_a_registration_without_user_presence_is_refused(
    accounts: Accounts, device: SoftAuthenticator
) -> None:
    ceremony, options = begun(accounts)
    response = device.parsed(device.create(options))
    attestation = cbor2.loads(unb64url(response["response"]["attestationObject"]))
    auth_data = bytearray(attestation["authData"])
    auth_data[32] &= ~0x01  # UP off
    attestation["authData"] = bytes(auth_data)
    response["response"]["attestationObject"] = b64url(cbor2.dumps(attestation))
    with pytest.raises(CredoError) as err:
        accounts.finish_registration(ceremony, json.dumps(response))
    refused(err, "passkey_not_verified")


def test_user_verification_is_not_required(accounts: Accounts) -> None:
    device = SoftAuthenticator(RP_ID, ORIGIN, user_verified=False)
    enrol(accounts, device)
    assert sign_in(accounts, device) == ALICE


def test_a_ceremony_is_single_use(accounts: Accounts, device: SoftAuthenticator) -> None:
    ceremony, options = begun(accounts)
    response = device.create(options)
    with pytest.raises(CredoError) as err:
        accounts.finish_registration(ceremony, device.create(options, origin="https://evil.test"))
    refused(err, "passkey_not_verified")
    with pytest.raises(CredoError) as err:  # a failed attempt used the ceremony up too
        accounts.finish_registration(ceremony, response)
    refused(err, "unknown_ceremony")


def test_a_replayed_registration_is_refused(accounts: Accounts, device: SoftAuthenticator) -> None:
    code = accounts.invite(ALICE, "gov").code
    ceremony, options = accounts.begin_registration(code)
    response = device.create(options)
    accounts.finish_registration(ceremony, response)
    with pytest.raises(CredoError) as err:
        accounts.finish_registration(ceremony, response)
    refused(err, "unknown_ceremony")
    # The same response under a new ceremony answers the old challenge.
    again, _ = accounts.begin_registration(accounts.invite(ALICE, "gov").code)
    with pytest.raises(CredoError) as err:
        accounts.finish_registration(again, response)
    refused(err, "passkey_not_verified")


def test_a_ceremony_expires_after_five_minutes(
    accounts: Accounts, device: SoftAuthenticator, clock: Clock
) -> None:
    ceremony, options = begun(accounts)
    clock.advance(CEREMONY_SECONDS)
    with pytest.raises(CredoError) as err:
        accounts.finish_registration(ceremony, device.create(options))
    refused(err, "unknown_ceremony")
    ceremony, options = accounts.begin_authentication()
    clock.advance(CEREMONY_SECONDS)
    with pytest.raises(CredoError) as err:
        accounts.finish_authentication(ceremony, "{}")
    refused(err, "unknown_ceremony")


def test_ceremonies_keep_their_kind(accounts: Accounts, device: SoftAuthenticator) -> None:
    enrol(accounts, device)
    ceremony, options = accounts.begin_authentication()
    with pytest.raises(CredoError) as err:
        accounts.finish_registration(ceremony, device.get(options))
    refused(err, "unknown_ceremony")
    ceremony, options = begun(accounts)
    with pytest.raises(CredoError) as err:
        accounts.finish_authentication(ceremony, device.create(options))
    refused(err, "unknown_ceremony")
    for nonsense in ("", "x" * 500, "no-such-ceremony"):
        with pytest.raises(CredoError) as err:
            accounts.finish_authentication(nonsense, "{}")
        refused(err, "unknown_ceremony")


@pytest.mark.parametrize(
    "response",
    ["", "not json", "[]", "{}", '{"id": "AA", "rawId": "AA", "response": {}}', "x" * 70_000],
)
def test_malformed_responses_are_clear_refusals(
    accounts: Accounts, device: SoftAuthenticator, response: str
) -> None:
    ceremony, _ = begun(accounts)
    with pytest.raises(InputError) as err:
        accounts.finish_registration(ceremony, response)
    refused(err, "bad_credential")
    enrol(accounts, device)
    ceremony, _ = accounts.begin_authentication()
    with pytest.raises(InputError) as err:
        accounts.finish_authentication(ceremony, response)
    refused(err, "bad_credential")


def test_a_passkey_registers_once(accounts: Accounts, device: SoftAuthenticator) -> None:
    ceremony, options = begun(accounts)
    response = device.parsed(device.create(options))
    accounts.finish_registration(ceremony, json.dumps(response))
    # The same credential again, honestly signed over a new ceremony's challenge.
    ceremony, options = begun(accounts)
    again = device.parsed(device.create(options))
    client_data = json.loads(unb64url(again["response"]["clientDataJSON"]))
    assert client_data["challenge"] == json.loads(options)["challenge"]
    first = cbor2.loads(unb64url(response["response"]["attestationObject"]))
    again["response"]["attestationObject"] = b64url(cbor2.dumps(first))
    again["id"] = again["rawId"] = response["id"]
    with pytest.raises(Conflict) as err:
        accounts.finish_registration(ceremony, json.dumps(again))
    refused(err, "passkey_exists")


# -- sign-in refusals ------------------------------------------------------------------------


def test_sign_in_from_another_origin_is_refused(
    accounts: Accounts, device: SoftAuthenticator
) -> None:
    enrol(accounts, device)
    with pytest.raises(AuthenticationError) as err:
        sign_in(accounts, device, origin="https://evil.test")
    refused(err, "passkey_not_verified")


def test_sign_in_over_another_challenge_is_refused(
    accounts: Accounts, device: SoftAuthenticator
) -> None:
    enrol(accounts, device)
    with pytest.raises(AuthenticationError) as err:
        sign_in(accounts, device, challenge=b64url(b"y" * 32))
    refused(err, "passkey_not_verified")


def test_a_replayed_sign_in_is_refused(accounts: Accounts, device: SoftAuthenticator) -> None:
    enrol(accounts, device)
    ceremony, options = accounts.begin_authentication()
    response = device.get(options)
    assert accounts.finish_authentication(ceremony, response) == ALICE
    with pytest.raises(CredoError) as err:
        accounts.finish_authentication(ceremony, response)
    refused(err, "unknown_ceremony")
    again, _ = accounts.begin_authentication()
    with pytest.raises(AuthenticationError) as err:
        accounts.finish_authentication(again, response)
    refused(err, "passkey_not_verified")


def test_a_forged_signature_is_refused(accounts: Accounts, device: SoftAuthenticator) -> None:
    enrol(accounts, device)
    ceremony, options = accounts.begin_authentication()
    response = device.parsed(device.get(options))
    other = SoftAuthenticator(RP_ID, ORIGIN)
    other.create(accounts.begin_registration(accounts.invite(BOB, "gov").code)[1])
    forged = other.parsed(other.get(options))
    response["response"]["signature"] = forged["response"]["signature"]
    with pytest.raises(AuthenticationError) as err:
        accounts.finish_authentication(ceremony, json.dumps(response))
    refused(err, "passkey_not_verified")


def test_a_passkey_never_registered_is_unknown(accounts: Accounts) -> None:
    stranger = SoftAuthenticator(RP_ID, ORIGIN)
    elsewhere = Accounts(AccountStore(":memory:").open(), rp_id=RP_ID, origin=ORIGIN)
    enrol(elsewhere, stranger)  # registered with another relying party's store
    with pytest.raises(AuthenticationError) as err:
        sign_in(accounts, stranger)
    refused(err, "unknown_passkey")
    elsewhere.close()


def test_a_counter_going_back_is_refused_as_a_clone(
    accounts: Accounts, device: SoftAuthenticator
) -> None:
    enrol(accounts, device)
    sign_in(accounts, device)
    sign_in(accounts, device)  # the counter is at 2
    for count in (2, 1, 0):
        with pytest.raises(AuthenticationError) as err:
            sign_in(accounts, device, sign_count=count)
        refused(err, "passkey_cloned")
    assert sign_in(accounts, device) == ALICE  # the genuine authenticator, at 3


def test_authenticators_that_never_count_are_accepted(
    accounts: Accounts, device: SoftAuthenticator
) -> None:
    enrol(accounts, device)
    for _ in range(3):
        assert sign_in(accounts, device, sign_count=0) == ALICE
    sign_in(accounts, device, sign_count=5)
    with pytest.raises(AuthenticationError) as err:  # once counting, never back to zero
        sign_in(accounts, device, sign_count=0)
    refused(err, "passkey_cloned")


# -- sessions --------------------------------------------------------------------------------


def test_an_idle_session_expires_and_use_slides_it(accounts: Accounts, clock: Clock) -> None:
    session = accounts.start_session(ALICE)
    assert session.expires_at == "2027-01-15T08:30:00Z"
    clock.advance(29 * 60)
    slid = accounts.session(session.token)
    assert slid is not None
    assert slid.expires_at == "2027-01-15T08:59:00Z"
    clock.advance(29 * 60)
    assert accounts.session(session.token) is not None
    clock.advance(30 * 60)
    assert accounts.session(session.token) is None
    clock.advance(-30 * 60)  # gone for good, even if the clock steps back
    assert accounts.session(session.token) is None


def test_a_session_ends_at_its_absolute_limit_however_busy(
    accounts: Accounts, clock: Clock
) -> None:
    session = accounts.start_session(ALICE)
    for _ in range(12 * 3 - 1):
        clock.advance(20 * 60)
        assert accounts.session(session.token) is not None
    last = accounts.session(session.token)
    assert last is not None
    assert last.expires_at == "2027-01-15T20:00:00Z"  # the absolute limit comes first now
    clock.advance(20 * 60)
    assert accounts.session(session.token) is None


def test_unknown_tokens_have_no_session(accounts: Accounts) -> None:
    for token in ("", "x" * 1000, "nonsense"):
        assert accounts.session(token) is None
        accounts.end_session(token)


# -- erasure, storage, logs ------------------------------------------------------------------


def test_forget_removes_everything(accounts: Accounts, device: SoftAuthenticator, db: Path) -> None:
    enrol(accounts, device)
    enrol(accounts, SoftAuthenticator(RP_ID, ORIGIN), BOB)
    pending = accounts.invite(ALICE, "gov").code
    accounts.begin_registration(pending)
    session = accounts.start_session(ALICE)
    accounts.forget(ALICE)
    assert accounts.credentials_of(ALICE) == []
    assert accounts.session(session.token) is None
    with pytest.raises(InputError):
        accounts.begin_registration(pending)
    with pytest.raises(AuthenticationError) as err:
        sign_in(accounts, device)
    refused(err, "unknown_passkey")
    assert len(accounts.credentials_of(BOB)) == 1
    raw = db.read_bytes() + _wal(db)
    assert ALICE.encode() not in raw
    assert BOB.encode() in raw


def _wal(db: Path) -> bytes:
    wal = db.with_name(db.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""


def test_codes_tokens_and_ceremony_ids_are_not_stored_in_clear(
    accounts: Accounts, db: Path
) -> None:
    invite = accounts.invite(ALICE, "gov")
    ceremony, _ = accounts.begin_registration(invite.code)
    auth_ceremony, _ = accounts.begin_authentication()
    session = accounts.start_session(ALICE)
    raw = db.read_bytes() + _wal(db)
    chars = invite.code.replace("-", "")
    for secret in (invite.code, chars, session.token, ceremony, auth_ceremony):
        assert secret.encode() not in raw
    # ... while what is stored is there to be seen: the hashes, the subject.
    assert hashlib.sha256(chars.encode()).hexdigest().encode() in raw
    assert hashlib.sha256(session.token.encode()).hexdigest().encode() in raw
    assert ALICE.encode() in raw
    assert session.token not in repr(session)
    assert ALICE not in repr(session)


def test_nothing_secret_is_logged(
    accounts: Accounts, device: SoftAuthenticator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    code = accounts.invite(ALICE, "gov").code
    ceremony, options = accounts.begin_registration(code)
    accounts.finish_registration(ceremony, device.create(options))
    sign_in(accounts, device)
    with pytest.raises(AuthenticationError):
        sign_in(accounts, device, sign_count=0)
    session = accounts.start_session(ALICE)
    challenge = json.loads(options)["challenge"]
    text = caplog.text
    assert "counter" in text  # the clone was logged, without saying whose
    for secret in (code, ceremony, challenge, session.token, session.csrf, ALICE):
        assert secret not in text


def test_open_puts_the_store_in_the_data_directory(tmp_path: Path) -> None:
    data = DataDir(tmp_path)
    accounts = Accounts.open(data, rp_id="localhost", origin="http://localhost:8000")
    try:
        accounts.invite(ALICE, "gov")
    finally:
        accounts.close()
    assert data.accounts == tmp_path / "accounts.db"
    assert stat.S_IMODE(data.accounts.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("url", "rp"),
    [
        ("http://localhost:8000", ("localhost", "http://localhost:8000")),
        ("https://portal.example/", ("portal.example", "https://portal.example")),
        ("https://Portal.Example:443/path", ("portal.example", "https://portal.example")),
        ("http://localhost:80", ("localhost", "http://localhost")),
        ("https://portal.example:8443", ("portal.example", "https://portal.example:8443")),
    ],
)
def test_the_relying_party_of_a_public_url(url: str, rp: tuple[str, str]) -> None:
    assert relying_party(url) == rp


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://x.example", "https://", "http://x:99999"])
def test_a_public_url_that_is_not_one_is_refused(url: str) -> None:
    with pytest.raises(InputError) as err:
        relying_party(url)
    assert err.value.code == "bad_public_url"


def test_threads_share_the_service(accounts: Accounts) -> None:
    """One store, one connection, a lock: sessions started, read and ended from 8 threads at
    once. (Here rather than in tests/store: a thread started before the store conformance
    test's Hypothesis run makes it report its random entries as flaky.)"""
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                session = accounts.start_session(ALICE)
                assert accounts.session(session.token) is not None
                accounts.end_session(session.token)
                assert accounts.session(session.token) is None
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
