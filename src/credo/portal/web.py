"""Rendering a page: the language, the Jinja2 environment for it, and the headers every page
carries (a strict Content-Security-Policy, no caching of anything personal)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from credo.portal import i18n
from credo.portal.labels import label
from credo.services.consortium import Consortium
from credo.services.demo import DemoPerson
from credo.services.people import People
from credo.store import Store

LANG_COOKIE = "credo_lang"
FORM_COOKIE = "credo_form"

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


def _parse_time(value: str | datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = value.replace("Z", "+00:00")
    if len(text) == 10:
        text += "T00:00:00+00:00"
    return datetime.fromisoformat(text)


# Babel's formatting is most of a page's time after the queries (a score page formats ~60
# dates and ~20 numbers, the same months and figures on every page): the formatted strings
# are kept per language, which cut the busiest person's /score from 4.9 to 3.0 ms CPU. They
# are dates and figures of the log's and the programme's, never a person's name or id.
@lru_cache(maxsize=16384)
def _formatted_date(value: str | datetime | date, fmt: str, code: str) -> str:
    try:
        return format_date(_parse_time(value), fmt, locale=code)
    except ValueError:
        return str(value)  # a date no calendar has, shown as recorded


@lru_cache(maxsize=16384)
def _formatted_datetime(value: str | datetime | date, code: str) -> str:
    try:
        return format_datetime(_parse_time(value), "medium", tzinfo=UTC, locale=code)
    except ValueError:
        return str(value)


@lru_cache(maxsize=16384)
def _formatted_number(value: float, code: str) -> str:
    return format_decimal(value, locale=code)


def _environment(code: str) -> Environment:
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
        return _formatted_date(value, fmt, code) if value else ""

    def datetime_filter(value: str | None) -> str:
        return _formatted_datetime(value, code) if value else ""

    env.filters["date"] = date_filter
    env.filters["datetime"] = datetime_filter
    env.filters["number"] = lambda n: _formatted_number(n, code)
    env.filters["ref"] = lambda ident: "-".join(str(ident)[k : k + 4] for k in (0, 4, 8)).upper()
    env.filters["label"] = lambda code_, group: gettext(label(group, str(code_)))
    env.globals["LANGUAGES"] = i18n.LANGUAGES
    env.globals["language"] = i18n.LANGUAGES[code]
    return env


@dataclass
class Portal:
    """What the portal keeps between requests: one template environment per language and
    the public consortium page's figures; people's data is never cached here."""

    roster: list[DemoPerson] = field(default_factory=list)
    envs: dict[str, Environment] = field(default_factory=dict)
    _consortium: Consortium | None = None
    _names: tuple[int, dict[str, str]] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def env(self, code: str) -> Environment:
        with self._lock:
            if code not in self.envs:
                self.envs[code] = _environment(code)
            return self.envs[code]

    def consortium(self, store: Store) -> Consortium:
        with self._lock:
            if self._consortium is None or self._consortium.store is not store:
                self._consortium = Consortium(store)
            return self._consortium

    def member_names(self, store: Store) -> dict[str, str]:
        """Member ids to display names, reread only when the members change."""
        version = store.state_version()
        with self._lock:
            if self._names is not None and self._names[0] == version:
                return self._names[1]
        names = {m.id: m.name for m in store.list_members()}
        with self._lock:
            self._names = (version, names)
        return names


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
        "members": portal.member_names(store_of(request)),
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
            FORM_COOKIE,
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
