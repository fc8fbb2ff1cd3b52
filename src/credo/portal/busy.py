"""The page a person gets when the server is past its capacity (`credo.api.admission`).

It is rendered from a small template of its own, without the session, the navigation or the
database: it must cost next to nothing, because it is served exactly when nothing is to
spare. A refused form says plainly that what was sent was not saved, so that nobody leaves
thinking a consent or a dispute was recorded when it was not.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from http.cookies import CookieError, SimpleCookie

from credo.portal import i18n
from credo.portal.web import LANG_COOKIE, Portal


def _language(headers: Mapping[str, str]) -> str:
    cookie: str | None = None
    raw = headers.get("cookie")
    if raw:
        jar: SimpleCookie = SimpleCookie()
        with contextlib.suppress(CookieError):  # an unreadable cookie: the browser's language
            jar.load(raw[:4096])
        if LANG_COOKIE in jar:
            cookie = jar[LANG_COOKIE].value
    return i18n.choose(cookie, headers.get("accept-language"))


BusyPage = Callable[[Mapping[str, str], str], tuple[bytes, str]]
"""What `credo.api.admission` calls (the API may not import the portal, nor this it)."""


def busy_page(portal: Portal) -> BusyPage:
    """The refusal page for `credo.api.admission`, in the request's language; the pages are
    rendered once per language and kind (a form, or not), then served from memory."""
    pages: dict[tuple[str, bool], bytes] = {}

    def page(headers: Mapping[str, str], method: str) -> tuple[bytes, str]:
        code = _language(headers)
        form = method not in ("GET", "HEAD")
        body = pages.get((code, form))
        if body is None:
            html = portal.env(code).get_template("busy.html").render(form=form)
            body = pages[(code, form)] = html.encode()
        return body, i18n.LANGUAGES[code].tag

    return page
