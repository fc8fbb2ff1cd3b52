"""/docs renders with no request leaving the machine: Debian's Chromium, driven by
Playwright, loads it from a real server while every non-loopback request is blocked."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e._server import Server, make_consortium

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(make_consortium(tmp_path / "data"), tmp_path / "serve.log")
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


def test_docs_render_with_every_outside_request_blocked(server: Server) -> None:
    from playwright.sync_api import Route, sync_playwright

    blocked: list[str] = []
    loaded: list[str] = []

    def only_loopback(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in ("127.0.0.1", "localhost"):
            loaded.append(url)
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": 360, "height": 740})
            page.route("**/*", only_loopback)
            page.goto(f"{server.url}/docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
            title = page.inner_text(".swagger-ui .info .title")
            page.wait_for_selector(".opblock-tag", timeout=30_000)
            tags = page.locator(".opblock-tag").all_inner_texts()
            page.wait_for_load_state("networkidle")  # every request the page makes, made
        finally:
            browser.close()
    assert "credo" in title
    assert any("entries" in t for t in tags)
    assert blocked == [], f"the docs asked the outside world for {blocked}"
    assert any(u.endswith("/openapi.json") for u in loaded)
