"""The person's records, one record, and disputing it: write what is wrong, check your
answers, send; then a confirmation with a reference and the date the member must answer by."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from credo.ledger.text import text_problem
from credo.portal.routing import PortalRoute, reads
from credo.portal.session import read_form, signed_in
from credo.portal.web import redirect, render
from credo.services.disputing import dispute_preview, own_statement
from credo.services.person import Person
from credo.services.programme import MAX_STATEMENT

router = APIRouter(route_class=PortalRoute, include_in_schema=False)


@router.get("/records")
@reads
def records_page(request: Request) -> Response:
    person = signed_in(request)
    return render(request, "records.html", {"records": person.records()})


def _keep(record_id: str) -> dict[str, str]:
    """The dispute form, for the language switcher: a switch posts it back as it is (with
    ``step=change``), so what was typed comes back in the other language, JavaScript or not."""
    return {"id": "dispute-form", "action": f"/records/{record_id}/dispute"}


def _preview(person: Person, record_id: str) -> dict[str, object] | None:
    """What disputing the record would do to the person's score, in figures."""
    found = dispute_preview(person.people, person.subject, record_id)
    return None if found is None else found.as_dict()


@router.get("/records/{record_id}")
@reads
def record_page(request: Request, record_id: str) -> Response:
    person = signed_in(request)
    record = person.record(record_id)
    preview = _preview(person, record_id) if record.disputable else None
    return render(request, "record.html", {"record": record, "preview": preview})


@router.get("/records/{record_id}/dispute")
@reads
def dispute_form(request: Request, record_id: str) -> Response:
    person = signed_in(request)
    record = person.record(record_id)
    context = {
        "record": record,
        "statement": "",
        "error": None,
        "max": MAX_STATEMENT,
        "preview": _preview(person, record_id),
        "keep_form": _keep(record_id),
    }
    return render(request, "dispute_form.html", context)


@router.post("/records/{record_id}/dispute")
async def dispute_step(request: Request, record_id: str) -> Response:
    """``step=check`` shows the answers back; ``step=change`` returns to the form with them;
    ``step=send`` opens the dispute."""
    person = signed_in(request)
    form = await read_form(request)
    record = person.record(record_id)
    statement = form.get("statement").strip()
    # a language switch on the page sends step=change beside the form's own hidden step
    step = "change" if "change" in form.all("step") else form.get("step")
    # Counted in characters (a Thai statement of 2,000 is 2,000, not its 6,000 bytes), and
    # refused if it shows nothing or holds control or bidi characters (`credo.ledger.text`).
    valid = 1 <= len(statement) <= MAX_STATEMENT and not text_problem(statement, multiline=True)
    if step == "change" or not valid:
        context = {
            "record": record,
            "statement": statement[:MAX_STATEMENT],
            "error": None if valid else "bad_statement",
            "max": MAX_STATEMENT,
            "preview": _preview(person, record_id),
            "keep_form": _keep(record_id),
        }
        return render(request, "dispute_form.html", context, status=200 if valid else 400)
    if step == "send":
        dispute = person.open_dispute(record_id, statement)
        return redirect(f"/disputes/{dispute.id}?opened=1")
    context = {
        "record": record,
        "statement": statement,
        "preview": _preview(person, record_id),
        "keep_form": _keep(record_id),
    }
    return render(request, "dispute_check.html", context)


@router.get("/disputes")
@reads
def disputes_page(request: Request) -> Response:
    person = signed_in(request)
    return render(request, "disputes.html", {"disputes": person.disputes()})


@router.get("/disputes/{dispute_id}")
@reads
def dispute_page(request: Request, dispute_id: str, opened: int = 0) -> Response:
    person = signed_in(request)
    dispute = person.dispute(dispute_id)
    record = person.record(dispute.record_id)
    context = {
        "dispute": dispute,
        "record": record,
        "opened": bool(opened),
        "statement": own_statement(person.people, person.subject, dispute_id),
    }
    return render(request, "dispute.html", context)
