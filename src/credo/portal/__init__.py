"""The person's portal: server-rendered pages in Thai, Chinese and English.

`install(app, roster=...)` adds the portal's routes and assets to the API's app, so that one
server on one port answers both; the API's lifespan opens what the pages read (the node, the
accounts). A demo's roster (the people its sign-in page offers) comes from the CLI: the portal
imports no demo code. Every flow works as plain HTML forms; JavaScript only signs in with
passkeys and checks the person's entries against the log in the browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from credo.portal.routes import access, data, devices, home, programme, records, signin
from credo.portal.web import Portal, RosterPerson

STATIC = Path(__file__).parent / "static"


def install(
    app: FastAPI, *, roster: Sequence[RosterPerson] = (), form_key: bytes | None = None
) -> None:
    """Serve the portal from ``app``: ``/`` is its home page, ``/assets/`` its files.
    ``roster``: the people the sign-in page lets anyone sign in as, without a passkey (a
    demo's synthetic people); empty everywhere else. ``form_key``: the key pre-sign-in form
    tokens are MACed under (the data directory's, `credo.services.node.portal_form_key`, so
    that every process serving it accepts the others'); a random one if not given."""
    portal = Portal(roster=list(roster))
    if form_key is not None:
        portal.form_key = form_key
    app.state.portal = portal
    for module in (home, signin, programme, records, access, data, devices):
        app.include_router(module.router)
    app.mount("/assets", StaticFiles(directory=STATIC), name="portal-assets")
