"""The home page, the language switch and the public consortium page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from credo.portal import i18n
from credo.portal.governance import governance, rules_in_words
from credo.portal.routing import PortalRoute, reads
from credo.portal.session import person_of, visitor
from credo.portal.since import SEEN_COOKIE, SEEN_MAX_AGE, last_visit, since, stamp
from credo.portal.web import (
    LANG_COOKIE,
    local_path,
    portal_of,
    redirect,
    render,
    render_public,
    secure_cookies,
    store_of,
)

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

LANG_MAX_AGE = 365 * 86400


@router.get("/")
@reads
def home(request: Request) -> Response:
    session = visitor(request)
    if session is None:
        return render(request, "home.html", {"roster": portal_of(request).roster}, private=False)
    person = person_of(request, session)
    score = person.score()
    records, access = person.records(), person.access()
    disputes, consents = person.disputes(), person.consents()
    now = datetime.now(UTC)
    seen = last_visit(request.cookies.get(SEEN_COOKIE))
    response = render(
        request,
        "dashboard.html",
        {
            "score": score,
            "enrolled": person.enrolled(),
            "records": records[:3],
            "access": access[:3],
            "disputes": [d for d in disputes if d.status == "open"],
            "consents": [c for c in consents if c.status == "active"],
            "seen": None if seen is None else stamp(seen),
            "since": None
            if seen is None
            else since(seen, now, records, access, disputes, consents),
        },
    )
    response.set_cookie(
        SEEN_COOKIE,
        stamp(now),
        max_age=SEEN_MAX_AGE,
        httponly=True,
        secure=secure_cookies(request),
        samesite="strict",
        path="/",
    )
    return response


@router.get("/lang/{code}")
@reads
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    """Remember the language chosen on the switcher, then go back to the page."""
    response = redirect(local_path(next))
    if code in i18n.LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=LANG_MAX_AGE, samesite="lax", path="/")
    return response


@router.post("/lang/{code}")
def switch_language_keeping_a_form(request: Request, code: str, next: str = "/") -> Response:
    """The switcher on a page with a form: remember the language, then send the browser on
    with the same POST (307 keeps the method and the body) to the form's own address, which
    shows the form again, with what was typed, in the new language. The form's own handler
    checks its CSRF token as always."""
    response = RedirectResponse(local_path(next), status_code=307)
    response.headers["Cache-Control"] = "no-store"
    if code in i18n.LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=LANG_MAX_AGE, samesite="lax", path="/")
    return response


@router.get("/consortium")
@reads
def consortium(request: Request) -> Response:
    visitor(request)
    store = store_of(request)

    def context() -> dict[str, Any]:
        overview = portal_of(request).consortium(store).overview()
        return {"c": overview, "rules": rules_in_words(store), "governance": governance(store)}

    version = (store.tree_size(), store.state_version())  # the figures move with the log
    return render_public(request, "consortium.html", version, context)


@router.get("/help")
@reads
def help_page(request: Request) -> Response:
    """Passkeys, what the score is and is not, the person's rights, and who to contact."""
    visitor(request)
    store = store_of(request)

    def context() -> dict[str, Any]:
        active = (m for m in store.list_members() if m.status == "active")
        members = sorted(active, key=lambda m: (m.sector, m.id))
        return {"directory": members, "rules": rules_in_words(store)}

    return render_public(request, "help.html", store.state_version(), context)
