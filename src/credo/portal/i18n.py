"""The portal's languages: which one a request gets, and the gettext catalogs behind them.

Catalogs are Babel gettext catalogs under ``locales/<locale>/LC_MESSAGES/messages.po``, with
their compiled ``.mo`` beside them; `credo.portal.catalogs` extracts, updates and compiles
them, and the test suite checks that every message is translated in every language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # the catalog's locale, as Babel names it
    tag: str  # the BCP 47 tag, for `lang` attributes and Content-Language
    name: str  # the language's name in itself, for the switcher


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("th", "th", "ไทย"),
        Language("zh_Hans", "zh-Hans", "简体中文"),
        Language("zh_Hant", "zh-Hant", "繁體中文"),
        Language("en", "en", "English"),
    )
}
DEFAULT = "en"
SOURCE = "en"
"""The language the messages are written in: its catalog is the identity."""

_TRADITIONAL_REGIONS = {"tw", "hk", "mo"}
_RANGE = re.compile(
    r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$"
)


def language_for_tag(tag: str) -> str | None:
    """The catalog for one BCP 47 language tag, or None if the portal has no such language."""
    parts = tag.lower().split("-")
    if parts[0] == "th":
        return "th"
    if parts[0] == "en":
        return "en"
    if parts[0] == "zh":
        rest = set(parts[1:])
        if "hant" in rest or (rest & _TRADITIONAL_REGIONS and "hans" not in rest):
            return "zh_Hant"
        return "zh_Hans"
    return None


def negotiate(accept_language: str | None) -> str:
    """The best of the portal's languages for an ``Accept-Language`` header (RFC 9110
    section 12.5.4): highest quality first, the header's order among equals."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "")[:1000].split(",")):
        match = _RANGE.match(item)
        if match is None:
            continue
        try:
            quality = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        if quality > 0:
            ranked.append((-quality, position, match.group(1)))
    for _, _, tag in sorted(ranked):
        code = language_for_tag(tag)
        if code is not None:
            return code
    return DEFAULT


def choose(cookie: str | None, accept_language: str | None) -> str:
    """The language chosen on the switcher (a cookie) if any, else the browser's."""
    if cookie in LANGUAGES:
        return cookie
    return negotiate(accept_language)


@cache
def translations(code: str) -> NullTranslations:
    """The compiled catalog for a language (the source language translates to itself)."""
    if code == SOURCE:
        return NullTranslations()
    loaded = Translations.load(str(LOCALES_DIR), [code], DOMAIN)
    if not isinstance(loaded, Translations):
        raise RuntimeError(f"no compiled catalog for {code} under {LOCALES_DIR}")
    return loaded
