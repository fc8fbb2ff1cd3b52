"""The refusals a rules document must pass before it can be adopted.

Each check raises ``RulesRejected`` with a machine-readable code and a message that names the
offending place in the document, so a governance reviewer can fix it without reading code.
Kept apart from the pydantic models because these are the programme's policy (DESIGN "People's
data" and "The credit programme"), not its shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from credo.errors import RulesRejected
from credo.ledger.categories import SPECIAL_CATEGORIES as LEDGER_SPECIAL_CATEGORIES

if TYPE_CHECKING:
    from credo.scoring.rules import RulesDocument

# One list for the whole system (docs/design.md, People's data): the ledger refuses to share
# them for scoring, and the rules checker refuses any rule that names them.
SPECIAL_CATEGORIES = LEDGER_SPECIAL_CATEGORIES

# Common spellings of the same special categories, so "medical.visit" or "religious_service"
# cannot slip past an exact-match list. Each maps to the canonical name reported in messages.
_ALIASES: dict[str, str] = {
    "medical": "health",
    "biometric": "biometrics",
    "politics": "political",
    "religious": "religion",
    "ethnic": "ethnicity",
    "racial": "ethnicity",
    "trade_unions": "trade_union",
    "sexual": "sex_life",
    "conviction": "criminal",
    "convictions": "criminal",
}

# Words that only appear in a rules document to mark someone down or shut them out.
_PENALTY = re.compile(
    r"^(penal\w*|deny\w*|denied|denial\w*|blacklist\w*|blocklist\w*|restrict\w*"
    r"|sanction\w*|punish\w*|ban|banned|bans|demerit\w*|deduct\w*)$"
)
_WORD = re.compile(r"[a-z0-9]+")


def _special(name: str) -> str | None:
    """The special category a name mentions, matching whole words so "health.*",
    "mental_health" and "trade-union" are caught but "healthy" or "credit_union" are not."""
    words = _WORD.findall(name.lower())
    for size in (1, 2):
        for start in range(len(words) - size + 1):
            joined = "_".join(words[start : start + size])
            if joined in SPECIAL_CATEGORIES:
                return joined
            if joined in _ALIASES:
                return _ALIASES[joined]
    return None


def _walk(node: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every key and string value in a parsed document, with a JSON-pointer-like path."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}/{key}"
            yield here, str(key)
            yield from _walk(value, here)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}/{index}")
    elif isinstance(node, str):
        yield path, node


def refuse_penalty_words(raw: dict[str, Any]) -> None:
    """Refuse any key or string value that names a penalty, anywhere in the document."""
    for path, text in _walk(raw, ""):
        for word in _WORD.findall(text.lower()):
            if _PENALTY.match(word):
                raise RulesRejected(
                    f"rules refused at {path or '/'}: {text!r} names a penalty ({word!r}); "
                    "the credit programme grants rewards only and has no penalty, deny, "
                    "blacklist or restriction construct",
                    code="penalty",
                )


def _refuse_special(doc: RulesDocument) -> None:
    names: list[tuple[str, str]] = []
    for context, categories in doc.contexts.items():
        names.append((f"/contexts/{context}", context))
        names += [(f"/contexts/{context}", category) for category in categories]
    for i, card in enumerate(doc.scorecards):
        names += [(f"/scorecards/{i}/id", card.id), (f"/scorecards/{i}/context", card.context)]
        for j, line in enumerate(card.lines):
            at = f"/scorecards/{i}/lines/{j}"
            names += [(f"{at}/id", line.id), (f"{at}/category", line.category)]
            names.append((f"{at}/type", line.type))
    for i, benefit in enumerate(doc.benefits):
        names += [(f"/benefits/{i}/id", benefit.id), (f"/benefits/{i}/context", benefit.context)]
    for path, name in names:
        found = _special(name)
        if found is not None:
            raise RulesRejected(
                f"rules refused at {path}: {name!r} names the special category {found!r}; "
                "special categories are never scoring inputs",
                code="special_category",
            )


def _refuse_penalties(doc: RulesDocument) -> None:
    base = doc.score.base
    if base < doc.score.min:
        raise RulesRejected(
            f"rules refused at /score/base: base {base} is below score.min {doc.score.min}; "
            "a score may only rise from the base",
            code="penalty",
        )
    for i, card in enumerate(doc.scorecards):
        for j, line in enumerate(card.lines):
            if line.points < 1:
                raise RulesRejected(
                    f"rules refused at /scorecards/{i}/lines/{j}/points: line {line.id!r} "
                    f"gives {line.points} points; every line must add at least 1 point",
                    code="penalty",
                )
    for i, tier in enumerate(doc.tiers):
        if tier.min_score < base:
            raise RulesRejected(
                f"rules refused at /tiers/{i}: tier {tier.name!r} starts at {tier.min_score}, "
                f"below the base {base}; a tier under the base could only mark people down",
                code="penalty",
            )


def _schema(message: str) -> RulesRejected:
    return RulesRejected(f"rules refused: {message}", code="schema")


def _refuse_inconsistent(doc: RulesDocument) -> None:
    """Shape rules JSON Schema cannot say: ranges, ordering, uniqueness, references."""
    s = doc.score
    if not s.min < s.max or s.base > s.max:
        raise _schema(f"score range needs min < max and base <= max, got {s}")
    if doc.tiers[0].min_score != s.base:
        raise _schema("the first tier must start at score.base so everyone enrolled has a tier")
    bounds = [t.min_score for t in doc.tiers]
    if bounds != sorted(set(bounds)) or len({t.name for t in doc.tiers}) != len(doc.tiers):
        raise _schema("tiers must have unique names and strictly ascending min_score")
    if len({c.id for c in doc.scorecards}) != len(doc.scorecards):
        raise _schema("scorecard ids must be unique")
    if len({b.id for b in doc.benefits}) != len(doc.benefits):
        raise _schema("benefit ids must be unique")
    for card in doc.scorecards:
        if card.context not in doc.contexts:
            raise _schema(f"scorecard {card.id!r} names unknown context {card.context!r}")
        if len({ln.id for ln in card.lines}) != len(card.lines):
            raise _schema(f"line ids must be unique within scorecard {card.id!r}")
        if len({(ln.category, ln.type) for ln in card.lines}) != len(card.lines):
            raise _schema(f"two lines of scorecard {card.id!r} score the same category and type")
        for line in card.lines:
            if line.cap is not None and line.cap.max_points < line.points:
                raise _schema(f"line {line.id!r}: cap.max_points is below one record's points")
    cards = {c.id for c in doc.scorecards}
    tiers = {t.name for t in doc.tiers}
    for benefit in doc.benefits:
        if benefit.context not in doc.contexts:
            raise _schema(f"benefit {benefit.id!r} names unknown context {benefit.context!r}")
        if benefit.scorecard not in cards:
            raise _schema(f"benefit {benefit.id!r} names unknown scorecard {benefit.scorecard!r}")
        if benefit.min_tier not in tiers:
            raise _schema(f"benefit {benefit.id!r} names unknown tier {benefit.min_tier!r}")


def _refuse_out_of_context(doc: RulesDocument) -> None:
    for card in doc.scorecards:
        allowed = doc.contexts[card.context]
        for line in card.lines:
            if line.category not in allowed:
                raise RulesRejected(
                    f"rules refused: line {line.id!r} of scorecard {card.id!r} scores category "
                    f"{line.category!r}, outside its context {card.context!r} "
                    f"(allowed: {sorted(allowed)})",
                    code="out_of_context",
                )
    for benefit in doc.benefits:
        card_context = doc.scorecard(benefit.scorecard).context
        if card_context != benefit.context:
            raise RulesRejected(
                f"rules refused: benefit {benefit.id!r} is in context {benefit.context!r} but "
                f"uses scorecard {benefit.scorecard!r} of context {card_context!r}; a benefit "
                "may use only records from its own context",
                code="out_of_context",
            )


def vet(doc: RulesDocument) -> None:
    """Run every policy check, most serious first."""
    _refuse_special(doc)
    _refuse_penalties(doc)
    _refuse_inconsistent(doc)
    _refuse_out_of_context(doc)
