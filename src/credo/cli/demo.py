"""credo demo: a synthetic consortium in a default data directory, served on localhost."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from credo.cli._common import DataOption, console
from credo.cli.ledger_cmds import serve
from credo.cli.member import DEFAULT_ROLES
from credo.scoring import DEFAULT_RULES_BYTES
from credo.services.node import DataDir, Node, admit_member, init_consortium

DEMO_ORIGIN = "credo.example/demo"
DEMO_MEMBERS = [
    ("city-registry", "City Registry Office", "government"),
    ("first-bank", "First City Bank", "bank"),
    ("city-hospital", "City General Hospital", "hospital"),
    ("state-university", "State University", "university"),
    ("power-co", "City Power & Water", "utility"),
    ("citybikes", "City Bikes", "transport"),
    ("hotel-association", "City Hotel Association", "company"),
    ("high-street-traders", "High Street Traders", "company"),
    ("rights-watch", "Citizens' Rights Watch", "civil_society"),
]


def _adopt_default_rules(ledger: Node) -> None:
    """The programme's rules go through governance like any other: proposed, voted, adopted."""
    body = {
        "id": "rules-2026-1",
        "action": "adopt_rules",
        "params": {"document": DEFAULT_RULES_BYTES.decode()},
        "rationale": "The programme's first rules: rewards for repaid loans, bills paid on time, "
        "bikes returned on time, degrees and volunteering.",
    }
    ledger.submit_one("governance.propose", "rights-watch", body)
    for voter in ["rights-watch", ledger.operator, *(m for m, _, _ in DEMO_MEMBERS)]:
        proposal = ledger.store.get_proposal("rules-2026-1")
        if proposal is None or proposal.status != "open":
            break
        ledger.submit_one("governance.vote", voter, {"proposal": "rules-2026-1", "vote": "yes"})


# Synthetic people (national ids are made up) and what members record about them.
DEMO_PEOPLE = {
    "TH-1103700012345": [
        ("first-bank", "finance", "loan.repaid", 40),
        ("first-bank", "finance", "bill.paid_on_time", 12),
        ("power-co", "utilities", "bill.paid_on_time", 20),
        ("state-university", "education", "degree.awarded", 400),
        ("city-hospital", "health", "visit.completed", 30),  # special: recorded, never scored
    ],
    "CN-110101199003077777": [  # a regular cyclist: earns the deposit-free bike rental
        ("citybikes", "mobility", kind, d)
        for d in range(1, 36)
        for kind in ("bike.returned_on_time", "ride.completed")
    ]
    + [("city-registry", "civic", "volunteering.completed", 15)],
    "GB-QQ123456C": [("first-bank", "finance", "loan.opened", 90)],
}


def _seed_people(ledger: Node) -> None:
    """Records about three synthetic people; two enrol; one disputes a record."""
    from datetime import UTC, datetime, timedelta

    from credo.ledger.keys import MemberKey
    from credo.services import scores as service
    from credo.services.people import People, ReadRequest
    from credo.services.programme import Programme

    people = People.open(ledger)
    try:
        now = datetime.now(UTC)
        first_record: dict[str, str] = {}
        for nid, records in DEMO_PEOPLE.items():
            for member, category, type_, days_ago in records:
                when = (now - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
                key = MemberKey.load(ledger.data.member_key(member))
                record_id, _ = people.put_record(
                    key, member, nid, category, type_, {"source": "demo"}, when
                )
                first_record.setdefault(nid, record_id)
        prog = Programme(people)
        for nid in list(DEMO_PEOPLE)[:2]:
            service.rescore(ledger.store, prog.enrol(nid))
        prog.open_dispute(
            "GB-QQ123456C", first_record["GB-QQ123456C"], "I never opened this account."
        )
        consent, _ = people.grant_consent(
            "TH-1103700012345",
            "first-bank",
            "credit_assessment",
            ["finance", "utilities"],
            (now + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        digest = "sha256:" + hashlib.sha256(b"demo request").hexdigest()
        for basis in (consent, "0" * 32):  # a read under the consent, and one refused
            people.read(
                ReadRequest(
                    "first-bank",
                    "TH-1103700012345",
                    "credit_assessment",
                    ("consent", basis),
                    ("finance",),
                    digest,
                )
            )
    finally:
        people.close()


def seed_demo(root: Path) -> Node:
    """Create the demo consortium: members, and a few diplomas attested (one revoked)."""
    ledger = init_consortium(root, DEMO_ORIGIN)
    for member_id, name, sector in DEMO_MEMBERS:
        admit_member(ledger, member_id, name, sector, DEFAULT_ROLES[sector])
    for n in range(1, 4):
        digest = hashlib.sha256(f"demo diploma {n}".encode()).hexdigest()
        ledger.submit_one(
            "attestation.issue",
            "state-university",
            {"digest": f"sha256:{digest}", "doc_type": "diploma", "note": f"BSc, class of 202{n}"},
        )
    _adopt_default_rules(ledger)
    revoked = hashlib.sha256(b"demo diploma 3").hexdigest()
    ledger.submit_one(
        "attestation.revoke",
        "state-university",
        {"digest": f"sha256:{revoked}", "reason": "issued in error"},
    )
    _seed_people(ledger)
    return ledger


def demo(
    data: DataOption,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Create (once) a synthetic consortium in the data directory and serve it."""
    shown = escape(str(data))  # a path or host may hold brackets Rich would take for markup
    if not DataDir(data).config.exists():
        seed_demo(data).close()
        console.print(f"created the demo consortium in {shown}")
    base = escape(f"http://{host}:{port}")
    digest = hashlib.sha256(b"demo diploma 1").hexdigest()
    console.print(f"serving on {base}  (API docs {base}/docs)")
    console.print(f"  checkpoint:   curl {base}/log/checkpoint")
    console.print(f"  attestation:  curl {base}/v1/attestations/{digest}")
    console.print(f"  verify:       credo verify --data {shown}")
    console.print(
        f"  a score:      credo score --data {shown} --national-id TH-1103700012345 --explain"
    )
    console.print(
        f"  an export:    credo person export --data {shown} --national-id TH-1103700012345"
    )
    serve(data, host=host, port=port, workers=None)


def register(app: typer.Typer) -> None:
    app.command()(demo)
