"""`credo.services.views`: a consent's status is decided in one place, on the window the
ledger reads under (valid from ``valid_from``, up to but not at ``valid_until``)."""

from __future__ import annotations

from credo.ledger.schema import parse_utc
from credo.services.views import consent_status, consent_view
from credo.store import ConsentRow

FROM, UNTIL = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"


def _row(revoked: int | None = None) -> ConsentRow:
    return ConsentRow(
        "c" * 32, "s" * 32, "bank", "credit_assessment", ("finance",), FROM, UNTIL, 7, revoked
    )


def test_a_consents_status_follows_its_window() -> None:
    start, end = parse_utc(FROM).timestamp(), parse_utc(UNTIL).timestamp()
    assert consent_status(_row(), start - 1) == "future"
    assert consent_status(_row(), start) == "active"
    assert consent_status(_row(), end - 1) == "active"
    assert consent_status(_row(), end) == "expired"  # as `decide` refuses a read at valid_until
    assert consent_status(_row(revoked=9), start) == "revoked"


def test_a_consent_view_becomes_the_exports_json() -> None:
    view = consent_view(_row(), parse_utc(UNTIL).timestamp() + 1)
    assert view.to_json() == {
        "id": "c" * 32,
        "member": "bank",
        "purpose": "credit_assessment",
        "categories": ["finance"],
        "valid_from": FROM,
        "valid_until": UNTIL,
        "status": "expired",
        "granted_index": 7,
        "revoked_index": None,
        "revoke_reason": None,
    }
