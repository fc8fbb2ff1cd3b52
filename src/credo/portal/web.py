"""Rendering a page: the language, the Jinja2 environment for it, and the headers every page
carries (a strict Content-Security-Policy, no caching of anything personal)."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from credo.ledger.kinds.members import member_profile
from credo.portal import i18n
from credo.portal.fields import describe
from credo.portal.labels import BENEFIT_PURPOSE, OPERATOR, label
from credo.portal.times import local_date, local_datetime, zone_label
from credo.portal.transport import asset_url
from credo.services.consortium import Consortium
from credo.services.people import People
from credo.services.views import RecordView
from credo.store import MemberRow, Store

STATIC = Path(__file__).parent / "static"
LANG_COOKIE = "credo_lang"
FORM_COOKIE = "__Host-credo_form"
"""The pre-sign-in CSRF cookie. ``__Host-`` (RFC 6265bis section 4.1.3.2): a browser keeps it
only if it is Secure, for path /, and set by this very host, so neither a sibling subdomain nor
a plain-HTTP page can plant one."""
LOCAL_FORM_COOKIE = "credo_form"
"""Its name over plain HTTP on the machine itself (the demo), where a cookie cannot be Secure
and so cannot carry the prefix."""

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


# Babel's formatting is most of a page's time after the queries (a score page formats ~60
# dates and ~20 numbers, the same months and figures on every page): the formatted strings
# are kept per language and zone, which cut the busiest person's /score from 4.9 to 3.0 ms
# CPU. They are dates and figures of the log's and the programme's, never a name or an id.
@lru_cache(maxsize=16384)
def _formatted_date(value: str, zone: ZoneInfo, code: str, fmt: str) -> str:
    try:
        return local_date(value, zone, code, fmt)
    except ValueError:
        return str(value)  # a date no calendar has, shown as recorded


@lru_cache(maxsize=16384)
def _formatted_datetime(value: str, zone: ZoneInfo, code: str) -> str:
    try:
        return local_datetime(value, zone, code)
    except ValueError:
        return str(value)


@lru_cache(maxsize=16384)
def _formatted_number(value: float, code: str) -> str:
    return format_decimal(value, locale=code)


def _environment(code: str, zone: ZoneInfo) -> Environment:
    env = Environment(
        loader=PackageLoader("credo.portal", "templates"),
        autoescape=select_autoescape(["html", "svg"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    translations = i18n.translations(code)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    gettext = translations.gettext

    def date_filter(value: str | None, fmt: str = "medium") -> str:
        return _formatted_date(value, zone, code, fmt) if value else ""

    def datetime_filter(value: str | None) -> str:
        return _formatted_datetime(value, zone, code) if value else ""

    env.filters["date"] = date_filter
    env.filters["datetime"] = datetime_filter
    env.filters["number"] = lambda n: _formatted_number(n, code)
    env.filters["ref"] = lambda ident: "-".join(str(ident)[k : k + 4] for k in (0, 4, 8)).upper()

    def label_filter(code_: object, group: str) -> str:
        text = str(code_)
        if group == "purpose" and text.startswith("benefit:"):
            benefit = gettext(label("benefit", text.removeprefix("benefit:")))
            return gettext(BENEFIT_PURPOSE) % {"benefit": benefit}
        return gettext(label(group, text))

    def payload_filter(record: RecordView) -> list[tuple[str, str, bool]]:
        return describe(record.type, record.payload or {}, code, gettext)

    env.filters["label"] = label_filter
    env.filters["payload_rows"] = payload_filter
    env.globals["asset"] = lambda name: asset_url(STATIC, name)
    env.globals["LANGUAGES"] = i18n.LANGUAGES
    env.globals["language"] = i18n.LANGUAGES[code]
    env.globals["zone_name"] = zone_label(zone, code)
    return env


class RosterPerson(Protocol):
    """Someone the sign-in page offers to sign in as without a passkey: a demo's synthetic
    person (`credo.demo.DemoPerson`, handed to `credo.portal.install` by the CLI)."""

    @property
    def national_id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def locale(self) -> str: ...

    @property
    def profile(self) -> str: ...


@dataclass
class Portal:
    """What the portal keeps between requests: one template environment per language and
    the public consortium page's figures; people's data is never cached here."""

    roster: list[RosterPerson] = field(default_factory=list)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    form_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    """The key pre-sign-in form tokens are MACed under (`credo.portal.session`): the data
    directory's (`credo.portal.install`), so that every process serving it accepts the
    others' tokens."""
    envs: dict[str, Environment] = field(default_factory=dict)
    _consortium: Consortium | None = None
    _names: tuple[int, dict[str, dict[str, str]], dict[str, str]] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def env(self, code: str) -> Environment:
        with self._lock:
            if code not in self.envs:
                self.envs[code] = _environment(code, self.zone)
            return self.envs[code]

    def consortium(self, store: Store) -> Consortium:
        with self._lock:
            if self._consortium is None or self._consortium.store is not store:
                self._consortium = Consortium(store)
            return self._consortium

    def member_names(self, store: Store, code: str = i18n.DEFAULT) -> dict[str, str]:
        """Member ids to their names in a language (the name of record where the member gave
        none in it), reread only when the members change."""
        version = store.state_version()
        with self._lock:
            if self._names is not None and self._names[0] == version:
                return self._names[1][code]
        members = store.list_members()
        found = {m.id: member_profile(store, m.id) for m in members}
        profiles = {m: p.names for m, p in found.items()}

        def name(member: MemberRow, lang: i18n.Language) -> str:
            given = profiles[member.id].get(lang.tag)
            if given is None and member.sector == "operator":
                return i18n.translations(lang.code).gettext(OPERATOR)
            return given or member.name

        by_language = {
            lang.code: {m.id: name(m, lang) for m in members} for lang in i18n.LANGUAGES.values()
        }
        with self._lock:
            self._names = (version, by_language, {m: p.contact for m, p in found.items()})
        return by_language[code]

    def member_contacts(self, store: Store) -> dict[str, str]:
        """Member ids to the contact points they gave at admission (or since)."""
        self.member_names(store)
        with self._lock:
            return {} if self._names is None else self._names[2]


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def store_of(request: Request) -> Store:
    store: Store = request.app.state.node.store
    return store


def people_of(request: Request) -> People:
    """The people's-data service over the node: cheap to make, so made per request."""
    return People.open(request.app.state.node)


def language_of(request: Request) -> str:
    return i18n.choose(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site, else ``default``: no open redirects."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return default
    return target


def secure_cookies(request: Request) -> bool:
    """Cookies are Secure except over plain HTTP on the machine itself (the demo)."""
    local = request.url.hostname in ("localhost", "127.0.0.1")
    return not (request.url.scheme == "http" and local)


def form_cookie(request: Request) -> str:
    """The form cookie's name for this request: ``__Host-`` wherever cookies are Secure."""
    return FORM_COOKIE if secure_cookies(request) else LOCAL_FORM_COOKIE


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    private: bool = True,
) -> HTMLResponse:
    """A page in the request's language, with the portal's security headers."""
    portal = portal_of(request)
    code = language_of(request)
    session = getattr(request.state, "session", None)
    values: dict[str, Any] = {
        "request": request,
        "path": request.url.path,
        "session": session,
        "person_name": getattr(request.state, "person_name", None),
        "pending_devices": getattr(request.state, "pending", []),
        "csrf": getattr(request.state, "csrf", ""),
        "demo": bool(portal.roster),
        "members": portal.member_names(store_of(request), code),
        "contacts": portal.member_contacts(store_of(request)),
    }
    values.update(context or {})
    body = portal.env(code).get_template(template).render(values)
    response = HTMLResponse(body, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    response.headers["Content-Language"] = i18n.LANGUAGES[code].tag
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Cache-Control"] = "no-store" if private else "no-cache"
    token = getattr(request.state, "new_form_token", None)
    if token is not None:  # the pre-sign-in CSRF token (credo.portal.session)
        response.set_cookie(
            form_cookie(request),
            token,
            httponly=True,
            secure=secure_cookies(request),
            samesite="strict",
            path="/",
        )
    return response


def redirect(path: str) -> RedirectResponse:
    """After a form: see the result at its own address (POST, redirect, GET)."""
    response = RedirectResponse(path, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response
