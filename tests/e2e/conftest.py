"""Fixtures shared by the end-to-end tests that drive a browser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e._browser import CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright, one per test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()
