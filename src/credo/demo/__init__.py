"""credo.demo: the synthetic consortium `credo demo` creates, and nothing else uses: its
members and names (`cast`), the plan of its people's two years (`plan`), writing the plan
through the log (`seed`, with a second process signing ahead: `signing`), and the people its
portal offers to sign in as (`roster`).

Only the CLI imports this package (pyproject's import-linter contracts say so): the served
portal gets the demo's roster through its installer, so production code carries no demo code.
"""

from credo.demo.plan import MEMBERS, DemoMember, plan_people
from credo.demo.roster import ROSTER_FILE, DemoPerson, demo_roster, is_complete, is_demo
from credo.demo.seed import DEFAULT_PEOPLE, DEFAULT_SEED, RULES_PROPOSAL, seed_demo

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
