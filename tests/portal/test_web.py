"""Rendering: a public page's kept main block (`render_public`) reads exactly as the page
rendered whole, keeps nothing of the person who asked first, and follows the state."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from jinja2 import Environment

from credo.portal import i18n
from credo.portal.routes import home
from credo.portal.web import Portal, render
from credo.services.node import admit_member
from tests.portal.conftest import World, node_of, sign_in

PUBLIC = ("/help", "/consortium")
LANGUAGES = ("en", "th", "zh_Hans", "zh_Hant")


def _kept(client: TestClient) -> list[str]:
    portal: Portal = client.app.state.portal  # type: ignore[attr-defined]
    return [str(block) for _, block in portal._blocks.values()]


def _pages(client: TestClient, session: str) -> dict[tuple[str, str, bool], str]:
    out = {}
    for signed_in in (False, True):
        client.cookies.clear()
        if signed_in:
            client.cookies.set("credo_session", session)
        for code in LANGUAGES:
            client.cookies.set("credo_lang", code)
            for path in PUBLIC:
                for _ in range(2):  # the second from the kept block
                    page = client.get(path)
                    assert page.status_code == 200
                out[(path, code, signed_in)] = page.text
    return out


def test_a_kept_block_reads_as_the_page_rendered_whole(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(client, world.alice.subject)
    session = client.cookies["credo_session"]
    kept = _pages(client, session)

    def whole(request: Request, template: str, version: object, context: Any) -> Any:
        return render(request, template, context(), private=False)

    monkeypatch.setattr(home, "render_public", whole)
    assert _pages(client, session) == kept


def test_a_kept_block_holds_nothing_of_the_person(world: World, client: TestClient) -> None:
    csrf = sign_in(client, world.alice.subject)
    for path in PUBLIC:
        page = client.get(path)
        assert csrf in page.text  # the page's own sign-out form, outside the block
    name = client.get("/").text
    kept = _kept(client)
    assert kept
    for block in kept:
        assert csrf not in block
        assert world.alice.subject not in block
        assert 'action="/signout"' not in block
    assert "/signout" in name


def test_a_kept_block_follows_the_consortium(fresh: tuple[World, TestClient]) -> None:
    _, client = fresh
    for path in PUBLIC:
        assert "Lamphun Water Works" not in client.get(path).text
    admit_member(node_of(client), "lamphun-water", "Lamphun Water Works", "utility", ["provider"])
    for path in PUBLIC:
        assert "Lamphun Water Works" in client.get(path).text


def test_the_consent_form_follows_the_members(fresh: tuple[World, TestClient]) -> None:
    """The readers it offers are kept between pages (`Portal.members`), and reread when a
    member is admitted."""
    world, client = fresh
    sign_in(client, world.alice.subject)
    assert "Lamphun Water Works" not in client.get("/consents/new").text
    admit_member(node_of(client), "lamphun-water", "Lamphun Water Works", "utility", ["reader"])
    assert "Lamphun Water Works" in client.get("/consents/new").text


GETTEXT_CASES = (
    '{{ _("Your score") }}',
    '{{ _("Sign in") }}|{{ _("Sign in") }}',
    '{{ _("all 100%% of it") }}',
    '{{ _("100%% of %(what)s", what=name) }}',
    '{{ _("Hello, %(name)s", name=name) }}',
    '{{ gettext("%(n)s of %(m)s", n=1, m=name) }}',
    '{{ ngettext("%(num)s point", "%(num)s points", 1) }}',
    '{{ ngettext("%(num)s point", "%(num)s points", 7, num="<7>") }}',
    "{{ _(label) }}",
)


@pytest.mark.parametrize("code", LANGUAGES)
@pytest.mark.parametrize("source", GETTEXT_CASES)
def test_the_page_gettext_answers_as_jinjas_own(code: str, source: str) -> None:
    """The portal's own ``_``/``gettext``/``ngettext`` (`web._page_gettext`) read exactly as
    Jinja's new-style ones: translated, escaped, formatted, ``%%`` included."""
    theirs = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    theirs.install_gettext_translations(i18n.translations(code), newstyle=True)  # type: ignore[attr-defined]
    ours = Portal().env(code)
    values = {"name": "<b>Somchai & co</b>", "label": "Sign in"}
    expected = theirs.from_string(source).render(values)
    assert ours.from_string(source).render(values) == expected
    assert ours.from_string(source).render(values) == expected  # the second from what was kept
