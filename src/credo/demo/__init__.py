"""credo.demo: the synthetic consortium `credo demo` creates, and nothing else uses.

Only the CLI imports this package (pyproject's import-linter contracts say so): the served
portal gets the demo's roster through its installer, so production code carries no demo code.
"""

from credo.demo.seed import (
    DEFAULT_PEOPLE,
    DEFAULT_SEED,
    MEMBERS,
    ROSTER_FILE,
    RULES_PROPOSAL,
    DemoMember,
    DemoPerson,
    demo_roster,
    is_complete,
    is_demo,
    plan_people,
    seed_demo,
)

__all__ = [
    "DEFAULT_PEOPLE",
    "DEFAULT_SEED",
    "MEMBERS",
    "ROSTER_FILE",
    "RULES_PROPOSAL",
    "DemoMember",
    "DemoPerson",
    "demo_roster",
    "is_complete",
    "is_demo",
    "plan_people",
    "seed_demo",
]
