"""credo.api: the HTTP interface (FastAPI). Build it with `create_app(settings)`."""

from credo.api.app import create_app

__all__ = ["create_app"]
