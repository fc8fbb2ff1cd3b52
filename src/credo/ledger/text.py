"""What a piece of text must not hold: control characters, bidi overrides, and nothing visible.

Text on the log and in people's data is shown back, in the portal, in exports, in terminals. A
C0 control byte reaches HTML and terminals raw; a bidi override (U+202E and its kin, Unicode
TR #9 section 2) makes ``evil.exe`` read as ``exe.live`` and a member's name read as another's
(CVE-2021-42574, "Trojan Source"); a statement of zero-width spaces looks blank yet passes a
length check. These checks refuse such text; `canonical_name` is the form two members' display
names are compared in, so two members cannot share a name that only differs in case, width or
composition.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

__all__ = [
    "NO_CONTROL_LINES",
    "canonical_name",
    "check_json_values",
    "text_problem",
]

NO_CONTROL_LINES = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]*$"
"""A JSON Schema pattern for multi-line text with no control or bidi character: what an API
schema can say of `text_problem` (which also refuses text that shows nothing)."""

# C0 controls and DEL; tab, line feed and carriage return only where ``multiline``.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f]")
# Bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069).
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Characters that draw nothing though their category says letter or symbol.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Categories that draw nothing on their own: format (zero-width space, joiners, BOM, ...),
# separators, controls, unassigned, and combining marks with no base.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Cn", "Co", "Cs", "Zs", "Zl", "Zp", "Mn", "Me"})


def _visible(ch: str) -> bool:
    return ch not in _BLANK_LETTERS and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES


def text_problem(value: str, *, multiline: bool = False, blank: bool = False) -> str | None:
    """Why ``value`` is refused, or None: a control character, a bidi control, or (unless
    ``blank``) no visible character at all (an empty string is left to the caller's length
    check)."""
    controls = _CONTROL if multiline else _CONTROL_OR_NEWLINE
    found = controls.search(value)
    if found:
        return f"holds the control character U+{ord(found.group()):04X}"
    found = _BIDI.search(value)
    if found:
        return f"holds the bidi control U+{ord(found.group()):04X}, which reorders what is shown"
    if value and not blank and not any(_visible(ch) for ch in value):
        return "has no visible character (only spaces, zero-width or invisible characters)"
    return None


def check_json_values(value: Any, where: str = "payload") -> str | None:
    """Why a JSON value is refused, or None: a number that is not finite (NaN, Infinity:
    not JSON at all, RFC 8259 section 6), or a key or string holding a control or bidi
    character. Newlines and tabs may stay in strings; blank strings may too."""
    stack: list[tuple[str, Any]] = [(where, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return f"{path} is {item!r}, which JSON cannot carry"
        if isinstance(item, str):
            problem = _string_problem(item)
            if problem:
                return f"{path} {problem}"
        elif isinstance(item, Mapping):
            for key, child in item.items():
                problem = _string_problem(str(key))
                if problem:
                    return f"a key in {path} {problem}"
                stack.append((f"{path}.{str(key)[:40]}", child))
        elif isinstance(item, list | tuple):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
    return None


def _string_problem(value: str) -> str | None:
    found = _CONTROL.search(value) or _BIDI.search(value)
    if found is None:
        return None
    return f"holds U+{ord(found.group()):04X} (a control or bidi character)"


def canonical_name(name: str) -> str:
    """The form display names are compared in: NFKC (so full-width and composed forms meet
    their plain ones), case-folded, runs of white space as one space, no edge spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())
