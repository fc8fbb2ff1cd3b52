"""What a record's contents mean to a person: each record type's payload fields, with a
label and a format (money with its currency, durations, distances, counts, words from a known
list), so that a record reads "Amount ฿50,000.00", never ``amount 50000``.

The labels and the known words are English messages marked for the catalogs (``N_``); the
portal translates them and formats numbers with Babel in the reader's language. A field no
record type declares is shown under "Other details", its value only: the person sees all that
is recorded about them, and never a raw key.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from babel.numbers import format_currency, format_decimal, get_currency_symbol
from babel.units import format_unit

from credo.portal.labels import N_

Format = Literal["money", "minutes", "hours", "km", "count", "term", "text", "hidden"]

DEFAULT_CURRENCY = "THB"
"""The currency of an amount recorded without one: the deployment's (the demo's is Thailand)."""


@dataclass(frozen=True, slots=True)
class Field:
    label: str
    format: Format


AMOUNT = Field(N_("Amount"), "money")
CURRENCY = Field(N_("Currency"), "hidden")  # shown with the amount it belongs to
SOURCE = Field(N_("Where it came from"), "term")

COMMON: dict[str, Field] = {"source": SOURCE, "currency": CURRENCY}
"""Fields any record may carry."""

FIELDS: dict[str, dict[str, Field]] = {
    "account.opened": {"product": Field(N_("Kind of account"), "term")},
    "loan.opened": {"amount": AMOUNT},
    "loan.repaid": {"amount": AMOUNT},
    "bill.paid_on_time": {"amount": AMOUNT},
    "savings.deposit": {"amount": AMOUNT},
    "contract.started": {"tariff": Field(N_("Tariff"), "term")},
    "contract.ended": {"tariff": Field(N_("Tariff"), "term")},
    "ride.completed": {
        "minutes": Field(N_("Riding time"), "minutes"),
        "distance_km": Field(N_("Distance"), "km"),
    },
    "vehicle.purchased": {"model": Field(N_("Vehicle"), "term")},
    "vehicle.serviced": {"distance_km": Field(N_("Distance driven"), "km")},
    "course.completed": {"course": Field(N_("Course"), "term")},
    "degree.awarded": {"degree": Field(N_("Degree"), "term")},
    "enrolment.started": {"programme": Field(N_("Programme of study"), "term")},
    "library.returned": {"books": Field(N_("Books returned"), "count")},
    "volunteering.completed": {"hours": Field(N_("Hours given"), "hours")},
    "benefit.received": {"amount": AMOUNT},
    # types whose records carry no field of their own: the kind and the date say it all
    "address.registered": {},
    "bike.returned_on_time": {"minutes": Field(N_("Riding time"), "minutes")},
    "prescription.issued": {},
    "treatment.started": {},
    "vaccination.given": {},
    "visit.completed": {},
    "identity.registered": {
        "name": Field(N_("Name"), "text"),
        "locale": Field(N_("Language"), "term"),
    },
}

TERMS: dict[str, str] = {
    # account products, tariffs, vehicles
    "savings": N_("Savings account"),
    "current": N_("Current account"),
    "home": N_("Household"),
    "business": N_("Business"),
    "sedan": N_("Saloon car"),
    "pickup": N_("Pickup truck"),
    "EV hatchback": N_("Electric hatchback"),
    "scooter": N_("Scooter"),
    # degrees
    "BA Economics": N_("Bachelor of Arts in Economics"),
    "BSc Computer Science": N_("Bachelor of Science in Computer Science"),
    "BEng Civil Engineering": N_("Bachelor of Engineering in Civil Engineering"),
    "BBA Marketing": N_("Bachelor of Business Administration in Marketing"),
    "BSc Nursing": N_("Bachelor of Science in Nursing"),
    "MA Thai Literature": N_("Master of Arts in Thai Literature"),
    "MSc Data Science": N_("Master of Science in Data Science"),
    "BA Chinese Studies": N_("Bachelor of Arts in Chinese Studies"),
    # courses
    "Financial literacy": N_("Managing money"),
    "First aid": N_("First aid"),
    "Mandarin for beginners": N_("Mandarin for beginners"),
    "English for work": N_("English for work"),
    "Python programming": N_("Computer programming in Python"),
    "Bookkeeping": N_("Bookkeeping"),
    "Safe cycling": N_("Safe cycling"),
    # sources and languages
    "demo": N_("Demo data"),
    "th": N_("Thai"),
    "zh": N_("Chinese"),
    "en": N_("English"),
}
"""The words a field's value may be drawn from, by the value as recorded; a value not here is
shown as recorded (a member's own text)."""

OTHER = N_("Other details")


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def money(amount: Decimal, currency: str, locale: str) -> str:
    """An amount with its currency as the reader writes it: its symbol where the language
    has one (``฿50,000.00`` in Thai), else the currency's name (``50,000.00泰铢``), never a
    bare ISO code."""
    if get_currency_symbol(currency, locale) != currency:
        return format_currency(amount, currency, locale=locale)
    return format_currency(amount, currency, locale=locale, format_type="name")


def _format(field: Field, value: Any, payload: dict[str, Any], locale: str, gettext: Any) -> str:
    number = _number(value)
    if field.format == "money" and number is not None:
        currency = payload.get("currency")
        code = currency if isinstance(currency, str) and len(currency) == 3 else DEFAULT_CURRENCY
        return money(number, code.upper(), locale)
    if field.format in ("minutes", "hours") and number is not None:
        unit = "duration-minute" if field.format == "minutes" else "duration-hour"
        return format_unit(number, unit, length="long", locale=locale)
    if field.format == "km" and number is not None:
        return format_unit(number, "length-kilometer", length="long", locale=locale)
    if field.format == "count" and number is not None:
        return format_decimal(number, locale=locale)
    if field.format == "term" and isinstance(value, str) and value in TERMS:
        return str(gettext(TERMS[value]))
    return _plain(value, locale)


def _plain(value: Any, locale: str) -> str:
    number = _number(value)
    if number is not None and not isinstance(value, str):
        return format_decimal(number, locale=locale)
    if isinstance(value, str) and value in TERMS:
        return value
    if isinstance(value, list):
        return ", ".join(_plain(v, locale) for v in value)
    if isinstance(value, dict):
        return ", ".join(_plain(v, locale) for v in value.values())
    return str(value)


Row = tuple[str, str, bool]
"""A label, a value, and whether the value is a name (shown as written, in any script)."""


def describe(type_: str, payload: dict[str, Any], locale: str, gettext: Any) -> list[Row]:
    """A record's payload as rows in the reader's language, in the order its type declares
    them; fields no declaration knows come last, as one "Other details" row."""
    declared = {**COMMON, **FIELDS.get(type_, {})}
    rows: list[Row] = []
    other: list[str] = []
    for key, value in payload.items():
        field = declared.get(key)
        if field is None:
            term = TERMS.get(value) if isinstance(value, str) else None
            other.append(str(gettext(term)) if term else _plain(value, locale))
        elif field.format != "hidden":
            shown = _format(field, value, payload, locale, gettext)
            rows.append((str(gettext(field.label)), shown, field.format == "text"))
    if "currency" in payload and not any(
        FIELDS.get(type_, {}).get(k, SOURCE).format == "money" for k in payload
    ):
        other.append(_plain(payload["currency"], locale))
    if other:
        rows.append((str(gettext(OTHER)), "; ".join(other), False))
    return rows
