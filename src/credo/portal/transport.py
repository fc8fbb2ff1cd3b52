"""Lighter on slow networks: the portal's pages and assets are gzip-compressed, and an asset
is named by its content's hash in its URL so that a browser keeps it for a year and never
asks again (a new version is a new URL).

Only GET responses outside the API are compressed. A page answering a form may echo what the
person typed beside the form's CSRF token, and compressing both together is what the BREACH
attack measures; the GET pages reflect nothing a third party can choose. Brotli is not offered:
no brotli package is among the project's dependencies, and gzip takes most of the gain.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs

from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

API_PREFIXES = ("/v1/", "/log/", "/docs", "/openapi", "/metrics", "/healthz", "/readyz")
"""Where the API answers: never compressed here, and its 404s stay problem documents."""
IMMUTABLE = "public, max-age=31536000, immutable"
MINIMUM_SIZE = 500
"""Smaller bodies are not worth a gzip header (and a redirect has none)."""


class PortalGZip:
    """gzip for the portal's GET responses; everything else passes through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=MINIMUM_SIZE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and not str(scope["path"]).startswith(API_PREFIXES)
        ):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


@cache
def _digest(path: Path, mtime_ns: int) -> str:
    del mtime_ns  # part of the cache key: an edited file gets a new hash
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def asset_version(directory: Path, name: str) -> str:
    """The first 12 hex digits of the SHA-256 of an asset's bytes."""
    path = directory / name
    return _digest(path, path.stat().st_mtime_ns)


def asset_url(directory: Path, name: str) -> str:
    """An asset's URL with its version: ``/assets/portal.css?v=3f2a...``."""
    return f"/assets/{name}?v={asset_version(directory, name)}"


class VersionedStatic(StaticFiles):
    """The portal's files: immutable for a year when asked for at their current version,
    revalidated on every use otherwise (an old or missing ``v``)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory)
        self.root = directory

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        wanted = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
        current = None
        if response.status_code == 200 and (self.root / path).is_file():
            current = asset_version(self.root, path)
        response.headers["Cache-Control"] = (
            IMMUTABLE if current is not None and wanted == current else "no-cache"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
