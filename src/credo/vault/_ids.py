"""Validation of the identifiers the vault accepts: national ids, subject refs, record keys."""

from __future__ import annotations

import re

from credo.errors import InputError

__all__ = ["check_hex_id", "normalize_national_id"]

_RAW_ID = re.compile(r"[A-Za-z0-9 -]{1,64}", re.ASCII)
_NORMAL_ID = re.compile(r"[A-Z0-9]{4,32}", re.ASCII)
_HEX_ID = re.compile(r"[0-9a-f]{32}", re.ASCII)


def normalize_national_id(raw: str) -> str:
    """Uppercase, strip dashes and spaces, then require 4-32 chars of [A-Z0-9].

    ASCII only on purpose: ``str.upper`` maps some non-ASCII letters to several characters
    ("ß" to "SS"), which would let two different inputs land on one person.
    """
    if not isinstance(raw, str) or not _RAW_ID.fullmatch(raw):
        raise InputError(
            "a national id is 4-32 letters and digits, optionally with dashes or spaces",
            code="bad_national_id",
        )
    normal = raw.replace("-", "").replace(" ", "").upper()
    if not _NORMAL_ID.fullmatch(normal):
        raise InputError(
            f"a national id is 4-32 letters and digits once dashes and spaces are removed; "
            f"got {len(normal)}",
            code="bad_national_id",
        )
    return normal


def check_hex_id(value: str, what: str, code: str) -> str:
    """Require 32 lowercase hex chars (16 random bytes), the shape of refs and record keys."""
    if not isinstance(value, str) or not _HEX_ID.fullmatch(value):
        raise InputError(f"a {what} is 32 lowercase hex characters", code=code)
    return value
