"""The page a person gets when the server is past capacity (credo.portal.busy): in their
language, and for a form, saying that what they sent was not saved (issue 27, item 4)."""

from __future__ import annotations

import pytest

from credo.portal import i18n
from credo.portal.busy import busy_page
from credo.portal.web import Portal

NOT_SAVED = {
    "en": "What you sent was not saved.",
    "th": "สิ่งที่คุณส่งมายังไม่ได้บันทึก",
    "zh_Hans": "您提交的内容没有保存。",
    "zh_Hant": "您送出的內容沒有儲存。",
}


@pytest.mark.parametrize("code", sorted(i18n.LANGUAGES))
def test_a_refused_form_says_in_the_persons_language_that_it_was_not_saved(code: str) -> None:
    page = busy_page(Portal())
    tag = i18n.LANGUAGES[code].tag
    body, language = page({"accept-language": tag}, "POST")
    assert language == tag
    assert NOT_SAVED[code] in body.decode()
    assert f'lang="{tag}"' in body.decode()
    plain, _ = page({"accept-language": tag}, "GET")
    assert NOT_SAVED[code] not in plain.decode()  # a page read: nothing was sent


def test_the_language_chosen_on_the_switcher_wins_and_a_bad_cookie_is_ignored() -> None:
    page = busy_page(Portal())
    body, language = page({"cookie": "credo_lang=zh_Hant", "accept-language": "th"}, "POST")
    assert language == "zh-Hant"
    assert NOT_SAVED["zh_Hant"] in body.decode()
    _, fallback = page({"cookie": 'bad="\\', "accept-language": "th"}, "GET")
    assert fallback == "th"
