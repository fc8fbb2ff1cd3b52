"""The person's devices: their passkeys (every one ever added, with the code it came with and
who issued that code), their sessions, and the codes members issued for them, from the log.

Every change is a plain form: rename or remove a passkey (the last one only after a page that
says what is lost), approve a pending passkey from a session signed in with a working one,
refuse it ("this was not me": removed, and the attempt logged), object to a recovery (the
account frozen for review), end a session or every other one, and make a one-time link for a
new device. An id of somebody else's passkey or session is answered as one that does not
exist (404), and nothing changes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from credo.errors import InputError
from credo.portal.routing import PortalRoute, reads
from credo.portal.session import Form, accounts_of, clear_session_cookie, read_form, signed_in
from credo.portal.web import people_of, redirect, render
from credo.services.accounts import DEVICE_LINK_MINUTES, Session
from credo.services.person import Person

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

NOTICES = ("renamed", "removed", "approved", "refused", "ended", "ended_others")


def _session(request: Request) -> Session:
    session: Session = request.state.session
    return session


def _page(
    request: Request, person: Person, extra: dict[str, Any] | None = None, status: int = 200
) -> Response:
    accounts = accounts_of(request)
    session = _session(request)
    passkeys = accounts.credentials_of(person.subject)
    current_id = accounts.session_passkey(session)
    notice = request.query_params.get("done")
    context: dict[str, Any] = {
        "passkeys": list(reversed(passkeys)),  # newest first
        "current_passkey": current_id,
        "can_approve": current_id is not None,
        "sessions": accounts.sessions_of(person.subject),
        "current_session": session.id,
        "codes": person.account_entries(),
        "notice": notice if notice in NOTICES else None,
        "error": None,
    }
    context.update(extra or {})
    return render(request, "devices.html", context, status=status)


@router.get("/devices")
@reads
def devices(request: Request) -> Response:
    return _page(request, signed_in(request))


@router.post("/devices/passkeys/{passkey_id}/rename")
async def rename(request: Request, passkey_id: str) -> Response:
    person = signed_in(request)
    form = await read_form(request)
    accounts = accounts_of(request)
    try:
        accounts.rename_passkey(person.subject, passkey_id, form.get("name"))
    except InputError as exc:  # a bad name is shown on the page
        return _page(request, person, {"error": exc.code}, status=400)
    return redirect("/devices?done=renamed")


def _confirmed(form: Form) -> bool:
    return form.get("confirm") == "yes"


@router.post("/devices/passkeys/{passkey_id}/remove")
async def remove(request: Request, passkey_id: str) -> Response:
    """Remove a passkey; the last working one only once the person has read what is lost."""
    person = signed_in(request)
    form = await read_form(request)
    accounts = accounts_of(request)
    if accounts.is_last_passkey(person.subject, passkey_id) and not _confirmed(form):
        [passkey] = [p for p in accounts.credentials_of(person.subject) if p["id"] == passkey_id]
        return render(request, "device_remove.html", {"passkey": passkey})
    accounts.remove_passkey(person.subject, passkey_id)
    if accounts.session(_session(request).token) is None:  # it was this session's passkey
        response = redirect("/")
        clear_session_cookie(response)
        return response
    return redirect("/devices?done=removed")


@router.post("/devices/passkeys/{passkey_id}/approve")
async def approve(request: Request, passkey_id: str) -> Response:
    signed_in(request)
    await read_form(request)
    accounts_of(request).approve(_session(request), passkey_id)
    return redirect("/devices?done=approved")


@router.post("/devices/passkeys/{passkey_id}/refuse")
async def refuse(request: Request, passkey_id: str) -> Response:
    """ "This was not me": the pending passkey goes, and the attempt is logged."""
    person = signed_in(request)
    await read_form(request)
    accounts_of(request).refuse(people_of(request), person.subject, passkey_id)
    return redirect("/devices?done=refused")


@router.post("/devices/recovery/object")
async def object_to_recovery(request: Request) -> Response:
    """Object to a recovery under way: the account is frozen for a human review, this
    session included."""
    person = signed_in(request)
    await read_form(request)
    accounts_of(request).object(people_of(request), person.subject)
    request.state.session = None
    request.state.pending = []
    response = render(request, "frozen.html")
    clear_session_cookie(response)
    return response


@router.post("/devices/sessions/{session_id}/end")
async def end_session(request: Request, session_id: str) -> Response:
    person = signed_in(request)
    await read_form(request)
    accounts_of(request).end_session_of(person.subject, session_id)
    if session_id == _session(request).id:
        response = redirect("/")
        clear_session_cookie(response)
        return response
    return redirect("/devices?done=ended")


@router.post("/devices/sessions/end-others")
async def end_others(request: Request) -> Response:
    signed_in(request)
    await read_form(request)
    accounts_of(request).end_other_sessions(_session(request))
    return redirect("/devices?done=ended_others")


@router.post("/devices/link")
async def device_link(request: Request) -> Response:
    """A one-time code and link for adding a device, shown on this (old) device."""
    signed_in(request)
    await read_form(request)
    accounts = accounts_of(request)
    link = accounts.device_link(_session(request))
    context = {
        "code": link.code,
        "url": f"{accounts.origin}/register?code={link.code}",
        "minutes": DEVICE_LINK_MINUTES,
        "expires_at": link.expires_at,
    }
    return render(request, "device_link.html", context)
