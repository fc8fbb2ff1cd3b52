"""A consultation's results for everyone (issue 29): no sign-in, no JavaScript needed.

``/consultations/{id}/results`` shows the opinion map as a server-rendered SVG with the same
figures as a table, the groups and what each thinks, consensus, bridging, divisive and
drifting statements (each figure with its interval, or "not enough votes yet"),
participation by language (counts under 10 suppressed) and how moderation went; a
signed-in participant also sees their pseudonym and the group they are closest to.

The page carries an ETag from the consultation's state (one small query, no analysis): a
poll (results.js, or any client) without new votes gets 304. The published documents a
``consultation.result`` entry names are served beside it: ``matrix.json``, ``result.json``
and ``published.json`` (the entry's index), which `credo consultation verify` reads.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from hashlib import sha256
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response

from credo.errors import NotFound
from credo.portal.routes.consult import _service as consultation_service
from credo.portal.routing import PortalRoute
from credo.portal.session import visitor
from credo.portal.web import SECURITY_HEADERS, language_of, render
from credo.services.consultations import Consultations, lang_of_portal

if TYPE_CHECKING:
    from credo.consultation import Result
    from credo.services.consultation_results import ConsultationResults

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

MAP_SIZE = 320
"""The opinion map's width and height in SVG units."""
MAP_BINS = 24
"""Participants are drawn binned on a 24 x 24 grid per group, one circle per occupied cell
sized by its count: a page for 100,000 participants stays as small as one for 100."""
LISTED = 10
"""Statements listed under each heading (consensus, bridging, divisive, drift)."""


def _results(request: Request) -> ConsultationResults:
    """One results service per node, kept on the app, so its cache outlives a request."""
    node = request.app.state.node
    found: ConsultationResults | None = getattr(request.app.state, "consultation_results", None)
    if found is None or found.c.people.writer is not node:
        consultations: Consultations | None = getattr(request.app.state, "consultations", None)
        if consultations is None or consultations.people.writer is not node:
            consultations = consultation_service(request)
        # Imported at the first results page: the analysis loads NumPy, 0.2 s of every
        # server's start, and most never show a result.
        from credo.services.consultation_results import ConsultationResults

        found = ConsultationResults(consultations, node.data.root / "documents")
        request.app.state.consultation_results = found
    return found


def _map(result: Result) -> dict[str, Any]:
    """The opinion map's geometry: binned points and group centres in SVG units."""
    points = result.participants
    if not points:
        return {"cells": [], "centres": [], "size": MAP_SIZE}
    xs = [p.x for p in points] + [g.centre[0] for g in result.groups]
    ys = [p.y for p in points] + [g.centre[1] for g in result.groups]
    span = max(max(abs(v) for v in xs), max(abs(v) for v in ys), 1e-9)
    pad = 16

    def scale(v: float, flip: bool = False) -> float:
        u = (v / span + 1) / 2
        return round(pad + (1 - u if flip else u) * (MAP_SIZE - 2 * pad), 1)

    counts: Counter[tuple[int, int, int]] = Counter()
    for p in points:
        bx = min(int((p.x / span + 1) / 2 * MAP_BINS), MAP_BINS - 1)
        by = min(int((p.y / span + 1) / 2 * MAP_BINS), MAP_BINS - 1)
        counts[(p.group, bx, by)] += 1
    most = max(counts.values())
    step = 2 * span / MAP_BINS
    cells = [
        {
            "group": g,
            "x": scale(-span + (bx + 0.5) * step),
            "y": scale(-span + (by + 0.5) * step, flip=True),
            "r": round(1.5 + 5.5 * math.sqrt(n / most), 1),
            "n": n,
        }
        for (g, bx, by), n in sorted(counts.items())
    ]
    centres = [
        {"label": g.label, "group": g.id, "x": scale(g.centre[0]), "y": scale(g.centre[1], True)}
        for g in result.groups
    ]
    return {"cells": cells, "centres": centres, "size": MAP_SIZE}


def _etag(request: Request, results: ConsultationResults, cid: str) -> str:
    session = visitor(request)
    who = "" if session is None else session.subject
    base = results.etag(cid)
    return '"' + sha256(f"{base}|{language_of(request)}|{who}".encode()).hexdigest()[:24] + '"'


@router.get("/consultations/{cid}/results")
def results_page(request: Request, cid: str) -> Response:
    from credo.services.consultation_results import suppressed  # here, as in `_results`

    results = _results(request)
    session = visitor(request)
    etag = _etag(request, results, cid)
    if request.headers.get("if-none-match") == etag:
        response = Response(status_code=304)
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = "no-cache" if session is None else "private, no-cache"
        return response
    reader = lang_of_portal(language_of(request))
    c = results.c.consultation(cid)
    summary = results.c.summary(c, reader)
    live = results.live(cid)
    result = live.result
    texts = results.texts(cid, reader)
    by_id = {s.id: s for s in result.statements}
    groups = [
        {
            "g": g,
            "share": round(100 * g.size / result.clustered) if result.clustered else 0,
            "reps": [(texts.get(rep.statement), rep) for rep in g.representative],
        }
        for g in result.groups
    ]

    def listed(ids: Any) -> list[tuple[Any, Any]]:
        return [(texts.get(s), by_id[s]) for s in list(ids)[:LISTED] if s in by_id]

    bridging = sorted(
        (s for s in result.statements if s.bridging is not None and s.bridging.bridging),
        key=lambda s: -s.bridging.intercept.value if s.bridging else 0.0,
    )
    languages = [
        {
            "language": lang.language,
            "voters": suppressed(lang.voters),
            "votes": suppressed(lang.votes),
        }
        for lang in result.languages
    ]
    conversation = results.conversation(c)
    if conversation is not None:
        mod = Counter(x.moderated for x in conversation.comments)
        moderation: dict[str, Any] = {
            "imported": True,
            "accepted": mod.get(1, 0),
            "unmoderated": mod.get(0, 0),
            "removed": mod.get(-1, 0),
        }
    else:
        moderation = {"imported": False, **results.c.moderation_log(cid)}
    try:
        published: dict[str, Any] | None = results.published(cid)
    except NotFound:
        published = None
    standing = None
    if session is not None:
        standing = results.standing(session.subject, cid) or {"pseudonym": None}
    context = {
        "c": summary,
        "result": result,
        "groups": groups,
        "map": _map(result),
        "consensus_agree": listed(result.consensus.agree),
        "consensus_disagree": listed(result.consensus.disagree),
        "bridging": [(texts.get(s.id), s) for s in bridging[:LISTED]],
        "divisive": listed(result.divisive),
        "drift": listed(result.drift),
        "waiting": sum(1 for s in result.statements if s.state != "ok"),
        "languages": languages,
        "moderation": moderation,
        "published": published,
        "standing": standing,
        "signed_in": session is not None,
        "etag": etag,
        "min_votes": result.params.min_statement_votes,
        "min_participant_votes": result.params.min_participant_votes,
    }
    response = render(request, "consultation_results.html", context, private=session is not None)
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "no-cache" if session is None else "private, no-cache"
    return response


def _document(data: bytes, filename: str) -> Response:
    response = Response(content=data, media_type="application/json")
    response.headers.update(SECURITY_HEADERS)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@router.get("/consultations/{cid}/published.json")
def published_info(request: Request, cid: str) -> Response:
    info = _results(request).published(cid)
    return _document(json.dumps(info, sort_keys=True).encode(), f"{cid}-published.json")


@router.get("/consultations/{cid}/matrix.json")
def matrix_document(request: Request, cid: str) -> Response:
    """The anonymised vote matrix the latest published result names (pseudonyms only)."""
    data = _results(request).published_document(cid, "matrix")
    return _document(data, f"{cid}-matrix.json")


@router.get("/consultations/{cid}/result.json")
def result_document(request: Request, cid: str) -> Response:
    data = _results(request).published_document(cid, "result")
    return _document(data, f"{cid}-result.json")
