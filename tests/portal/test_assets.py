"""The portal's own files: no web font or outside resource to download, and no rule that would
break Thai (written without spaces between words) in the middle of a word."""

from __future__ import annotations

import re
from pathlib import Path

import credo.portal

STATIC = Path(credo.portal.__file__).parent / "static"
TEMPLATES = Path(credo.portal.__file__).parent / "templates"


def rules(css: str) -> list[tuple[str, str]]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return [(sel.strip(), body) for sel, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)]


def test_text_is_never_broken_mid_word() -> None:
    for selector, body in rules((STATIC / "portal.css").read_text()):
        assert "break-all" not in body, selector
        if "anywhere" in body:  # keys, hashes and checkpoints only, never prose
            assert selector in (".wrap", "pre.checkpoint"), selector


def test_no_font_or_outside_resource_is_loaded() -> None:
    css = (STATIC / "portal.css").read_text()
    assert "@font-face" not in css
    assert "url(" not in css
    for path in [*TEMPLATES.rglob("*.html"), *STATIC.glob("*.js")]:
        text = path.read_text()
        assert not re.search(r"""(?:src|href)=["']https?://""", text), path
        assert "//fonts." not in text, path
