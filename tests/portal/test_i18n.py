"""Which language a request gets, and that every message is translated in every language."""

from __future__ import annotations

import pytest

from credo.portal import catalogs, i18n


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("th", "th"),
        ("th-TH,en;q=0.5", "th"),
        ("en;q=0.4, th;q=0.9", "th"),
        ("zh-CN", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("zh-Hans-SG", "zh_Hans"),
        ("zh-TW", "zh_Hant"),
        ("zh-HK", "zh_Hant"),
        ("zh-Hant", "zh_Hant"),
        ("fr-FR, de;q=0.9", "en"),
        ("fr, zh-MO;q=0.2", "zh_Hant"),
        ("th;q=0, zh-TW", "zh_Hant"),
        ("th;q=abc, zh", "zh_Hans"),
        ("*", "en"),
        ("x" * 5000, "en"),
    ],
)
def test_accept_language_is_negotiated(header: str | None, expected: str) -> None:
    assert i18n.negotiate(header) == expected


def test_the_switcher_wins_over_the_browser_and_unknown_choices_are_ignored() -> None:
    assert i18n.choose("zh_Hant", "th") == "zh_Hant"
    assert i18n.choose("klingon", "th") == "th"


def test_every_message_is_translated_and_compiled_in_every_language() -> None:
    assert catalogs.check() == []


def test_translations_keep_every_placeholder() -> None:
    import re

    placeholder = re.compile(r"%\([a-z_]+\)[sd]")
    for code in catalogs.TRANSLATED:
        for message in catalogs.load(code):
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            wanted = set(placeholder.findall(ids[-1]))
            for text in strings:
                assert set(placeholder.findall(text)) == wanted, (code, ids[0], text)
