"""A record's contents in words: declared fields with their labels and Babel formats, unknown
fields as "Other details" by value only, never a raw key."""

from __future__ import annotations

import pytest

from credo.portal.fields import describe
from credo.portal.i18n import translations


def rows(type_: str, payload: dict[str, object], locale: str) -> list[tuple[str, str, bool]]:
    return describe(type_, payload, locale, translations(locale).gettext)


@pytest.mark.parametrize(
    ("locale", "amount"),
    [
        ("th", "฿50,000.00"),
        ("en", "50,000.00 Thai baht"),
        ("zh_Hans", "50,000.00泰铢"),
        ("zh_Hant", "50,000.00 泰銖"),
    ],
)
def test_money_carries_its_currency_in_the_reader_s_words(locale: str, amount: str) -> None:
    ((label, value, _),) = rows("loan.opened", {"amount": 50000, "currency": "THB"}, locale)
    assert value == amount
    assert label != "amount"


def test_durations_distances_and_known_words_are_formatted() -> None:
    assert rows("ride.completed", {"minutes": 54, "distance_km": 12.5}, "th") == [
        ("เวลาที่ปั่น", "54 นาที", False),
        ("ระยะทาง", "12.5 กิโลเมตร", False),
    ]
    assert rows("course.completed", {"course": "Bookkeeping"}, "zh_Hant") == [
        ("課程", "簿記", False)
    ]
    assert rows("volunteering.completed", {"hours": 3}, "en") == [("Hours given", "3 hours", False)]


def test_an_amount_without_a_currency_is_in_the_deployment_s() -> None:
    assert rows("bill.paid_on_time", {"amount": 1234}, "th") == [("จำนวนเงิน", "฿1,234.00", False)]


def test_an_unknown_field_is_other_details_by_value_never_by_key() -> None:
    shown = rows("loan.repaid", {"amount": 10, "branch_code": "BKK-17", "late": 0}, "en")
    assert shown[-1] == ("Other details", "BKK-17; 0", False)
    assert all("branch_code" not in label and "late" not in label for label, _, _ in shown)


def test_a_name_is_shown_as_written() -> None:
    assert rows("identity.registered", {"name": "Oliver Bennett", "locale": "en"}, "th") == [
        ("ชื่อ", "Oliver Bennett", True),
        ("ภาษา", "ภาษาอังกฤษ", False),
    ]


def test_every_record_type_declares_its_fields() -> None:
    from credo.ledger.categories import CATEGORIES
    from credo.portal.fields import FIELDS

    assert {t for c in CATEGORIES.values() for t in c.types} == set(FIELDS)
