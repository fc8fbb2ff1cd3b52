"""Public consultations in the portal: the question, one statement at a time with its vote
buttons, writing a statement, proposing a translation, flagging, the person's own votes and
statements (each vote checkable against the log), and the public moderation log.

Every action is a plain HTML form (POST, then redirect); with JavaScript (consult.js) a vote
is posted in the background and the next statement replaces the last without a reload. A
person is known here only by their session's subject ref; their participant id, which the
vault derives, never reaches a page, a URL or a log line.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from credo.errors import InputError, SignInRequired
from credo.ledger.kinds.consultations import FLAG_REASONS, LANGS
from credo.portal.routes.data import witness_policy
from credo.portal.routing import PortalRoute
from credo.portal.session import Form, read_form, signed_in, visitor
from credo.portal.web import (
    SECURITY_HEADERS,
    language_of,
    local_path,
    people_of,
    portal_of,
    redirect,
    render,
)
from credo.services.consultations import LIMITS, VISIT_CAP, Consultations, lang_of_portal
from credo.services.person import Person
from credo.services.witnessing import adopted_policy

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

FETCH_HEADER = "x-credo-fetch"
"""consult.js's mark on a vote posted in the background: answer JSON, not a redirect."""


def _service(request: Request) -> Consultations:
    """One service per node, kept on the app: a vote then does not reload the operator's
    key from its file (`People` keeps it once loaded); it holds no person's data."""
    node = request.app.state.node
    found: Consultations | None = getattr(request.app.state, "consultations", None)
    if found is None or found.people.writer is not node:
        found = Consultations(people_of(request))
        request.app.state.consultations = found
    return found


def _reader(request: Request) -> str:
    return lang_of_portal(language_of(request))


def _card(request: Request, person: Person, cid: str, seen: int) -> dict[str, Any]:
    """What the statement card shows: the next statement for this person, or why none."""
    service = _service(request)
    statement, capped = service.next_statement(person.subject, cid, _reader(request), seen)
    return {
        "cid": cid,
        "statement": statement,
        "capped": capped,
        "seen": seen,
        "cap": VISIT_CAP,
        "flags": FLAG_REASONS,
    }


@router.get("/consultations")
def consultations_page(request: Request) -> Response:
    visitor(request)
    listing = _service(request).listing(_reader(request))
    return render(request, "consultations.html", {"consultations": listing}, private=False)


@router.get("/consultations/{cid}")
def consultation_page(
    request: Request, cid: str, n: int = Query(0, ge=0, le=100_000), voted: int = -1
) -> Response:
    person = signed_in(request)
    service = _service(request)
    summary = service.summary(service.consultation(cid), _reader(request))
    context = {"c": summary, "voted": voted, **_card(request, person, cid, n)}
    return render(request, "consultation.html", context)


@router.post("/consultations/{cid}/vote")
async def vote(request: Request, cid: str) -> Response:
    """Vote, change a vote or withdraw it. ``next`` (a path here) sends the person back to
    where they voted from (their list of votes); otherwise on to the next statement.

    The vote waits for its group commit on a worker thread, not on the event loop: there,
    each vote waited for the one before it to be durable (docs/architecture.md, "Fast
    paths")."""
    session = visitor(request)  # not signed_in(): a vote needs no name for a page header
    if session is None:
        raise SignInRequired()
    form = await read_form(request)
    return await run_in_threadpool(_vote, request, cid, session.subject, form)


def _vote(request: Request, cid: str, subject: str, form: Form) -> Response:
    seen = _count(form.get("n"))
    index = _service(request).vote(
        subject, cid, form.get("statement"), form.get("vote"), form.get("shown")
    )
    if request.headers.get(FETCH_HEADER) == "1":
        person = Person(_service(request).people, subject)
        card = _card(request, person, cid, seen + 1)
        html = (
            portal_of(request)
            .env(language_of(request))
            .get_template("partials/statement_card.html")
            .render({**card, "csrf": getattr(request.state, "csrf", ""), "voted": index})
        )
        response = JSONResponse({"index": index, "html": html})
        response.headers.update(SECURITY_HEADERS)
        response.headers["Cache-Control"] = "no-store"
        return response
    back = form.get("next")
    if back:
        return redirect(local_path(back, f"/consultations/{cid}/mine"))
    return redirect(f"/consultations/{cid}?n={seen + 1}&voted={index}")


def _count(value: str) -> int:
    return int(value) if value.isdigit() and len(value) < 7 else 0


@router.post("/consultations/{cid}/flag")
async def flag(request: Request, cid: str) -> Response:
    person = signed_in(request)
    form = await read_form(request)
    _service(request).flag(person.subject, cid, form.get("statement"), form.get("reason"))
    return redirect(f"/consultations/{cid}?n={_count(form.get('n'))}")


@router.get("/consultations/{cid}/write")
def write_page(request: Request, cid: str) -> Response:
    signed_in(request)
    return _write_form(request, cid, "", _reader(request), None)


def _write_form(request: Request, cid: str, text: str, lang: str, error: str | None) -> Response:
    service = _service(request)
    summary = service.summary(service.consultation(cid), _reader(request))
    context = {
        "c": summary,
        "text": text,
        "lang": lang,
        "langs": LANGS,
        "limits": LIMITS,
        "error": error,
    }
    return render(request, "consultation_write.html", context, status=400 if error else 200)


@router.post("/consultations/{cid}/statements")
async def write(request: Request, cid: str) -> Response:
    person = signed_in(request)
    form = await read_form(request)
    lang = form.get("lang")
    text = form.get("text")
    try:
        _service(request).submit_statement(person.subject, cid, lang, text)
    except InputError as exc:
        if exc.code == "consultation_closed":
            raise
        return _write_form(request, cid, text[:4000], lang if lang in LANGS else "en", exc.code)
    return redirect(f"/consultations/{cid}/mine?written=1")


@router.get("/consultations/{cid}/mine")
def mine_page(request: Request, cid: str, written: int = 0) -> Response:
    person = signed_in(request)
    service = _service(request)
    summary = service.summary(service.consultation(cid), _reader(request))
    node = request.app.state.node
    context = {
        "c": summary,
        "mine": service.mine(person.subject, cid, _reader(request)),
        "written": bool(written),
        "vkey": node.ledger.verifier_key,
        "origin": node.origin,
        "witness_policy": witness_policy(adopted_policy(node.store)),
    }
    return render(request, "consultation_mine.html", context)


@router.get("/consultations/{cid}/statements/{sid}/translate")
def translate_page(request: Request, cid: str, sid: str) -> Response:
    signed_in(request)
    return _translate_form(request, cid, sid, "", None)


def _translate_form(request: Request, cid: str, sid: str, text: str, error: str | None) -> Response:
    service = _service(request)
    summary = service.summary(service.consultation(cid), _reader(request))
    found = [s for s in service.statements(cid, _reader(request)) if s.id == sid]
    if not found:
        raise InputError("no such statement", code="unknown_statement")
    context = {
        "c": summary,
        "s": found[0],
        "text": text,
        "langs": LANGS,
        "error": error,
        "lang": _reader(request),
    }
    return render(request, "consultation_translate.html", context, status=400 if error else 200)


@router.post("/consultations/{cid}/statements/{sid}/translate")
async def translate(request: Request, cid: str, sid: str) -> Response:
    person = signed_in(request)
    form = await read_form(request)
    try:
        _service(request).propose_translation(
            person.subject, cid, sid, form.get("lang"), form.get("text")
        )
    except InputError as exc:
        if exc.code in ("consultation_closed", "unknown_statement", "statement_not_shown"):
            raise
        return _translate_form(request, cid, sid, form.get("text")[:4000], exc.code)
    return redirect(f"/consultations/{cid}?translated=1")


@router.get("/consultations/{cid}/moderation")
def moderation_page(request: Request, cid: str) -> Response:
    visitor(request)
    service = _service(request)
    summary = service.summary(service.consultation(cid), _reader(request))
    context = {"c": summary, "log": service.moderation_log(cid)}
    return render(request, "consultation_moderation.html", context, private=False)
