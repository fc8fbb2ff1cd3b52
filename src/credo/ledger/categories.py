"""The controlled vocabulary of people's data: record categories, their types, the sectors that
may submit them, and the purposes a member may name when it reads them.

Special categories (docs/design.md, People's data) are listed in full; only those a sector holds
lawfully are recordable (a hospital records health data), none is ever readable for scoring,
and biometric data is refused outright, whatever its category claims.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from credo.errors import EntryRejected

SPECIAL_CATEGORIES: frozenset[str] = frozenset(
    {
        "health",
        "biometrics",
        "political",
        "state_security",
        "religion",
        "ethnicity",
        "trade_union",
        "sex_life",
        "criminal",
    }
)

OPINION_KINDS: frozenset[str] = frozenset(
    {"consultation.statement", "consultation.vote", "consultation.flag", "consultation.translate"}
)
"""Entry kinds whose content is a political opinion (special category ``political``): what a
person said and voted in a public consultation. They are never records, so no member's read
(`credo.ledger.kinds.access`), no score and no export to a member reaches them; only the
person's own view and export, and the operator's consultation services, open them."""

KIND_CATEGORIES: dict[str, str] = dict.fromkeys(OPINION_KINDS, "political")
"""The special category of the personal kinds that are not records but still carry one."""


def opinion_kind(kind: str) -> bool:
    """True for a kind that carries a political opinion: never logged, scored or shared."""
    return KIND_CATEGORIES.get(kind) in SPECIAL_CATEGORIES


CATEGORY_PATTERN = r"^[a-z][a-z0-9_]{1,31}$"
TYPE_PATTERN = r"^[a-z][a-z0-9_]{0,30}(\.[a-z][a-z0-9_]{0,30}){1,3}$"
PURPOSE_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    sectors: frozenset[str]
    types: frozenset[str]
    special: bool = False


def _cat(name: str, sectors: set[str], types: set[str]) -> Category:
    return Category(name, frozenset(sectors), frozenset(types), name in SPECIAL_CATEGORIES)


CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in (
        _cat(
            "finance",
            {"bank"},
            {
                "loan.opened",
                "loan.repaid",
                "bill.paid_on_time",
                "account.opened",
                "savings.deposit",
            },
        ),
        _cat(
            "utilities",
            {"utility", "energy"},
            {"bill.paid_on_time", "contract.started", "contract.ended"},
        ),
        _cat(
            "mobility",
            {"transport", "company", "automotive"},
            {"bike.returned_on_time", "ride.completed", "vehicle.serviced", "vehicle.purchased"},
        ),
        _cat(
            "education",
            {"university"},
            {"degree.awarded", "course.completed", "enrolment.started"},
        ),
        _cat(
            "civic",
            {"government"},
            {
                "library.returned",
                "volunteering.completed",
                "address.registered",
                "benefit.received",
            },
        ),
        # A civil registry's record of who a person is: their registered name, as the
        # registry spells it (payload {"name", "locale"}). Not scored; shared only by consent.
        _cat("identity", {"government"}, {"identity.registered"}),
        _cat(
            "health",
            {"hospital"},
            {"visit.completed", "vaccination.given", "treatment.started", "prescription.issued"},
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Purpose:
    name: str
    scoring: bool  # a scoring purpose never sees a special category
    description: str


PURPOSES: dict[str, Purpose] = {
    p.name: p
    for p in (
        Purpose("credit_programme", True, "computing the person's civic credit score"),
        Purpose("credit_assessment", True, "assessing an application for credit"),
        Purpose("service_provision", False, "providing a service the person asked for"),
        Purpose("healthcare", False, "treating the person"),
        Purpose("benefit_eligibility", False, "deciding eligibility for a public benefit"),
        Purpose("legal_obligation", False, "complying with a law that requires the read"),
        Purpose("dispute_resolution", False, "answering the person's dispute of a record"),
        Purpose("research", False, "statistical research"),
        Purpose("subject_access", False, "giving the person their own data, as they asked"),
    )
}

# Words in a payload's keys that mark biometric data, which the ledger refuses outright.
_BIOMETRIC_WORDS = frozenset(
    {
        "biometric",
        "biometrics",
        "fingerprint",
        "fingerprints",
        "face_template",
        "faceprint",
        "facial",
        "iris",
        "retina",
        "voiceprint",
        "dna",
        "genome",
        "palmprint",
    }
)
_WORD = re.compile(r"[a-z0-9]+")


def check_recordable(category: str, type_: str, sector: str) -> Category:
    """Raise unless a member of ``sector`` may record ``type_`` in ``category``."""
    if category == "biometrics":
        raise EntryRejected("biometric data is refused outright", code="biometric_refused")
    found = CATEGORIES.get(category)
    if found is None:
        if category in SPECIAL_CATEGORIES:
            raise EntryRejected(
                f"special category {category!r} is held lawfully by no sector of this consortium",
                code="special_category_refused",
            )
        raise EntryRejected(
            f"unknown category {category!r}; known: {', '.join(sorted(CATEGORIES))}",
            code="unknown_category",
        )
    if type_ not in found.types:
        raise EntryRejected(
            f"unknown type {type_!r} for category {category!r}; known: "
            f"{', '.join(sorted(found.types))}",
            code="unknown_type",
        )
    if sector not in found.sectors:
        raise EntryRejected(
            f"a {sector} member may not record {category!r} data; allowed sectors: "
            f"{', '.join(sorted(found.sectors))}",
            code="sector_not_allowed",
        )
    return found


def check_categories(categories: list[str] | tuple[str, ...]) -> None:
    """Raise unless every name is a known category, with no repeats."""
    for name in categories:
        if name not in CATEGORIES:
            code = "biometric_refused" if name == "biometrics" else "unknown_category"
            raise EntryRejected(f"unknown category {name!r}", code=code)
    if len(set(categories)) != len(categories):
        raise EntryRejected("a category is named twice", code="duplicate_category")


def check_purpose(purpose: str) -> Purpose:
    found = PURPOSES.get(purpose)
    if found is None:
        raise EntryRejected(
            f"unknown purpose {purpose!r}; known: {', '.join(sorted(PURPOSES))}",
            code="unknown_purpose",
        )
    return found


def readable(category: str, purpose: str, sector: str) -> bool:
    """May a member of ``sector`` read ``category`` for ``purpose``, given a basis covering it?

    Special categories: never for a scoring purpose, and only by a sector that holds them
    lawfully (the sectors allowed to record them).
    """
    found = CATEGORIES.get(category)
    if found is None:
        return False
    if not found.special:
        return True
    return not PURPOSES[purpose].scoring and sector in found.sectors


def refuse_biometric(payload: Mapping[str, Any]) -> None:
    """Refuse a payload whose field names mark it as biometric data (docs/design.md)."""
    stack: list[Any] = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            for key, value in item.items():
                words = _WORD.findall(str(key).lower())
                joined = {"_".join(words[i : i + 2]) for i in range(len(words))}
                if _BIOMETRIC_WORDS & (set(words) | joined):
                    raise EntryRejected(
                        f"payload field {key!r} names biometric data, which is refused outright",
                        code="biometric_refused",
                    )
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
