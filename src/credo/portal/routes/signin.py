"""Signing in and out: passkeys (WebAuthn) registered with a one-time enrolment code, and in
the demo only, a list of synthetic people to sign in as.

The passkey ceremonies are JSON calls made by ``/assets/passkey.js``; they carry the page's
CSRF token in a header. Everything else is a plain form.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from credo.errors import BadForm, CredoError, InputError, RateLimited
from credo.portal.routing import PortalRoute, reads
from credo.portal.session import (
    accounts_of,
    check_header_token,
    clear_session_cookie,
    current_session,
    read_form,
    set_session_cookie,
    visitor,
)
from credo.portal.web import people_of, portal_of, redirect, render
from credo.services.accounts import Session
from credo.services.ratelimit import Limits

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

MAX_CEREMONY_BYTES = 64 * 1024


def _json_refusal(status: int, code: str) -> JSONResponse:
    return JSONResponse({"code": code}, status_code=status, headers={"Cache-Control": "no-store"})


async def _ceremony_body(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_CEREMONY_BYTES:
        raise BadForm("form_too_large")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise BadForm("bad_form") from exc
    if not isinstance(data, dict) or not isinstance(data.get("ceremony"), str):
        raise BadForm("bad_form")
    if not isinstance(data.get("credential"), dict):
        raise BadForm("bad_form")
    return data


def _new_session(request: Request, subject: str, credential: bytes | None = None) -> Session:
    """Start a session for ``subject``, ending the one this browser had: signing in again
    leaves no earlier session alive behind the new cookie."""
    accounts = accounts_of(request)
    earlier = current_session(request)
    if earlier is not None:
        accounts.end_session(earlier.token)
    return accounts.start_session(
        subject, credential=credential, user_agent=request.headers.get("user-agent")
    )


def _limit(request: Request, which: str) -> None:
    """Count one code attempt or passkey ceremony against this client's address (429 past
    the limit: `credo.services.ratelimit`)."""
    limits: Limits = request.app.state.limits
    client = request.client.host if request.client else "unknown"
    limiter = limits.codes_per_client if which == "code" else limits.ceremonies_per_client
    limiter.hit(client)


def _signed_in(
    request: Request, subject: str, target: str, credential: bytes | None
) -> JSONResponse:
    session = _new_session(request, subject, credential)
    response = JSONResponse({"next": target}, headers={"Cache-Control": "no-store"})
    set_session_cookie(request, response, session)
    return response


@router.get("/signin")
@reads
def signin_page(request: Request) -> Response:
    if visitor(request) is not None:
        return redirect("/")
    return render(request, "signin.html", {"roster": portal_of(request).roster})


@router.post("/signin/options")
def signin_options(request: Request) -> Response:
    visitor(request)
    try:
        check_header_token(request)
        _limit(request, "ceremony")
    except BadForm as exc:
        return _json_refusal(403, exc.code)
    except RateLimited as exc:
        return _json_refusal(429, exc.code)
    ceremony, options = accounts_of(request).begin_authentication()
    return JSONResponse(
        {"ceremony": ceremony, "options": json.loads(options)},
        headers={"Cache-Control": "no-store"},
    )


Finish = Callable[[str, str], Response]


async def _finish_ceremony(request: Request, finish: Finish) -> Response:
    """Check the page's token and the browser's credential (``finish``: the accounts'
    registration or sign-in, then what follows it); refusals are JSON for passkey.js."""
    visitor(request)
    try:
        check_header_token(request)
        _limit(request, "ceremony")
        data = await _ceremony_body(request)
        return finish(data["ceremony"], json.dumps(data["credential"]))
    except BadForm as exc:
        return _json_refusal(403 if exc.code == "bad_csrf" else 400, exc.code)
    except CredoError as exc:
        return _json_refusal(min(exc.status, 499), exc.code)


@router.post("/signin/passkey")
async def signin_passkey(request: Request) -> Response:
    def finish(ceremony: str, credential: str) -> Response:
        done = accounts_of(request).authenticate(ceremony, credential)
        return _signed_in(request, done.subject, "/", done.credential)

    return await _finish_ceremony(request, finish)


@router.get("/register")
@reads
def register_page(request: Request, code: str = "") -> Response:
    """Step one; ``?code=`` fills in a device link's code (`credo.portal.routes.devices`)."""
    visitor(request)
    shown = code.strip().upper()[:40] if len(code) <= 40 else ""
    return render(request, "register.html", {"step": "code", "error": None, "code": shown})


@router.post("/register")
async def register_code(request: Request) -> Response:
    """Step one: the enrolment code; the page then asks the browser for a new passkey."""
    visitor(request)
    form = await read_form(request)
    code = form.get("code").strip().upper()
    _limit(request, "code")  # before the code is looked at: guesses are counted, not tried
    try:
        if not code or len(code) > 40:
            raise InputError("no code", code="bad_enrolment_code")
        ceremony, options = accounts_of(request).begin_registration(code)
    except CredoError as exc:
        refused = {"step": "code", "error": exc.code, "code": code[:40]}
        return render(request, "register.html", refused, status=400)
    safe_options = options.replace("<", "\\u003c")  # inside a <script> data block
    context = {"step": "passkey", "ceremony": ceremony, "options": safe_options, "error": None}
    return render(request, "register.html", context)


@router.post("/register/passkey")
async def register_passkey(request: Request) -> Response:
    """A passkey that works at once signs the person in; one in its cooling-off does not:
    the page then says when it will work and how to approve it sooner."""

    def finish(ceremony: str, credential: str) -> Response:
        done = accounts_of(request).register(ceremony, credential)
        if done.state != "active":
            target = "/register/recovery" if done.recovery else "/register/pending"
            return JSONResponse({"next": target}, headers={"Cache-Control": "no-store"})
        return _signed_in(request, done.subject, "/?welcome=1", done.credential)

    return await _finish_ceremony(request, finish)


@router.get("/register/pending")
@reads
def register_pending(request: Request) -> Response:
    visitor(request)
    hours = accounts_of(request).cooling_off_seconds // 3600
    return render(request, "register_pending.html", {"hours": hours, "recovery": False})


@router.get("/register/recovery")
@reads
def register_recovery(request: Request) -> Response:
    visitor(request)
    hours = accounts_of(request).cooling_off_seconds // 3600
    return render(request, "register_pending.html", {"hours": hours, "recovery": True})


@router.post("/signin/demo")
async def signin_demo(request: Request) -> Response:
    """The demo's shortcut: sign in as one of its synthetic people, chosen from a list."""
    visitor(request)
    form = await read_form(request)
    roster = portal_of(request).roster
    if not roster:
        raise BadForm("not_demo")
    try:
        chosen = roster[int(form.get("person"))]
    except (ValueError, IndexError) as exc:
        raise BadForm("bad_form") from exc
    subject = people_of(request).known(chosen.national_id)
    if subject is None:
        raise BadForm("bad_form")
    session = _new_session(request, subject)
    response = redirect("/")
    set_session_cookie(request, response, session)
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    visitor(request)
    await read_form(request)
    session = current_session(request)
    if session is not None:
        accounts_of(request).end_session(session.token)
    response = redirect("/")
    clear_session_cookie(response)
    return response
