"""The person's rights over their data: download all of it, check each of their entries in
the log from the browser, and erasure."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Query, Request, Response

from credo.portal.routing import PortalRoute, reads
from credo.portal.session import accounts_of, clear_session_cookie, read_form, signed_in
from credo.portal.web import render
from credo.services.person import Person
from credo.services.witnessing import adopted_policy
from credo.tlog import Policy

router = APIRouter(route_class=PortalRoute, include_in_schema=False)


def _counts(person: Person) -> dict[str, int]:
    """What erasure would destroy, counted, so the person sees it before confirming."""
    return {
        "records": len(person.records()),
        "access": len(person.access()),
        "consents": len(person.consents()),
        "disputes": len(person.disputes()),
    }


@router.get("/data")
@reads
def data_page(request: Request) -> Response:
    person = signed_in(request)
    context = {"counts": _counts(person), "error": None, "score": person.score()}
    return render(request, "data.html", context)


@router.get("/data/export.json")
@reads
def export(request: Request) -> Response:
    person = signed_in(request)
    return Response(
        person.export_bytes(),
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="credo-export.json"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/data/export.html")
@reads
def readable_export(request: Request) -> Response:
    """The export as a page in the person's language, to read, print or save as PDF from the
    browser; the JSON beside it stays the exact copy (RFC 3339 UTC, codes as recorded)."""
    person = signed_in(request)
    exported = person.export()
    context = {
        "generated_at": exported.generated_at,
        "records": sorted(exported.records, key=lambda r: r.effective_at, reverse=True),
        "access": person.access(),
        "consents": person.consents(),
        "disputes": person.disputes(),
        "score": person.score(),
        "entries": len(exported.entries),
    }
    return render(request, "export.html", context)


@router.post("/data/erase")
async def erase(request: Request) -> Response:
    person = signed_in(request)
    form = await read_form(request)
    if form.get("understood") != "yes":
        context = {"counts": _counts(person), "error": "confirm_erasure", "score": person.score()}
        return render(request, "data.html", context, status=400)
    outcome = person.erase()
    accounts = accounts_of(request)
    accounts.end_session(request.state.session.token)
    accounts.forget(person.subject)  # passkeys, enrolment codes, every other session
    request.state.session = None
    response = render(request, "erased.html", {"outcome": outcome})
    clear_session_cookie(response)
    return response


ENTRIES_PER_PAGE = 25
"""A page of entries to check: light on a cheap phone, and each check is a request."""


def witness_policy(policy: Policy | None) -> dict[str, Any] | None:
    """The adopted witness policy as proof.js reads it, so the browser needs no policy parser:
    each witness's policy name with its cosignature key's name, key ID (hex) and raw Ed25519
    key (base64), the groups (threshold and members, each defined before it is used) and the
    quorum (a witness or group name, or ``none``). None when no policy is adopted."""
    if policy is None:
        return None
    return {
        "quorum": policy.quorum,
        "witnesses": [
            {
                "name": w.name,
                "key_name": w.verifier.name,
                "key_id": w.verifier.key_id.hex(),
                "key": base64.b64encode(w.verifier.public_key).decode("ascii"),
            }
            for w in policy.witnesses.values()
        ],
        "groups": [
            {"name": g.name, "threshold": g.threshold, "members": list(g.members)}
            for g in policy.groups.values()
        ],
    }


@router.get("/entries")
@reads
def entries_page(request: Request, page: int = Query(1, ge=1, le=100_000)) -> Response:
    person = signed_in(request)
    node = request.app.state.node
    entries, total = person.entries((page - 1) * ENTRIES_PER_PAGE, ENTRIES_PER_PAGE)
    pages = max(1, -(-total // ENTRIES_PER_PAGE))
    context = {
        "entries": entries,
        "total": total,
        "page": min(page, pages),
        "pages": pages,
        "vkey": node.ledger.verifier_key,
        "origin": node.origin,
        "witness_policy": witness_policy(adopted_policy(node.store)),
    }
    return render(request, "entries.html", context)
