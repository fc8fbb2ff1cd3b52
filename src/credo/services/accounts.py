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
- ``passkey_cloned``: the signature counter did not move forward (a cloned authenticator).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from credo.errors import AuthenticationError, Conflict, InputError, NotFound, VerificationError
from credo.ledger.schema import rfc3339
from credo.services.node import DataDir
from credo.store.accounts import AccountStore, CeremonyRow, CredentialRow, InviteRow, SessionRow

__all__ = ["CEREMONY_SECONDS", "Accounts", "Invite", "Session", "relying_party"]

log = logging.getLogger(__name__)

CEREMONY_SECONDS = 300
"""A WebAuthn ceremony (registration or sign-in) must be finished within five minutes."""
MAX_CREDENTIAL_JSON = 64 * 1024
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # base32, no I, L, O, U
_CODE_CHARS = 12  # 60 bits
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})  # Crockford's decoding of look-alikes
_BAD_CODE = "this enrolment code is not valid: it is unknown, already used or expired"
_BAD_CEREMONY = "no such sign-in or registration in progress (they last 5 minutes, once each)"


@dataclass(frozen=True)
class Invite:
    """A one-time enrolment code as handed to the person (``K7QF-M2XD-9RTA``)."""

    code: str = field(repr=False)  # never in a log line by accident
    expires_at: str


@dataclass(frozen=True)
class Session:
    """A signed-in person: the cookie's ``token``, the CSRF value pages must echo, and when
    the session ends unless used again (the earlier of its idle and absolute limits)."""

    token: str = field(repr=False)  # none of these in a log line by accident
    subject: str = field(repr=False)
    csrf: str = field(repr=False)
    expires_at: str


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
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not rp_id or not origin or not rp_name:
            raise InputError("rp_id, origin and rp_name must not be empty", code="bad_input")
        if min(idle_minutes, absolute_hours, invite_days) <= 0:
            raise InputError("session and invite lifetimes must be positive", code="bad_input")
        self.store = store
        self.rp_id = rp_id
        self.origin = origin
        self.rp_name = rp_name
        self.idle_seconds = idle_minutes * 60
        self.absolute_seconds = absolute_hours * 3600
        self.invite_seconds = invite_days * 86400
        self._clock = clock

    @classmethod
    def open(cls, data: DataDir, *, rp_id: str, origin: str) -> Accounts:
        """The service over the data directory's ``accounts.db`` (created if missing)."""
        return cls(AccountStore(data.accounts).open(), rp_id=rp_id, origin=origin)

    def close(self) -> None:
        self.store.close()

    def __repr__(self) -> str:
        return f"Accounts(rp_id={self.rp_id!r}, origin={self.origin!r})"

    def _now(self) -> int:
        return int(self._clock())

    def _purge(self, now: int) -> None:
        self.store.purge(now, self.idle_seconds)

    # -- enrolment codes -------------------------------------------------------------------

    def invite(self, subject: str, issued_by: str) -> Invite:
        """A new one-time enrolment code for ``subject``, valid ``invite_days``; the person's
        older unused codes stop working. Only the code's SHA-256 is kept."""
        if not subject or not issued_by:
            raise InputError("an invite needs a subject and an issuer", code="bad_input")
        now = self._now()
        self._purge(now)
        chars = "".join(secrets.choice(_CROCKFORD) for _ in range(_CODE_CHARS))
        expires = now + self.invite_seconds
        self.store.add_invite(InviteRow(_sha256(chars), subject, issued_by, now, expires, None))
        code = "-".join(chars[i : i + 4] for i in range(0, _CODE_CHARS, 4))
        return Invite(code=code, expires_at=rfc3339(expires))

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
        now = self._now()
        self._purge(now)
        invite = self._usable_invite(code, now)
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
        """Verify the browser's answer to ``begin_registration``'s options, store the passkey
        and use up the enrolment code; the subject it now signs in as."""
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
        transports = [t.value for t in parsed.response.transports or []]
        row = CredentialRow(
            credential_id=verified.credential_id,
            subject=ceremony.subject,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=json.dumps(transports),
            created_at=now,
            last_used_at=None,
        )
        if not self.store.register(ceremony.code_hash, row, now):
            raise InputError(_BAD_CODE, code="bad_enrolment_code")
        return ceremony.subject

    # -- authentication --------------------------------------------------------------------

    def begin_authentication(self) -> tuple[str, str]:
        """Start a sign-in with any passkey of this RP (discoverable credentials: the browser
        offers the person theirs): the ceremony id and options for
        ``navigator.credentials.get()`` (JSON)."""
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
        """Verify the browser's answer to ``begin_authentication``'s options; the subject the
        passkey belongs to."""
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
        if stored is None:
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
        return stored.subject

    # -- sessions --------------------------------------------------------------------------

    def _session(self, token: str, row: SessionRow) -> Session:
        ends = min(row.last_seen + self.idle_seconds, row.expires_at)
        return Session(token=token, subject=row.subject, csrf=row.csrf, expires_at=rfc3339(ends))

    def start_session(self, subject: str) -> Session:
        """A new session for ``subject`` (after a passkey sign-in); only the token's SHA-256
        is kept."""
        if not subject:
            raise InputError("a session needs a subject", code="bad_input")
        now = self._now()
        self._purge(now)
        token = secrets.token_urlsafe(32)
        row = SessionRow(
            _sha256(token),
            subject,
            secrets.token_urlsafe(32),
            now,
            now,
            now + self.absolute_seconds,
        )
        self.store.add_session(row)
        return self._session(token, row)

    def session(self, token: str) -> Session | None:
        """The live session of ``token``, its idle expiry moved forward; None if the token is
        unknown, ended, idle too long or past the absolute limit."""
        if not isinstance(token, str) or not 0 < len(token) <= 128:
            return None
        row = self.store.touch_session(_sha256(token), self._now(), self.idle_seconds)
        return None if row is None else self._session(token, row)

    def end_session(self, token: str) -> None:
        """Sign out: the token stops working (unknown tokens are ignored)."""
        if isinstance(token, str) and 0 < len(token) <= 128:
            self.store.end_session(_sha256(token))

    # -- a person's passkeys, and erasure --------------------------------------------------

    def credentials_of(self, subject: str) -> list[dict[str, Any]]:
        """The person's passkeys, for a "your passkeys" page: an id prefix, when each was
        registered and last used, and its transports."""
        return [
            {
                "id": bytes_to_base64url(c.credential_id)[:8],
                "created_at": rfc3339(c.created_at),
                "last_used_at": None if c.last_used_at is None else rfc3339(c.last_used_at),
                "transports": json.loads(c.transports),
            }
            for c in self.store.credentials_of(subject)
        ]

    def forget(self, subject: str) -> None:
        """Erase everything about ``subject``: codes, passkeys, ceremonies, sessions."""
        self.store.forget(subject)
