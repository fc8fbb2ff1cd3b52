"""What the portal's browser tests share: Debian's Chromium, a phone's viewport, and a demo
data directory (the two people of tests/portal listed on the sign-in page, so a test signs in
without a passkey). The ``browser`` fixture is in tests/e2e/conftest.py."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from credo.ledger.keys import MemberKey
from credo.portal import i18n
from credo.services.consultations import Consultations, moment
from credo.services.node import DataDir, Node, admit_member
from credo.services.people import People
from tests.e2e._server import Server, free_port
from tests.portal.conftest import ALICE, BOB, World, _seed

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
VIEWPORT = {"width": 360, "height": 740}


def demo_world(root: Path) -> World:
    """The portal tests' consortium at ``root``, marked a demo so the sign-in page lists
    Alice (button 0) and Bob (button 1)."""
    world = _seed(root)
    roster = [
        {"national_id": ALICE, "name": "สมหญิง ใจดี", "locale": "th", "profile": "scored"},
        {"national_id": BOB, "name": "王建国", "locale": "zh", "profile": "disputing"},
    ]
    (root / "demo-people.json").write_text(json.dumps({"people": roster}, ensure_ascii=False))
    config = DataDir(root).read_config()
    DataDir(root).config.write_text(json.dumps({**config, "demo": True}))
    return world


def tr(code: str, message: str) -> str:
    """``message`` as the portal shows it in language ``code``."""
    return i18n.translations(code).gettext(message)


def open_streets(node: Node, cid: str) -> tuple[Consultations, MemberKey]:
    """A city council, made convener, opens consultation ``cid`` on sharing the streets
    (English and Thai, post-moderated, open for 30 days); the service and its key."""
    council = admit_member(node, "council", "City Council", "government", ["convener"])
    service = Consultations(People.open(node))
    service.open(
        "council",
        council,
        cid,
        {"en": "How should we share the streets?", "th": "เราควรแบ่งถนนกันอย่างไร"},
        opens_at=moment(-1),
        closes_at=moment(30),
        moderation="post",
    )
    return service, council


class Site:
    """A demo world served by a real `credo serve`, as a browser reaches it."""

    def __init__(self, world: World, server: Server) -> None:
        self.world, self.server = world, server
        self.url = f"http://localhost:{server.port}"


@contextmanager
def served(root: Path, world: World) -> Iterator[Site]:
    """`credo serve` on ``root`` at a free port, its passkey origin that port; stopped on exit."""
    port = free_port()
    server = Server(
        root,
        root.parent / "serve.log",
        {"CREDO_PUBLIC_URL": f"http://localhost:{port}"},
        workers=0,
        port=port,
    )
    try:
        server.wait_ready()
        yield Site(world, server)
    finally:
        server.stop()


def new_page(browser: Any, *, locale: str = "th-TH", javascript: bool = True) -> Any:
    context = browser.new_context(
        viewport=VIEWPORT, locale=locale, java_script_enabled=javascript, device_scale_factor=1
    )
    return context.new_page()
