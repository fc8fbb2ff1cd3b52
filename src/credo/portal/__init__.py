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

from credo.errors import InputError
from credo.portal.busy import busy_page
from credo.portal.notfound import install_not_found
from credo.portal.routes import (
    access,
    consult,
    data,
    devices,
    home,
    programme,
    records,
    results,
    signin,
)
from credo.portal.times import zone_of
from credo.portal.transport import PortalGZip, VersionedStatic
from credo.portal.web import STATIC, Portal, RosterPerson
from credo.services.node import DataDir, portal_form_key

DEFAULT_ZONE = "UTC"


def time_zone(data_dir: Path, configured: str | None = None) -> str:
    """The deployment's time zone: the one configured for the server (``CREDO_TIME_ZONE``),
    else the consortium's (``time_zone`` in DIR/config.json; the demo's is Asia/Bangkok),
    else UTC."""
    if configured:
        return configured
    try:
        value = DataDir(data_dir).read_config().get("time_zone")
    except (OSError, ValueError, InputError):
        value = None
    return value if isinstance(value, str) and value else DEFAULT_ZONE


def install(
    app: FastAPI,
    data_dir: Path,
    *,
    roster: Sequence[RosterPerson] = (),
    zone: str | None = None,
) -> None:
    """Serve the portal from ``app``: ``/`` is its home page, ``/assets/`` its files; times
    are shown in ``zone`` (see `time_zone`). ``roster``: the people the sign-in page lets
    anyone sign in as, without a passkey (a demo's synthetic people); empty everywhere else.
    Pre-sign-in form tokens are MACed under the data directory's form key
    (`credo.services.node.portal_form_key`), so every process serving it accepts the others'."""
    app.state.portal = Portal(
        roster=list(roster),
        zone=zone_of(time_zone(data_dir, zone)),
        form_key=portal_form_key(DataDir(data_dir)),
    )
    app.state.busy_page = busy_page(app.state.portal)  # credo.api.admission's refusals
    for module in (home, signin, programme, records, access, data, devices, consult, results):
        app.include_router(module.router)
    app.mount("/assets", VersionedStatic(STATIC), name="portal-assets")
    install_not_found(app)
    app.add_middleware(PortalGZip)
