""" "Since your last visit": what happened to a person's data after the time their browser
last saw the home page (new records, reads, answers to their disputes), and the consents that
run out soon.

The time of the last visit is kept in a cookie in the person's own browser, not on the
server: it is only a time, it is no one else's business, and a shared computer forgets it
with the rest of the cookies. Without it (a first visit) the list is not shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from credo.portal.times import parse_time
from credo.services.views import AccessView, ConsentView, DisputeView, RecordView

SEEN_COOKIE = "credo_seen"
SEEN_MAX_AGE = 400 * 86400
EXPIRING_DAYS = 30
"""A consent in force that ends within this many days is listed as running out."""


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def last_visit(cookie: str | None) -> datetime | None:
    """The time in the cookie, or None if there is none or it is not a time."""
    if not cookie or len(cookie) > 40:
        return None
    try:
        return parse_time(cookie)
    except ValueError:
        return None


def _after(value: str | None, moment: datetime) -> bool:
    """At or after ``moment``: the log's times are whole seconds, so something in the same
    second as the last visit is listed again rather than missed."""
    if not value:
        return False
    try:
        return parse_time(value) >= moment
    except ValueError:
        return False


def since(
    seen: datetime,
    now: datetime,
    records: Sequence[RecordView],
    access: Sequence[AccessView],
    disputes: Sequence[DisputeView],
    consents: Sequence[ConsentView],
) -> dict[str, list[Any]]:
    """What is new after ``seen``, and the consents in force that end within
    `EXPIRING_DAYS` of ``now``."""
    soon = now + timedelta(days=EXPIRING_DAYS)
    return {
        "records": [r for r in records if _after(r.recorded_at, seen)],
        "access": [a for a in access if _after(a.at, seen)],
        "answers": [d for d in disputes if d.status != "open" and _after(d.closed_at, seen)],
        "expiring": [
            c for c in consents if c.status == "active" and parse_time(c.valid_until) <= soon
        ],
    }
