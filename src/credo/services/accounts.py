"""People's sign-in to the portal: one-time enrolment codes, passkeys (WebAuthn) and sessions.

A registrar (a member with the ``registrar`` role, or the operator with ``credo person
invite``) hands a person a one-time enrolment code; with it the person registers a passkey
(a discoverable WebAuthn credential: resident key required, user presence required, user
verification preferred but not required); with the passkey they sign in and get a session.

What is kept is in `credo.store.accounts` (``DIR/accounts.db``, not log-derived). Codes,
session tokens and ceremony ids are stored only as their SHA-256. People are named by their
subject ref (`credo.vault`), never by a national id, and the ref never reaches the browser:
the WebAuthn user handle is random. Nothing here logs a code, a token, a challenge or a
subject. Every refusal is a `credo.errors` exception with a machine-readable code:

- ``bad_enrolment_code``: the code is unknown, used, superseded or expired (one message for
  all, so a refusal tells a guesser nothing);
- ``unknown_ceremony``: the ceremony id is unknown, of the other kind, expired (after 5
  minutes) or already finished (each is single-use, failed attempts included);
- ``bad_credential``: the browser's response is not a credential's JSON;
- ``passkey_not_verified``: it does not verify (origin, challenge, RP id, flags, signature);
- ``passkey_exists``: that passkey is registered already;
- ``unknown_passkey``: no passkey with that id is registered (or it was forgotten);
- ``passkey_cloned``: the signature counter did not move forward (a cloned authenticator);
- ``passkey_pending``: the passkey is new and still in its cooling-off period;
- ``account_frozen``: a recovery was objected to and the account awaits a human review;
- ``unknown_device`` / ``unknown_session``: no such passkey or session of this person (the
  same answer for somebody else's, so an id tells nothing);
- ``needs_passkey``: only a session signed in with a working passkey may approve a device or
  make a link for one;
- ``recovery_waits``: a recovery passkey is neither approved, refused nor removed: it waits
  out the cooling-off, or the person objects.

A new device needs the old one, or time. Issuing a code writes an ``account.code`` entry on the
log naming the issuer (`issue`). A person with no working passkey enrols at once; a passkey
registered with a code while the person has one is *pending*: it signs in to nothing for
``cooling_off_hours`` (72) unless approved from a session signed in with a working passkey,
and every session shows it with a "this was not me" that removes it and logs the attempt. A
person adds a device directly with a one-time link made in a signed-in session (no wait). A
*recovery* code (issued after in-person proofing) registers a passkey that, once its
cooling-off ends, replaces every other; until then the person's sessions show it and can
object, which freezes the account (nothing signs in) for a human review (`review`). Passkeys
are never deleted but by erasure: every one ever added stays listed with its code and issuer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from credo.errors import (
    AuthenticationError,
    Conflict,
    InputError,
    NotFound,
    PermissionDenied,
    VerificationError,
)
from credo.ledger.schema import rfc3339
from credo.ledger.sequencer import Accepted
from credo.services.node import DataDir
from credo.store.accounts import (
    GONE,
    AccountStore,
    CeremonyRow,
    CredentialRow,
    InviteRow,
    SessionRow,
)

__all__ = [
    "CEREMONY_SECONDS",
    "Accounts",
    "Invite",
    "Journal",
    "Registered",
    "Session",
    "SignedIn",
    "device_of",
    "relying_party",
]

log = logging.getLogger(__name__)

CEREMONY_SECONDS = 300
"""A WebAuthn ceremony (registration or sign-in) must be finished within five minutes."""
MAX_CREDENTIAL_JSON = 64 * 1024
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # base32, no I, L, O, U
_CODE_CHARS = 12  # 60 bits
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})  # Crockford's decoding of look-alikes
_BAD_CODE = "this enrolment code is not valid: it is unknown, already used or expired"
_BAD_CEREMONY = "no such sign-in or registration in progress (they last 5 minutes, once each)"
DEVICE_LINK_MINUTES = 15
"""A one-time link to add a device, made in a signed-in session, works this long."""
MAX_NAME = 60
CodeKind = Literal["enrolment", "recovery"]
_FROZEN = "this account is frozen for review after an objection: see the registry office"


class Journal(Protocol):
    """What writes a personal entry on the log: `credo.services.people.People` (the entry
    sealed for the person and signed by the operator, the access recorder)."""

    def submit_personal(
        self, kind: str, subject: str | None, meta: dict[str, Any], at: str | None = None
    ) -> Accepted: ...


@dataclass(frozen=True)
class Invite:
    """A one-time enrolment code as handed to the person (``K7QF-M2XD-9RTA``)."""

    code: str = field(repr=False)  # never in a log line by accident
    expires_at: str
    kind: str = "enrolment"
    code_id: str | None = None  # what the log entry names (``account.code``), never the code
    log_index: int | None = None


@dataclass(frozen=True)
class Session:
    """A signed-in person: the cookie's ``token``, the CSRF value pages must echo, and when
    the session ends unless used again (the earlier of its idle and absolute limits)."""

    token: str = field(repr=False)  # none of these in a log line by accident
    subject: str = field(repr=False)
    csrf: str = field(repr=False)
    expires_at: str
    id: str = ""  # a public handle, to end it from another session
    credential: bytes | None = field(default=None, repr=False)  # the passkey it started with


@dataclass(frozen=True)
class Registered:
    """A passkey just registered: whose, and whether it works now (``active``) or after its
    cooling-off (``pending`` until ``pending_until``)."""

    subject: str = field(repr=False)
    state: str
    pending_until: str | None
    recovery: bool
    credential: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class SignedIn:
    """A passkey sign-in that verified: whose, with which passkey."""

    subject: str = field(repr=False)
    credential: bytes = field(repr=False)


_BROWSERS = (  # the order matters: Edge and Opera say Chrome too, Chrome says Safari
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)


def device_of(user_agent: str | None) -> str:
    """A coarse description of a browser from its User-Agent, kept as ``browser|system``
    ("Firefox|Android"; either may be empty): family names from a fixed list, never a version
    or anything else the sender wrote."""
    ua = (user_agent or "")[:512]
    browser = next((name for mark, name in _BROWSERS if mark in ua), "")
    system = next((name for mark, name in _SYSTEMS if mark in ua), "")
    return f"{browser}|{system}"


_NAME_SPACES = re.compile(r"\s+")


def passkey_name(name: object) -> str:
    """A passkey's name as the person typed it, canonical (NFC, spaces collapsed), 1 to 60
    characters with no control, format (bidi, zero-width) or private-use character."""
    if not isinstance(name, str) or len(name) > 4 * MAX_NAME:
        raise InputError(f"a name is 1 to {MAX_NAME} characters", code="bad_name")
    text = _NAME_SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip()
    if not 0 < len(text) <= MAX_NAME or any(
        unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs", "Cn") for c in text
    ):
        raise InputError(f"a name is 1 to {MAX_NAME} characters", code="bad_name")
    return text


def relying_party(public_url: str) -> tuple[str, str]:
    """The WebAuthn RP id (the host name) and origin (scheme://host[:port], without a
    default port) of the portal's public URL."""
    try:
        parts = urlsplit(public_url)
        port = parts.port
    except ValueError as exc:
        raise InputError(f"public_url {public_url!r} is not a URL", code="bad_public_url") from exc
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise InputError(
            f"public_url {public_url!r} must be http(s)://host[:port]", code="bad_public_url"
        )
    default = {"http": 80, "https": 443}[parts.scheme]
    shown = f"[{host}]" if ":" in host else host
    origin = (
        f"{parts.scheme}://{shown}"
        if port in (None, default)
        else f"{parts.scheme}://{shown}:{port}"
    )
    return host, origin


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _normal_code(code: object) -> str | None:
    """The code's 12 characters as issued, or None if it cannot be a code."""
    if not isinstance(code, str) or len(code) > 64:
        return None
    chars = "".join(code.split()).replace("-", "").upper().translate(_READ_AS)
    if len(chars) != _CODE_CHARS or any(c not in _CROCKFORD for c in chars):
        return None
    return chars


def _credential_json(credential_json: str) -> str:
    if not isinstance(credential_json, str) or len(credential_json) > MAX_CREDENTIAL_JSON:
        raise InputError(
            f"a passkey's response is a JSON text of at most {MAX_CREDENTIAL_JSON} bytes",
            code="bad_credential",
        )
    return credential_json


class Accounts:
    """Enrolment codes, passkeys and sessions over an `AccountStore`; thread-safe.

    ``rp_id`` and ``origin`` are the portal's (`relying_party`); a passkey registered for
    one RP id works only there. ``clock`` (Unix seconds) is for tests.
    """

    def __init__(
        self,
        store: AccountStore,
        *,
        rp_id: str,
        origin: str,
        rp_name: str = "credo",
        idle_minutes: int = 30,
        absolute_hours: int = 12,
        invite_days: int = 14,
        cooling_off_hours: int = 72,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not rp_id or not origin or not rp_name:
            raise InputError("rp_id, origin and rp_name must not be empty", code="bad_input")
        if min(idle_minutes, absolute_hours, invite_days, cooling_off_hours) <= 0:
            raise InputError("session and invite lifetimes must be positive", code="bad_input")
        self.store = store
        self.rp_id = rp_id
        self.origin = origin
        self.rp_name = rp_name
        self.idle_seconds = idle_minutes * 60
        self.absolute_seconds = absolute_hours * 3600
        self.invite_seconds = invite_days * 86400
        self.cooling_off_seconds = cooling_off_hours * 3600
        self._clock = clock

    @classmethod
    def open(
        cls, data: DataDir, *, rp_id: str, origin: str, cooling_off_hours: int = 72
    ) -> Accounts:
        """The service over the data directory's accounts (``accounts.db``, created if
        missing, or the store's PostgreSQL database)."""
        return cls(
            AccountStore(data.accounts_location).open(),
            rp_id=rp_id,
            origin=origin,
            cooling_off_hours=cooling_off_hours,
        )

    def close(self) -> None:
        self.store.close()

    def __repr__(self) -> str:
        return f"Accounts(rp_id={self.rp_id!r}, origin={self.origin!r})"

    def _now(self) -> int:
        return int(self._clock())

    def _purge(self, now: int) -> None:
        self.store.purge(now, self.idle_seconds)

    # -- enrolment codes -------------------------------------------------------------------

    def issue(
        self, journal: Journal, subject: str, issued_by: str, kind: CodeKind = "enrolment"
    ) -> Invite:
        """A member's enrolment (or recovery) code for ``subject``, on the log first: an
        ``account.code`` entry, sealed for the person, names the issuer, the kind of code and
        its expiry, so the person sees it in the portal and in their export. If the entry is
        refused, no code is made. What `invite` says about the code holds."""
        if kind not in ("enrolment", "recovery"):
            raise InputError("a code is for enrolment or recovery", code="bad_code_kind")
        if not subject or not issued_by:
            raise InputError("an invite needs a subject and an issuer", code="bad_input")
        now = self._now()
        code_id = secrets.token_hex(16)
        meta = {
            "member": issued_by,
            "code": kind,
            "code_id": code_id,
            "expires_at": rfc3339(now + self.invite_seconds),
        }
        accepted = journal.submit_personal("account.code", subject, meta, rfc3339(now))
        return self.invite(subject, issued_by, kind=kind, code_id=code_id, log_index=accepted.index)

    def invite(
        self,
        subject: str,
        issued_by: str,
        *,
        kind: str = "enrolment",
        code_id: str | None = None,
        log_index: int | None = None,
        seconds: int | None = None,
    ) -> Invite:
        """A new one-time code for ``subject``, valid ``invite_days`` (or ``seconds``); the
        person's older unused codes of the same kind stop working. Only the code's SHA-256 is
        kept. Members' codes go through `issue`, which logs them; a device link (``kind``
        ``device``) has no issuer but the person."""
        if not subject or (not issued_by and kind != "device"):
            raise InputError("an invite needs a subject and an issuer", code="bad_input")
        now = self._now()
        self._purge(now)
        chars = "".join(secrets.choice(_CROCKFORD) for _ in range(_CODE_CHARS))
        expires = now + (self.invite_seconds if seconds is None else seconds)
        self.store.add_invite(
            InviteRow(
                _sha256(chars), subject, issued_by, now, expires, None, kind, code_id, log_index
            )
        )
        code = "-".join(chars[i : i + 4] for i in range(0, _CODE_CHARS, 4))
        return Invite(
            code=code, expires_at=rfc3339(expires), kind=kind, code_id=code_id, log_index=log_index
        )

    def device_link(self, session: Session) -> Invite:
        """A one-time code for adding a device, made in a session signed in with a working
        passkey and valid `DEVICE_LINK_MINUTES`: the passkey it registers works at once (the
        old device vouched for it), and is listed as added from a signed-in device."""
        self._working_session(session)
        return self.invite(session.subject, "", kind="device", seconds=DEVICE_LINK_MINUTES * 60)

    def _usable_invite(self, code: str, now: int) -> InviteRow:
        chars = _normal_code(code)
        row = None if chars is None else self.store.invite(_sha256(chars))
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise InputError(_BAD_CODE, code="bad_enrolment_code")
        return row

    # -- registration ----------------------------------------------------------------------

    def begin_registration(self, code: str) -> tuple[str, str]:
        """Start registering a passkey with an enrolment code: the ceremony id and the
        options for ``navigator.credentials.create()`` (JSON)."""
        from webauthn import generate_registration_options, options_to_json
        from webauthn.helpers.structs import (
            AttestationConveyancePreference,
            AuthenticatorSelectionCriteria,
            PublicKeyCredentialDescriptor,
            ResidentKeyRequirement,
            UserVerificationRequirement,
        )

        now = self._now()
        self._purge(now)
        invite = self._usable_invite(code, now)
        if self.store.frozen(invite.subject) is not None:
            raise Conflict(_FROZEN, code="account_frozen")
        challenge = secrets.token_bytes(32)
        existing = self.store.credentials_of(invite.subject)
        options = generate_registration_options(
            rp_id=self.rp_id,
            rp_name=self.rp_name,
            user_name=self.rp_name,  # what the passkey chooser shows; never the person's id
            user_id=secrets.token_bytes(32),  # a random handle: the subject never leaves
            user_display_name=self.rp_name,
            challenge=challenge,
            timeout=CEREMONY_SECONDS * 1000,
            attestation=AttestationConveyancePreference.NONE,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                require_resident_key=True,
                user_verification=UserVerificationRequirement.PREFERRED,
            ),
            exclude_credentials=[
                PublicKeyCredentialDescriptor(id=c.credential_id) for c in existing
            ],
        )
        ceremony = secrets.token_urlsafe(24)
        self.store.add_ceremony(
            CeremonyRow(
                _sha256(ceremony),
                "register",
                challenge,
                invite.subject,
                invite.code_hash,
                now + CEREMONY_SECONDS,
            )
        )
        return ceremony, options_to_json(options)

    def _take(self, ceremony_id: str, kind: str, now: int) -> CeremonyRow:
        if not isinstance(ceremony_id, str) or not 0 < len(ceremony_id) <= 128:
            raise NotFound(_BAD_CEREMONY, code="unknown_ceremony")
        row = self.store.take_ceremony(_sha256(ceremony_id), kind, now)
        if row is None:
            raise NotFound(_BAD_CEREMONY, code="unknown_ceremony")
        return row

    def finish_registration(self, ceremony_id: str, credential_json: str) -> str:
        """`register`, for callers that need only whose passkey it is."""
        return self.register(ceremony_id, credential_json).subject

    def register(self, ceremony_id: str, credential_json: str) -> Registered:
        """Verify the browser's answer to ``begin_registration``'s options, store the passkey
        and use up the enrolment code. The passkey works at once if the person has no working
        passkey or the code was a device link; else it is pending for the cooling-off."""
        from webauthn import verify_registration_response
        from webauthn.helpers import parse_registration_credential_json
        from webauthn.helpers.exceptions import WebAuthnException

        now = self._now()
        ceremony = self._take(ceremony_id, "register", now)  # single use, even if refused
        if ceremony.subject is None or ceremony.code_hash is None:  # not a registration's
            raise NotFound(_BAD_CEREMONY, code="unknown_ceremony")
        raw = _credential_json(credential_json)
        try:
            parsed = parse_registration_credential_json(raw)
        except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
            raise InputError(
                f"not a passkey registration response: {exc}", code="bad_credential"
            ) from exc
        try:
            verified = verify_registration_response(
                credential=parsed,
                expected_challenge=ceremony.challenge,
                expected_rp_id=self.rp_id,
                expected_origin=self.origin,
                require_user_presence=True,
                require_user_verification=False,
            )
        except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
            raise VerificationError(
                f"the passkey registration does not verify: {exc}", code="passkey_not_verified"
            ) from exc
        if self.store.credential(verified.credential_id) is not None:
            raise Conflict("this passkey is registered already", code="passkey_exists")
        invite = self.store.invite(ceremony.code_hash)
        if invite is None:
            raise InputError(_BAD_CODE, code="bad_enrolment_code")
        transports = [t.value for t in parsed.response.transports or []]
        row = CredentialRow(
            credential_id=verified.credential_id,
            subject=ceremony.subject,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=json.dumps(transports),
            created_at=now,
            last_used_at=None,
            recovery=int(invite.kind == "recovery"),
            code_id=invite.code_id,
            code_kind=invite.kind,
            issued_by=invite.issued_by,
            code_index=invite.log_index,
        )
        hold = None if invite.kind == "device" else now + self.cooling_off_seconds
        state = self.store.register(ceremony.code_hash, row, now, hold)
        if state is None:
            raise InputError(_BAD_CODE, code="bad_enrolment_code")
        return Registered(
            ceremony.subject,
            state,
            rfc3339(hold) if state == "pending" and hold is not None else None,
            invite.kind == "recovery",
            verified.credential_id,
        )

    # -- authentication --------------------------------------------------------------------

    def begin_authentication(self) -> tuple[str, str]:
        """Start a sign-in with any passkey of this RP (discoverable credentials: the browser
        offers the person theirs): the ceremony id and options for
        ``navigator.credentials.get()`` (JSON)."""
        from webauthn import generate_authentication_options, options_to_json
        from webauthn.helpers.structs import UserVerificationRequirement

        now = self._now()
        self._purge(now)
        challenge = secrets.token_bytes(32)
        options = generate_authentication_options(
            rp_id=self.rp_id,
            challenge=challenge,
            timeout=CEREMONY_SECONDS * 1000,
            allow_credentials=[],
            user_verification=UserVerificationRequirement.PREFERRED,
        )
        ceremony = secrets.token_urlsafe(24)
        self.store.add_ceremony(
            CeremonyRow(
                _sha256(ceremony), "authenticate", challenge, None, None, now + CEREMONY_SECONDS
            )
        )
        return ceremony, options_to_json(options)

    def finish_authentication(self, ceremony_id: str, credential_json: str) -> str:
        """`authenticate`, for callers that need only whose passkey it is."""
        return self.authenticate(ceremony_id, credential_json).subject

    def authenticate(self, ceremony_id: str, credential_json: str) -> SignedIn:
        """Verify the browser's answer to ``begin_authentication``'s options: the person and
        the passkey, if it works (not pending, removed or replaced, the account not frozen)."""
        from webauthn import verify_authentication_response
        from webauthn.helpers import parse_authentication_credential_json
        from webauthn.helpers.exceptions import WebAuthnException

        now = self._now()
        ceremony = self._take(ceremony_id, "authenticate", now)
        raw = _credential_json(credential_json)
        try:
            parsed = parse_authentication_credential_json(raw)
        except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
            raise InputError(
                f"not a passkey sign-in response: {exc}", code="bad_credential"
            ) from exc
        stored = self.store.credential(parsed.raw_id)
        if stored is not None and self.store.settle(stored.subject, now):
            stored = self.store.credential(parsed.raw_id)  # a cooling-off ended: as it is now
        if stored is None or stored.state in GONE:
            raise AuthenticationError("this passkey is not registered here", code="unknown_passkey")
        try:
            verified = verify_authentication_response(
                credential=parsed,
                expected_challenge=ceremony.challenge,
                expected_rp_id=self.rp_id,
                expected_origin=self.origin,
                credential_public_key=stored.public_key,
                # The counter is checked below, once the signature verified, so that a
                # regression is told apart from a forgery.
                credential_current_sign_count=0,
                require_user_verification=False,
            )
        except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
            raise AuthenticationError(
                f"the passkey sign-in does not verify: {exc}", code="passkey_not_verified"
            ) from exc
        if self.store.frozen(stored.subject) is not None:
            raise AuthenticationError(_FROZEN, code="account_frozen")
        if stored.state == "pending":
            raise AuthenticationError(
                "this passkey is new: it works from "
                f"{rfc3339(stored.pending_until or now)}, or once approved from a device "
                "already signed in",
                code="passkey_pending",
            )
        new = verified.new_sign_count
        counts = new > 0 or stored.sign_count > 0  # authenticators that count never go back
        if (counts and new <= stored.sign_count) or not self.store.use_credential(
            stored.credential_id, stored.sign_count, new, now
        ):
            log.warning("a passkey's signature counter did not advance: sign-in refused")
            raise AuthenticationError(
                "this passkey's signature counter went backwards, as a cloned authenticator's "
                "would: sign-in refused; register a new passkey",
                code="passkey_cloned",
            )
        return SignedIn(stored.subject, stored.credential_id)

    # -- sessions --------------------------------------------------------------------------

    def _session(self, token: str, row: SessionRow) -> Session:
        ends = min(row.last_seen + self.idle_seconds, row.expires_at)
        return Session(
            token=token,
            subject=row.subject,
            csrf=row.csrf,
            expires_at=rfc3339(ends),
            id=row.id or "",
            credential=row.credential_id,
        )

    def start_session(
        self,
        subject: str,
        *,
        credential: bytes | None = None,
        user_agent: str | None = None,
    ) -> Session:
        """A new session for ``subject`` (after a passkey sign-in with ``credential``); only
        the token's SHA-256 is kept, with a coarse description of the browser (`device_of`)
        and never its address."""
        if not subject:
            raise InputError("a session needs a subject", code="bad_input")
        now = self._now()
        self._purge(now)
        if self.store.frozen(subject) is not None:
            raise AuthenticationError(_FROZEN, code="account_frozen")
        token = secrets.token_urlsafe(32)
        row = SessionRow(
            _sha256(token),
            subject,
            secrets.token_urlsafe(32),
            now,
            now,
            now + self.absolute_seconds,
            secrets.token_urlsafe(12),
            device_of(user_agent),
            credential,
        )
        self.store.add_session(row)
        return self._session(token, row)

    def session(self, token: str) -> Session | None:
        """The live session of ``token``, its idle expiry moved forward; None if the token is
        unknown, ended, idle too long or past the absolute limit."""
        if not isinstance(token, str) or not 0 < len(token) <= 128:
            return None
        now = self._now()
        row = self.store.touch_session(_sha256(token), now, self.idle_seconds)
        if row is None:
            return None
        if any(c.recovery for c in self.store.settle(row.subject, now)):
            return None  # a recovery just replaced every passkey: every session ended
        return self._session(token, row)

    def end_session(self, token: str) -> None:
        """Sign out: the token stops working (unknown tokens are ignored)."""
        if isinstance(token, str) and 0 < len(token) <= 128:
            self.store.end_session(_sha256(token))

    # -- a person's passkeys, and erasure --------------------------------------------------

    def credentials_of(self, subject: str) -> list[dict[str, Any]]:
        """Every passkey the person ever added, oldest first, for the "your devices" page
        (`_passkey_view`); pending ones whose cooling-off ended are settled first."""
        now = self._now()
        self.store.settle(subject, now)
        return [self._passkey_view(c, now) for c in self.store.credentials_of(subject)]

    @staticmethod
    def _passkey_view(c: CredentialRow, now: int) -> dict[str, Any]:
        return {
            "id": bytes_to_base64url(c.credential_id),
            "name": c.name,
            "state": c.state,
            "created_at": rfc3339(c.created_at),
            "last_used_at": None if c.last_used_at is None else rfc3339(c.last_used_at),
            "pending_until": None if c.pending_until is None else rfc3339(c.pending_until),
            "ended_at": None if c.ended_at is None else rfc3339(c.ended_at),
            "recovery": bool(c.recovery),
            "code": {
                # ``device``: a link made in a signed-in session; None: before codes were kept
                "kind": c.code_kind,
                "issued_by": c.issued_by or None,
                "code_id": c.code_id,
                "log_index": c.code_index,
            },
            "transports": json.loads(c.transports),
        }

    def pending(self, subject: str) -> list[dict[str, Any]]:
        """The person's passkeys still in their cooling-off: what every page of every
        session shows, with "this was not me" (or, for a recovery, "object"). Read as the
        session's check (`session`) left them, which settles what is due."""
        now = self._now()
        return [
            self._passkey_view(c, now)
            for c in self.store.credentials_of(subject)
            if c.state == "pending"
        ]

    def frozen(self, subject: str) -> bool:
        return self.store.frozen(subject) is not None

    def _own(self, subject: str, passkey_id: str) -> CredentialRow:
        """The person's passkey ``passkey_id`` (base64url); `NotFound` alike for an unknown
        id and for somebody else's."""
        row = None
        if isinstance(passkey_id, str) and 0 < len(passkey_id) <= 1400:
            try:
                row = self.store.credential(base64url_to_bytes(passkey_id))
            except (ValueError, TypeError):
                row = None
        if row is None or row.subject != subject:
            raise NotFound("no such passkey of yours", code="unknown_device")
        return row

    def _working_session(self, session: Session) -> CredentialRow:
        """The working passkey ``session`` was signed in with, or `PermissionDenied`."""
        row = None if session.credential is None else self.store.credential(session.credential)
        if row is None or row.subject != session.subject or row.state != "active":
            raise PermissionDenied(
                "only a session signed in with a working passkey may do this",
                code="needs_passkey",
            )
        return row

    def session_passkey(self, session: Session) -> str | None:
        """The id of the working passkey ``session`` was signed in with, if it was."""
        try:
            return bytes_to_base64url(self._working_session(session).credential_id)
        except PermissionDenied:
            return None

    def rename_passkey(self, subject: str, passkey_id: str, name: str) -> None:
        row = self._own(subject, passkey_id)
        self.store.rename(row.credential_id, subject, passkey_name(name))

    def is_last_passkey(self, subject: str, passkey_id: str) -> bool:
        """Whether removing ``passkey_id`` would leave the person no working passkey."""
        row = self._own(subject, passkey_id)
        working = [c for c in self.store.credentials_of(subject) if c.state == "active"]
        return [c.credential_id for c in working] == [row.credential_id]

    def remove_passkey(self, subject: str, passkey_id: str) -> None:
        """The person removes one of their passkeys: it stops working, the sessions started
        with it end, and it stays listed as removed."""
        row = self._own(subject, passkey_id)
        if row.state in GONE:
            return
        if row.state == "pending" and row.recovery:  # else an intruder's device undoes it
            raise Conflict(
                "a recovery passkey is not removed: object to the recovery instead",
                code="recovery_waits",
            )
        self.store.set_state(
            row.credential_id, subject, ("active", "pending"), "removed", self._now()
        )

    def approve(self, session: Session, passkey_id: str) -> None:
        """Approve a pending passkey from a session signed in with a working one: it works at
        once. A recovery passkey is not approved this way (it waits, or is objected to)."""
        row = self._own(session.subject, passkey_id)
        self._working_session(session)
        if row.state != "pending" or row.recovery:
            raise Conflict("this passkey is not waiting for approval", code="not_pending")
        self.store.set_state(
            row.credential_id, session.subject, ("pending",), "active", self._now()
        )

    def refuse(self, journal: Journal, subject: str, passkey_id: str) -> int:
        """ "This was not me": the pending passkey is removed for good, and the attempt goes on
        the log (``account.device``, ``refused``, naming the code). The entry's log index."""
        row = self._own(subject, passkey_id)
        if row.state != "pending" or row.recovery:
            raise Conflict("this passkey is not waiting for approval", code="not_pending")
        now = self._now()
        if not self.store.set_state(row.credential_id, subject, ("pending",), "refused", now):
            raise Conflict("this passkey is not waiting for approval", code="not_pending")
        meta = {"event": "refused", "code_id": row.code_id}
        return journal.submit_personal("account.device", subject, meta, rfc3339(now)).index

    def object(self, journal: Journal, subject: str) -> int:
        """The person objects to a recovery under way: the account is frozen for a human
        review (nothing signs in, every session ends, the recovery waits), and the objection
        goes on the log. The entry's log index."""
        recovering = [
            c for c in self.store.credentials_of(subject) if c.state == "pending" and c.recovery
        ]
        if not recovering:
            raise Conflict("no recovery is under way", code="no_recovery")
        now = self._now()
        code_id = recovering[-1].code_id
        self.store.freeze(subject, now, code_id)
        meta = {"event": "objected", "code_id": code_id}
        return journal.submit_personal("account.device", subject, meta, rfc3339(now)).index

    def review(self, journal: Journal, subject: str, decision: Literal["keep", "recover"]) -> int:
        """A human review of a frozen account (the operator, after seeing the person):
        ``keep`` refuses the recovery passkey and keeps the others; ``recover`` puts it in
        place of every other at once. The freeze is lifted and the outcome logged."""
        frozen = self.store.frozen(subject)
        if frozen is None:
            raise Conflict("this account is not frozen", code="not_frozen")
        now = self._now()
        recovering = [
            c for c in self.store.credentials_of(subject) if c.state == "pending" and c.recovery
        ]
        if decision == "recover":
            if not recovering:
                raise Conflict("no recovery passkey is waiting", code="no_recovery")
            self.store.recover_now(subject, recovering[-1].credential_id, now)
            event = "recovered"
        elif decision == "keep":
            for c in recovering:
                self.store.set_state(c.credential_id, subject, ("pending",), "refused", now)
            self.store.unfreeze(subject)
            event = "kept"
        else:
            raise InputError("decide keep or recover", code="bad_decision")
        meta = {"event": event, "code_id": frozen.code_id}
        return journal.submit_personal("account.device", subject, meta, rfc3339(now)).index

    # -- a person's sessions ---------------------------------------------------------------

    def sessions_of(self, subject: str) -> list[dict[str, Any]]:
        """The person's live sessions: when each started and was last seen, and a coarse
        device description (no address is ever kept)."""
        now = self._now()
        self._purge(now)
        return [
            {
                "id": r.id,
                "started_at": rfc3339(r.created_at),
                "last_seen": rfc3339(r.last_seen),
                "browser": (r.device or "|").partition("|")[0],
                "system": (r.device or "|").partition("|")[2],
                "passkey": None if r.credential_id is None else bytes_to_base64url(r.credential_id),
            }
            for r in self.store.sessions_of(subject)
            if r.id
        ]

    def end_session_of(self, subject: str, session_id: str) -> None:
        """End one of the person's sessions by its public id; `NotFound` alike for an
        unknown id and for somebody else's."""
        if not (
            isinstance(session_id, str)
            and 0 < len(session_id) <= 64
            and self.store.end_session_id(subject, session_id)
        ):
            raise NotFound("no such session of yours", code="unknown_session")

    def end_other_sessions(self, session: Session) -> int:
        """Sign out everywhere else: every session of the person but ``session`` ends."""
        return self.store.end_sessions(session.subject, keep=_sha256(session.token))

    def forget(self, subject: str) -> None:
        """Erase everything about ``subject``: codes, passkeys, ceremonies, sessions."""
        self.store.forget(subject)


# py_webauthn is imported by the four ceremonies above, where they run: loading it (with the
# certificate and ASN.1 modules it brings) was 0.15-0.19 s of every `credo` process's start,
# and most never see a passkey. Its two base64url helpers, used on every devices page, are
# these, written as it writes them (webauthn/helpers/bytes_to_base64url.py, base64url_to_bytes.py).


def bytes_to_base64url(val: bytes) -> str:
    return base64.urlsafe_b64encode(val).decode("utf-8").rstrip("=")


def base64url_to_bytes(val: str) -> bytes:
    return base64.urlsafe_b64decode(f"{val}===")
