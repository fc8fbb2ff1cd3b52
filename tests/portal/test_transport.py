"""Lighter on slow networks: compressed pages, assets cached for a year under a versioned URL,
the language switcher at the top of every page, and typed text kept across a switch."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

from fastapi.testclient import TestClient

import credo.portal
from tests.portal.conftest import World, sign_in

STATIC = Path(credo.portal.__file__).parent / "static"


def _raw(client: TestClient, path: str, **headers: str) -> tuple[dict[str, str], bytes]:
    """The response's headers and its body as sent (not decompressed by the client)."""
    with client.stream("GET", path, headers=headers) as response:
        body = b"".join(response.iter_raw())
        return dict(response.headers), body


def test_pages_are_gzipped_for_browsers_that_ask(client: TestClient) -> None:
    headers, body = _raw(client, "/consortium", **{"accept-encoding": "gzip"})
    assert headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in headers["vary"]
    page = gzip.decompress(body)
    assert b"<!doctype html>" in page
    assert len(body) < len(page) / 2
    plain_headers, plain = _raw(client, "/consortium", **{"accept-encoding": "identity"})
    assert "content-encoding" not in plain_headers
    assert plain.startswith(b"<!doctype html>")


def test_the_api_and_form_answers_are_not_compressed(client: TestClient, world: World) -> None:
    headers, _ = _raw(client, "/log/checkpoint", **{"accept-encoding": "gzip"})
    assert "content-encoding" not in headers
    csrf = sign_in(client, world.alice.subject)
    answer = client.post(
        f"/records/{world.alice.records[0]}/dispute",
        data={"csrf": csrf, "step": "check", "statement": "x" * 900},
        headers={"accept-encoding": "gzip"},
    )
    assert "content-encoding" not in answer.headers  # it echoes input beside the token


def test_assets_have_their_hash_in_the_url_and_are_immutable(client: TestClient) -> None:
    page = client.get("/").text
    urls = re.findall(r'(?:href|src)="(/assets/[^"]+)"', page)
    assert {u.split("?")[0] for u in urls} >= {"/assets/portal.css", "/assets/keep.js"}
    for url in urls:
        name, version = re.fullmatch(r"/assets/([\w.]+)\?v=([0-9a-f]{12})", url).groups()
        assert version == hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
        cached = client.get(url)
        assert cached.status_code == 200
        assert cached.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert client.get(f"/assets/{name}").headers["cache-control"] == "no-cache"
        assert client.get(f"/assets/{name}?v=000000000000").headers["cache-control"] == "no-cache"


def test_the_language_switcher_is_at_the_top_of_every_page(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.alice.subject)
    for path in ("/", "/score", "/records", "/help", "/consortium", "/data/export.html"):
        page = client.get(path).text
        header = page.split("<main")[0]
        assert 'href="/lang/th?next=' in header or 'lang="th" aria-current' in header, path
        assert 'hreflang="zh-Hant"' in header, path
        assert page.count('class="languages"') == 1, path


def test_a_dispute_form_keeps_its_text_across_a_language_switch(
    client: TestClient, world: World
) -> None:
    """The page loads keep.js, which saves each named text field of a form in the tab's
    sessionStorage and restores it into the same empty field after the switch (the browser
    test drives it for real); the switch returns to the same address."""
    sign_in(client, world.alice.subject)
    path = f"/records/{world.alice.records[0]}/dispute"
    page = client.get(path).text
    assert re.search(r'<script src="/assets/keep\.js\?v=[0-9a-f]{12}" defer>', page)
    assert '<textarea id="statement" name="statement"' in page
    switch = client.get(f"/lang/th?next={path}", follow_redirects=False)
    assert switch.headers["location"] == path
    script = (STATIC / "keep.js").read_text()
    assert "sessionStorage" in script
    assert "location.pathname" in script


def test_without_javascript_a_switch_posts_the_form_back_in_the_new_language(
    client: TestClient, world: World
) -> None:
    """On the dispute form the switcher's entries are buttons of the form (``step=change``):
    the switch re-sends the typed text to the form's own address, which shows it again."""
    csrf = sign_in(client, world.alice.subject)
    client.cookies.set("credo_lang", "en")
    path = f"/records/{world.alice.records[0]}/dispute"
    page = client.get(path).text
    header = page.split("<main")[0]
    assert 'form="dispute-form"' in header
    assert f'formaction="/lang/th?next={path}"' in header
    assert 'name="step" value="change"' in header
    switched = client.post(
        f"/lang/th?next={path}",
        data={"step": "change", "csrf": csrf, "statement": "ยอดเงินผิด <ไม่ใช่ของฉัน>"},
        follow_redirects=False,
    )
    assert switched.status_code == 307
    assert switched.headers["location"] == path
    assert switched.cookies.get("credo_lang") == "th"
    again = client.post(
        path, data={"step": "change", "csrf": csrf, "statement": "ยอดเงินผิด <ไม่ใช่ของฉัน>"}
    )
    assert '<html lang="th">' in again.text
    assert "ยอดเงินผิด &lt;ไม่ใช่ของฉัน&gt;</textarea>" in again.text
    outside = client.post("/lang/th?next=https://example.org/", follow_redirects=False)
    assert outside.headers["location"] == "/"  # never off the site
