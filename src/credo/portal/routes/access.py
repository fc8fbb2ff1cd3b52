"""Who looked at the person's data and on what basis, and the consents they have given."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from credo.errors import InputError
from credo.ledger.categories import CATEGORIES, PURPOSES, SPECIAL_CATEGORIES
from credo.portal.routing import PortalRoute, reads
from credo.portal.session import read_form, signed_in
from credo.portal.web import portal_of, redirect, render, store_of

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

PERIODS = (30, 90, 180, 365)


@router.get("/access")
@reads
def access_page(request: Request) -> Response:
    person = signed_in(request)
    return render(request, "access.html", {"access": person.access()})


@router.get("/consents")
@reads
def consents_page(request: Request) -> Response:
    person = signed_in(request)
    return render(request, "consents.html", {"consents": person.consents()})


def _grant_choices(request: Request) -> dict[str, object]:
    members = [
        m
        for m in portal_of(request).members(store_of(request))
        if m.status == "active" and "reader" in m.roles and m.sector != "operator"
    ]
    return {
        "readers": sorted(members, key=lambda m: m.name),
        "purposes": [p for p in PURPOSES if p not in ("legal_obligation", "dispute_resolution")],
        "categories": [c for c in CATEGORIES if c not in SPECIAL_CATEGORIES],
        "periods": PERIODS,
    }


@router.get("/consents/new")
@reads
def consent_form(request: Request) -> Response:
    signed_in(request)
    return render(request, "consent_new.html", {**_grant_choices(request), "error": None})


@router.post("/consents/new")
async def consent_grant(request: Request) -> Response:
    person = signed_in(request)
    form = await read_form(request)
    choices = _grant_choices(request)
    member = form.get("member")
    purpose = form.get("purpose")
    categories = [c for c in form.all("category") if c in choices["categories"]]  # type: ignore[operator]
    try:
        days = int(form.get("days"))
    except ValueError:
        days = 0
    if (
        member not in {m.id for m in choices["readers"]}  # type: ignore[attr-defined]
        or purpose not in choices["purposes"]  # type: ignore[operator]
        or not categories
        or days not in PERIODS
    ):
        return render(request, "consent_new.html", {**choices, "error": "bad_consent"}, status=400)
    try:
        consent = person.grant_consent(member, purpose, categories, days)
    except InputError:
        return render(request, "consent_new.html", {**choices, "error": "bad_consent"}, status=400)
    return redirect(f"/consents/{consent.id}?granted=1")


@router.get("/consents/{consent_id}")
@reads
def consent_page(request: Request, consent_id: str, granted: int = 0) -> Response:
    person = signed_in(request)
    consent = person.consent(consent_id)
    uses = [a for a in person.access() if a.basis.id == consent_id]
    context = {"consent": consent, "uses": uses, "granted": bool(granted)}
    return render(request, "consent.html", context)


@router.post("/consents/{consent_id}/revoke")
async def consent_revoke(request: Request, consent_id: str) -> Response:
    """``confirm=yes`` revokes; without it, the page asks first."""
    person = signed_in(request)
    form = await read_form(request)
    consent = person.consent(consent_id)
    if form.get("confirm") != "yes":
        return render(request, "consent_revoke.html", {"consent": consent})
    person.revoke_consent(consent_id)
    return redirect(f"/consents/{consent_id}")
