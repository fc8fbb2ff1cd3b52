"""credo consent ...: the operator as consent manager, recording a person's consent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.markup import escape

from credo.cli._common import DataOption, console_err
from credo.cli._people import NationalIdOption, open_people

app = typer.Typer(help="Grant and revoke consent on a person's behalf.", no_args_is_help=True)


@app.command("grant")
def grant(
    data: DataOption,
    nid: NationalIdOption,
    member: Annotated[str, typer.Option(help="The member the person consents to")],
    purpose: Annotated[str, typer.Option(help="e.g. credit_assessment, service_provision")],
    categories: Annotated[list[str], typer.Option("--category", help="Repeatable")],
    days: Annotated[int, typer.Option(min=1, max=3650, help="Validity from now, in days")] = 90,
) -> None:
    """Record the person's consent; prints the consent id the member names when reading."""
    until = (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with open_people(data) as people:
        consent_id, index = people.consents.grant(nid, member, purpose, categories, until)
    console_err.print(f"consent granted at log index {index}, valid until {until}")
    print(consent_id)


@app.command("revoke")
def revoke(
    data: DataOption,
    consent_id: Annotated[str, typer.Option("--id", help="The consent to revoke")],
    reason: Annotated[str, typer.Option(help="A reason code")] = "revoked_by_person",
) -> None:
    """Revoke a consent: every later read under it is refused."""
    with open_people(data) as people:
        index = people.consents.revoke(consent_id, reason)
    console_err.print(f"consent {escape(consent_id)} revoked at log index {index}")
