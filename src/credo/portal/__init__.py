"""The person's portal: server-rendered pages in Thai, Chinese and English.

`install(app, data_dir)` adds the portal's routes and assets to the API's app, so that one
server on one port answers both; the API's lifespan opens what the pages read (the node, the
accounts). Every flow works as plain HTML forms; JavaScript only signs in with passkeys and
checks the person's entries against the log in the browser.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from credo.errors import InputError
from credo.portal.notfound import install_not_found
from credo.portal.routes import access, data, home, programme, records, signin
from credo.portal.times import zone_of
from credo.portal.transport import PortalGZip, VersionedStatic
from credo.portal.web import STATIC, Portal
from credo.services.demo import demo_roster
from credo.services.node import DataDir

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


def install(app: FastAPI, data_dir: Path, zone: str | None = None) -> None:
    """Serve the portal from ``app``: ``/`` is its home page, ``/assets/`` its files; times
    are shown in ``zone`` (see `time_zone`)."""
    app.state.portal = Portal(
        roster=demo_roster(DataDir(data_dir)), zone=zone_of(time_zone(data_dir, zone))
    )
    for module in (home, signin, programme, records, access, data):
        app.include_router(module.router)
    app.mount("/assets", VersionedStatic(STATIC), name="portal-assets")
    install_not_found(app)
    app.add_middleware(PortalGZip)
