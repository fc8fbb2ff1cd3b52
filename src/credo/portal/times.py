"""Dates and times as people read them: in the deployment's time zone, said on every time,
and in the Buddhist era on Thai pages (2569 for 2026), the Gregorian year elsewhere.

Babel has no Thai solar calendar, so the Buddhist year is put in explicitly: the year fields
of the language's own date pattern are replaced with the year plus 543, and the era with
"พ.ศ.". Thailand's calendar has started its year on 1 January since 1941, so for the dates
credo holds the Buddhist year is always the Gregorian year plus 543. What leaves the portal as
data (the JSON export) keeps RFC 3339 in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import (
    format_date,
    format_time,
    get_date_format,
    get_datetime_format,
    get_timezone_location,
)

from credo.errors import InputError

BUDDHIST_OFFSET = 543
BUDDHIST_ERA = "พ.ศ."


def zone_of(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (``Asia/Bangkok``), or a clear refusal."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"unknown time zone {name!r}", code="bad_time_zone") from exc


def parse_time(value: str | datetime | date) -> datetime:
    """A stored time (RFC 3339, a bare date, or a value) as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = value.replace("Z", "+00:00")
    if len(text) == 10:
        text += "T00:00:00+00:00"
    return datetime.fromisoformat(text)


def buddhist_pattern(pattern: str, year: int) -> str:
    """``pattern`` (a CLDR date pattern) with every year field replaced by the Buddhist year
    of ``year`` and every era field by "พ.ศ.", as quoted literals; quoted text is kept."""
    out: list[str] = []
    quoted = False
    k = 0
    while k < len(pattern):
        char = pattern[k]
        if char == "'":
            quoted = not quoted
            out.append(char)
            k += 1
            continue
        if not quoted and char in "yG":
            end = k
            while end < len(pattern) and pattern[end] == char:
                end += 1
            text = str(year + BUDDHIST_OFFSET) if char == "y" else BUDDHIST_ERA
            out.append(f"'{text}'")
            k = end
            continue
        out.append(char)
        k += 1
    return "".join(out)


def zone_label(zone: ZoneInfo, locale: str) -> str:
    """How a reader names the zone: "เวลาไทย", "泰国时间", "Thailand Time"; UTC as "UTC"."""
    if zone.key in ("UTC", "Etc/UTC", "Etc/GMT", "GMT"):
        return "UTC"
    return str(get_timezone_location(zone, locale=locale))


def _local(value: str | datetime | date, zone: ZoneInfo) -> datetime:
    if isinstance(value, str) and len(value) == 10:  # a calendar date: no time to move
        return parse_time(value).replace(tzinfo=zone)
    return parse_time(value).astimezone(zone)


def local_date(
    value: str | datetime | date, zone: ZoneInfo, locale: str, fmt: str = "medium"
) -> str:
    """A date in the zone, in the reader's language and era. ``fmt`` is a named format or a
    CLDR pattern (``MMM y``)."""
    moment = _local(value, zone)
    pattern = fmt
    if fmt in ("short", "medium", "long", "full"):
        pattern = get_date_format(fmt, locale).pattern  # type: ignore[arg-type]
    if locale == "th":
        pattern = buddhist_pattern(pattern, moment.year)
    return format_date(moment, pattern, locale=locale)


def local_datetime(value: str | datetime | date, zone: ZoneInfo, locale: str) -> str:
    """A date and time in the zone, with the zone said: "7 ธ.ค. 2569 16:05 (เวลาไทย)"."""
    moment = _local(value, zone)
    day = local_date(moment, zone, locale)
    clock = format_time(moment, "short", locale=locale)
    combined = str(get_datetime_format("medium", locale)).replace("{1}", day).replace("{0}", clock)
    return f"{combined} ({zone_label(zone, locale)})"
