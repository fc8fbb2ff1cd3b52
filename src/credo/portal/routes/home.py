"""The home page, the language switch and the public consortium page."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from credo.portal import i18n
from credo.portal.routing import PortalRoute
from credo.portal.session import person_of, visitor
from credo.portal.web import LANG_COOKIE, local_path, portal_of, redirect, render

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

LANG_MAX_AGE = 365 * 86400


@router.get("/")
def home(request: Request) -> Response:
    session = visitor(request)
    if session is None:
        return render(request, "home.html", {"roster": portal_of(request).roster}, private=False)
    person = person_of(request, session)
    score = person.score()
    return render(
        request,
        "dashboard.html",
        {
            "score": score,
            "enrolled": person.enrolled(),
            "records": person.records()[:3],
            "access": person.access()[:3],
            "disputes": [d for d in person.disputes() if d.status == "open"],
            "consents": [c for c in person.consents() if c.status == "active"],
        },
    )


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    """Remember the language chosen on the switcher, then go back to the page."""
    response = redirect(local_path(next))
    if code in i18n.LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=LANG_MAX_AGE, samesite="lax", path="/")
    return response


@router.get("/consortium")
def consortium(request: Request) -> Response:
    visitor(request)
    store = request.app.state.node.store
    overview = portal_of(request).consortium(store).overview()
    return render(request, "consortium.html", {"c": overview}, private=False)
