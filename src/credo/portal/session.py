"""Who is asking: the session cookie, the CSRF token every form carries, and form bodies.

A session is a random token in an HttpOnly, SameSite=Lax cookie (Secure everywhere but
plain-HTTP localhost), stored server-side only as a hash (`credo.services.accounts`). Every
form carries a CSRF token: the session's own once signed in, before that a token the server
issued, also set in a ``__Host-`` cookie: a random nonce and its HMAC under the portal's form
key (DIR/keys/portal-form.key). A cookie value an attacker chose (planted from a sibling host, say,
to sign a victim in to the attacker's account: login CSRF) carries no valid HMAC and is
replaced, so the attacker's posted copy no longer matches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import Request, Response

from credo.errors import BadForm, SignInRequired
from credo.portal.web import form_cookie, people_of, portal_of, secure_cookies
from credo.services.accounts import Accounts, Session
from credo.services.person import Person

SESSION_COOKIE = "credo_session"
MAX_FORM_CHARS = 16 * 1024
"""A form's limit, in characters of its decoded values: a Thai or Chinese statement is as long
as it reads, not three times that in UTF-8 bytes (nine, percent-encoded)."""
MAX_FORM_BYTES = 64 * 1024
"""The raw body's bound, the API's own (`credo.api.limits`): room for MAX_FORM_CHARS of
three-byte characters percent-encoded, read before the characters are counted."""
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class Form:
    values: dict[str, list[str]]

    def get(self, name: str, default: str = "") -> str:
        found = self.values.get(name)
        return found[0] if found else default

    def all(self, name: str) -> list[str]:
        return list(self.values.get(name, []))


def accounts_of(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


def current_session(request: Request) -> Session | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 200:
        return None
    return accounts_of(request).session(token)


_FORM_TAG = b"credo-form-token-v1\x00"


def _form_mac(key: bytes, nonce: str) -> str:
    mac = hmac.new(key, _FORM_TAG + nonce.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def issue_form_token(key: bytes) -> str:
    """A new pre-sign-in token: ``nonce.HMAC(form key, nonce)``."""
    nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{_form_mac(key, nonce)}"


def issued_here(key: bytes, token: str | None) -> bool:
    """Did this portal issue ``token`` (its HMAC checks under the form key)?"""
    if not token or len(token) > 100 or not token.isascii():
        return False
    nonce, _, mac = token.partition(".")
    return bool(nonce) and hmac.compare_digest(mac, _form_mac(key, nonce))


def visitor(request: Request) -> Session | None:
    """For pages anyone may see: note the session if there is one, and the form token (the
    cookie's if this portal issued it, else a new one, which the response sets)."""
    session = current_session(request)
    request.state.session = session
    if session is not None:
        request.state.csrf = session.csrf
        # every page of every session shows a passkey in its cooling-off (base.html)
        request.state.pending = accounts_of(request).pending(session.subject)
    else:
        key = portal_of(request).form_key
        token = request.cookies.get(form_cookie(request))
        if not issued_here(key, token):
            token = issue_form_token(key)
            request.state.new_form_token = token
        request.state.csrf = token
    return session


def signed_in(request: Request) -> Person:
    """The signed-in person, or `SignInRequired`."""
    session = visitor(request)
    if session is None:
        raise SignInRequired()
    return person_of(request, session)


def person_of(request: Request, session: Session) -> Person:
    """The person a live session is for, with their name noted for the page's header."""
    reading = request.method in ("GET", "HEAD")  # a page's GET writes nothing to the log
    person = Person(people_of(request), session.subject, reading=reading)
    request.state.person_name = person.name()
    return person


async def read_form(request: Request) -> Form:
    """The posted form, after its CSRF token is checked against this visitor's."""
    if request.headers.get("content-type", "").split(";")[0].strip() != FORM_TYPE:
        raise BadForm("bad_form")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise BadForm("form_too_large")
    try:
        values = parse_qs(
            body.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=200,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadForm("bad_form") from exc
    if sum(len(k) + sum(map(len, v)) for k, v in values.items()) > MAX_FORM_CHARS:
        raise BadForm("form_too_large")
    expected = getattr(request.state, "csrf", None)
    given = values.get("csrf", [""])[0]
    if not expected or not secrets.compare_digest(given.encode(), str(expected).encode()):
        raise BadForm("bad_csrf")
    return Form(values)


def check_header_token(request: Request) -> None:
    """The CSRF check for the passkey calls, which post JSON with the token in a header."""
    expected = getattr(request.state, "csrf", None)
    given = request.headers.get("x-csrf-token", "")
    if not expected or not secrets.compare_digest(given.encode(), str(expected).encode()):
        raise BadForm("bad_csrf")


def set_session_cookie(request: Request, response: Response, session: Session) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        httponly=True,
        secure=secure_cookies(request),
        samesite="lax",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
