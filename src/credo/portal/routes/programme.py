"""The score with its reasons and history, the benefits, and enrolling or withdrawing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from credo.errors import NotFound
from credo.portal import i18n
from credo.portal.charts import score_chart
from credo.portal.routing import PortalRoute, reads
from credo.portal.session import read_form, signed_in
from credo.portal.web import language_of, portal_of, redirect, render
from credo.services import scores
from credo.services.person import Person

router = APIRouter(route_class=PortalRoute, include_in_schema=False)


@router.get("/score")
@reads
def score_page(request: Request) -> Response:
    person = signed_in(request)
    explained = person.score()
    chart = None
    monthly: list[tuple[str, int]] = []
    if explained is not None:
        code = language_of(request)
        env = portal_of(request).env(code)
        date = env.filters["date"]
        gettext = i18n.translations(code).gettext
        rules, _ = scores.rules_in_force(person.store)
        monthly = person.monthly()
        chart = score_chart(
            monthly,
            explained["range"]["min"],
            explained["range"]["max"],
            [date(monthly[0][0], "MMM y"), date(monthly[-1][0], "MMM y")],
            gettext("Your score over the last twelve months"),
            [(env.filters["label"](t.name, "tier"), t.min_score) for t in rules.tiers],
        )
    context = {
        "score": explained,
        "chart": chart,
        "monthly": monthly,
        "enrolled": person.enrolled(),
        "tiers": _tiers(person),
    }
    return render(request, "score.html", context)


def _losses(person: Person) -> dict[str, Any]:
    """What leaving would delete: the score, its level, the months of history, and the
    benefits it earns now."""
    explained = person.score()
    history = len(explained["history"]) if explained else 0
    return {"score": explained, "history": history}


def _tiers(person: Person) -> list[dict[str, Any]]:
    """Every level under the rules in force: the score it starts at, and the benefits it
    unlocks (each judged on its own area's records only)."""
    if person.store.current_rules() is None:
        return []
    rules, _ = scores.rules_in_force(person.store)
    return [
        {
            "name": t.name,
            "min_score": t.min_score,
            "benefits": [b for b in rules.benefits if b.min_tier == t.name],
        }
        for t in rules.tiers
    ]


@router.get("/benefits")
@reads
def benefits_page(request: Request) -> Response:
    person = signed_in(request)
    benefits = person.benefits()
    explained = person.score()
    contexts = explained["context_scores"] if explained else {}
    if benefits:
        rules, _ = scores.rules_in_force(person.store)
        by_id = {b.id: b for b in rules.benefits}
        for b in benefits:
            rule = by_id[b["id"]]
            b["context"] = rule.context
            b["context_score"] = contexts.get(rule.scorecard)
            b["needs"] = rules.tier_min(rule.min_tier)
    return render(
        request,
        "benefits.html",
        {"benefits": benefits, "enrolled": person.enrolled(), "tiers": _tiers(person)},
    )


@router.get("/programme")
@reads
def programme_page(request: Request) -> Response:
    person = signed_in(request)
    return render(request, "programme.html", {"enrolled": person.enrolled()})


@router.post("/programme/{choice}")
async def enrol_or_withdraw(request: Request, choice: str) -> Response:
    """``enrol``, or ``withdraw``: leaving deletes the score and its history for good, so
    without ``confirm=yes`` the page first says what would be lost."""
    person = signed_in(request)
    form = await read_form(request)
    if choice == "enrol":
        person.enrol()
        return redirect("/score")
    if choice == "withdraw":
        if not person.enrolled():
            return redirect("/programme")
        if form.get("confirm") != "yes":
            return render(request, "programme_leave.html", _losses(person))
        person.withdraw()
        return redirect("/programme?withdrawn=1")
    raise NotFound("no such choice", code="not_found")
