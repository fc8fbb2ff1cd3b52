"""credo.api: the HTTP interface (FastAPI). Build it with `create_app(settings)`.

`create_app` is imported on first use (PEP 562): the members' client and the command line
import `credo.api.httpsig` alone, and importing FastAPI and every route for them cost each
`credo` command about half a second (bench: `python -X importtime -c "import credo.cli"`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from credo.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from credo.api.app import create_app

        return create_app
    raise AttributeError(f"module 'credo.api' has no attribute {name!r}")
