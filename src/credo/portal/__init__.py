"""The person's portal: server-rendered pages in Thai, Chinese and English.

`install(app, data_dir)` adds the portal's routes and assets to the API's app, so that one
server on one port answers both; the API's lifespan opens what the pages read (the node, the
accounts). Every flow works as plain HTML forms; JavaScript only signs in with passkeys and
checks the person's entries against the log in the browser.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from credo.portal.busy import busy_page
from credo.portal.routes import access, data, devices, home, programme, records, signin
from credo.portal.web import Portal
from credo.services.demo import demo_roster
from credo.services.node import DataDir

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI, data_dir: Path) -> None:
    """Serve the portal from ``app``: ``/`` is its home page, ``/assets/`` its files."""
    app.state.portal = Portal(roster=demo_roster(DataDir(data_dir)))
    app.state.busy_page = busy_page(app.state.portal)  # credo.api.admission's refusals
    for module in (home, signin, programme, records, access, data, devices):
        app.include_router(module.router)
    app.mount("/assets", StaticFiles(directory=STATIC), name="portal-assets")
