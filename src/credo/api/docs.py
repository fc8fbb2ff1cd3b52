"""The API's own documentation page (/docs, Swagger UI), served from assets installed with
credo (the `fastapi-offline` package ships them), so it renders with no request leaving the
machine: FastAPI's default loads it from a CDN and is blank offline. There is no /redoc:
ReDoc's bundle fetches its logo from a CDN (the browser test caught it)."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"


def install(app: FastAPI) -> None:
    """Serve /docs from local assets; call with ``docs_url=None, redoc_url=None``."""
    directory = resources.files("fastapi_offline") / "static"
    app.mount(ASSETS, StaticFiles(directory=str(directory)), name="docs-assets")
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            # Swagger UI would send the description to validator.swagger.io off localhost.
            swagger_ui_parameters={"validatorUrl": None},
        )

    app.include_router(router)
