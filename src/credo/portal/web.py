"""Rendering a page: the language, the Jinja2 environment for it, and the headers every page
carries (a strict Content-Security-Policy, no caching of anything personal)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from babel.support import NullTranslations
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

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


@lru_cache(maxsize=64)
def _asset(name: str) -> str:
    """An asset's versioned URL, hashed once a process: the assets are the package's, and a
    ``stat`` of each on every page was 8% of ``/consortium``'s time."""
    return asset_url(STATIC, name)


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(Environment):
    """Jinja's environment with ``x.key`` on a plain dict answered at once.

    Jinja reads ``x.key`` as ``getattr(x, "key")``, then ``x["key"]``: on the dicts the
    pages are given, a raised and caught AttributeError for every field shown
    (`Environment.getattr`'s own time was 10-17% of `/score`'s and `/consortium`'s
    profiles). A plain dict has no attribute but dict's own, so for any other name the
    answer is the same, without the exception."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def _page_gettext(translations: NullTranslations) -> dict[str, Callable[..., Markup]]:
    """The templates' ``_``, ``gettext`` and ``ngettext``: what Jinja's new-style ones answer
    (the translation, autoescaped, always formatted with its variables), without their cost.

    Jinja's ``_`` looks ``gettext`` up in the context and calls it through the context
    twice, then builds and formats a `Markup`, for every string a page shows: 12.6% of
    `/score`'s CPU in a profile. Every template is HTML, so autoescaping is always on, and a
    string without variables is the same on every page in a language: it is formatted once
    and kept (an LRU, since a template may translate a label the data gives)."""

    @lru_cache(maxsize=4096)
    def translated(string: str) -> Markup:
        return Markup(translations.gettext(string))  # noqa: S704

    @lru_cache(maxsize=4096)
    def plain(string: str) -> Markup:
        return translated(string) % {}

    def gettext(string: str, /, **variables: Any) -> Markup:
        if not variables:
            return plain(string)
        return translated(string) % variables

    def ngettext(singular: str, plural: str, num: int, /, **variables: Any) -> Markup:
        variables.setdefault("num", num)
        return Markup(translations.ngettext(singular, plural, num)) % variables  # noqa: S704

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext}


def _environment(code: str, zone: ZoneInfo) -> Environment:
    env = _Environment(
        loader=PackageLoader("credo.portal", "templates"),
        autoescape=select_autoescape(["html", "svg"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # the templates are the package's: no stat of each on every page
    )
    translations = i18n.translations(code)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(_page_gettext(translations))
    gettext = translations.gettext

    def date_filter(value: str | None, fmt: str = "medium") -> str:
        return _formatted_date(value, zone, code, fmt) if value else ""

    def datetime_filter(value: str | None) -> str:
        return _formatted_datetime(value, zone, code) if value else ""

    env.filters["date"] = date_filter
    env.filters["datetime"] = datetime_filter
    env.filters["number"] = lambda n: _formatted_number(n, code)
    env.filters["ref"] = lambda ident: "-".join(str(ident)[k : k + 4] for k in (0, 4, 8)).upper()

    @lru_cache(maxsize=4096)  # a score page labels up to 80 records' types
    def label_text(group: str, text: str) -> str:
        if group == "purpose" and text.startswith("benefit:"):
            benefit = gettext(label("benefit", text.removeprefix("benefit:")))
            return gettext(BENEFIT_PURPOSE) % {"benefit": benefit}
        return gettext(label(group, text))

    def label_filter(code_: object, group: str) -> str:
        return label_text(group, str(code_))

    def payload_filter(record: RecordView) -> list[tuple[str, str, bool]]:
        return describe(record.type, record.payload or {}, code, gettext)

    env.filters["label"] = label_filter
    env.filters["payload_rows"] = payload_filter
    env.globals["asset"] = _asset
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
    _names: tuple[int, dict[str, dict[str, str]], dict[str, str], list[MemberRow]] | None = None
    _blocks: dict[tuple[str, str], tuple[Hashable, Markup]] = field(default_factory=dict)
    """Public pages' main blocks, by template and language, each with the state version it
    was rendered at (`render_public`)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def env(self, code: str) -> Environment:
        with self._lock:
            if code not in self.envs:
                self.envs[code] = _environment(code, self.zone)
            return self.envs[code]

    def shared_block(self, template: str, code: str, version: Hashable) -> Markup | None:
        with self._lock:
            kept = self._blocks.get((template, code))
        return kept[1] if kept is not None and kept[0] == version else None

    def keep_block(self, template: str, code: str, version: Hashable, block: Markup) -> None:
        with self._lock:
            self._blocks[(template, code)] = (version, block)

    def consortium(self, store: Store) -> Consortium:
        with self._lock:
            if self._consortium is None or self._consortium.store is not store:
                self._consortium = Consortium(store)
            return self._consortium

    def member_names(self, store: Store, code: str = i18n.DEFAULT) -> dict[str, str]:
        """Member ids to their names in a language (the name of record where the member gave
        none in it), reread only when the members change."""
        return self.member_directory(store, code)[0]

    def member_contacts(self, store: Store) -> dict[str, str]:
        """Member ids to the contact points they gave at admission (or since)."""
        return self.member_directory(store)[1]

    def members(self, store: Store) -> list[MemberRow]:
        """The consortium's members, reread only when they change: the consent form lists
        its readers from them, and reading every member's row was a tenth of its time."""
        return list(self._directory(store)[2])

    def member_directory(
        self, store: Store, code: str = i18n.DEFAULT
    ) -> tuple[dict[str, str], dict[str, str]]:
        """`member_names` and `member_contacts` for one state version read."""
        by_language, contacts, _ = self._directory(store)
        return by_language[code], contacts

    def _directory(
        self, store: Store
    ) -> tuple[dict[str, dict[str, str]], dict[str, str], list[MemberRow]]:
        """The members' names in every language, their contacts and their rows, read again
        only when the state version has moved."""
        version = store.state_version()
        with self._lock:
            if self._names is not None and self._names[0] == version:
                return self._names[1], self._names[2], self._names[3]
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
        contacts = {m: p.contact for m, p in found.items()}
        with self._lock:
            self._names = (version, by_language, contacts, members)
        return by_language, contacts, members


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


def _values(request: Request, portal: Portal, code: str) -> dict[str, Any]:
    """What every page's template is given: the request, the visitor's session, the
    members' names."""
    names, contacts = portal.member_directory(store_of(request), code)
    return {
        "request": request,
        "path": request.url.path,
        "session": getattr(request.state, "session", None),
        "person_name": getattr(request.state, "person_name", None),
        "pending_devices": getattr(request.state, "pending", []),
        "csrf": getattr(request.state, "csrf", ""),
        "demo": bool(portal.roster),
        "members": names,
        "contacts": contacts,
    }


_NOBODY: dict[str, Any] = {"session": None, "person_name": None, "pending_devices": [], "csrf": ""}


def render_public(
    request: Request,
    template: str,
    version: Hashable,
    context: Callable[[], dict[str, Any]],
) -> HTMLResponse:
    """A public page whose main block reads the same for everyone in a language while the
    consortium's state stays at ``version``: that block is rendered once per language and
    version and kept, and each view renders only the page around it (the header, with a
    signed-in person's navigation and sign-out form). ``context`` is called only to render
    the block again, and the block is rendered as if nobody were signed in, so nothing of a
    person can be kept in it.

    Why: the members' directory on `/help` and `/consortium` costs a template call or more
    per member; kept, those pages went from 4.1-4.5 to 0.8-0.9 ms of CPU
    (`bench/bench_portal.py --person 1 --src ... --src ...`)."""
    portal = portal_of(request)
    code = language_of(request)
    block = portal.shared_block(template, code, version)
    if block is None:
        values = {**_values(request, portal, code), **_NOBODY, **context()}
        page = portal.env(code).get_template(template)
        block = Markup("".join(page.blocks["main"](page.new_context(values))))  # noqa: S704
        portal.keep_block(template, code, version, block)
    return render(request, template, private=False, main=block)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    private: bool = True,
    main: Markup | None = None,
) -> HTMLResponse:
    """A page in the request's language, with the portal's security headers; ``main``, its
    main block already rendered (`render_public`)."""
    portal = portal_of(request)
    code = language_of(request)
    values = _values(request, portal, code)
    values.update(context or {})
    page = portal.env(code).get_template(template)
    if main is None:
        body = page.render(values)
    else:
        kept = page.new_context(values)
        kept.blocks["main"] = [lambda _context: _once(main)]
        body = "".join(page.root_render_func(kept))
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


def _once(block: Markup) -> Iterator[str]:
    yield block


def redirect(path: str) -> RedirectResponse:
    """After a form: see the result at its own address (POST, redirect, GET)."""
    response = RedirectResponse(path, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response
