"""What the portal's browser tests share: Debian's Chromium, a phone's viewport, and a demo
data directory (the two people of tests/portal listed on the sign-in page, so a test signs in
without a passkey). The ``browser`` fixture is in tests/e2e/conftest.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from credo.services.node import DataDir
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


def new_page(browser: Any, *, locale: str = "th-TH", javascript: bool = True) -> Any:
    context = browser.new_context(
        viewport=VIEWPORT, locale=locale, java_script_enabled=javascript, device_scale_factor=1
    )
    return context.new_page()
