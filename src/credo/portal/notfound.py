"""An address nobody serves answers a person with a page in their language, not JSON.

The API keeps its RFC 9457 problem bodies: a request under one of its prefixes, or one that
does not ask for HTML, gets the API's answer as before.
"""

from __future__ import annotations

from collections.abc import Awaitable

from fastapi import FastAPI, Request, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from credo.portal.transport import API_PREFIXES
from credo.portal.web import render


def wants_page(request: Request) -> bool:
    """A browser's navigation, outside the API: it asks for HTML by name."""
    path = request.url.path
    if path.startswith(API_PREFIXES) or path.startswith("/assets/"):
        return False
    return "text/html" in request.headers.get("accept", "")


def install_not_found(app: FastAPI) -> None:
    """Wrap the API's handler of Starlette's HTTP errors: a 404 a browser asked for becomes
    the portal's page; everything else is answered by the API's handler."""
    api_handler = app.exception_handlers[StarletteHTTPException]

    async def handler(request: Request, exc: Exception) -> Response:
        if (
            isinstance(exc, StarletteHTTPException)
            and exc.status_code == 404
            and wants_page(request)
        ):
            context = {"status": 404, "code": "not_found", "message": None}
            return render(request, "error.html", context, status=404)
        answer = api_handler(request, exc)
        return await answer if isinstance(answer, Awaitable) else answer

    app.add_exception_handler(StarletteHTTPException, handler)
