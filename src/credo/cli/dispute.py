"""credo dispute: a person contests a record; its member answers; overdue disputes expire."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from credo.cli._common import DataOption, console, member_key
from credo.cli._people import (
    BasisOption,
    NationalIdOption,
    PurposeOption,
    logged_read,
    open_programme,
    read_national_id,
)
from credo.cli._remote import KeyOption, UrlOption, open_client
from credo.services.node import DataDir

app = typer.Typer(help="Contest a record; answer or expire disputes.", no_args_is_help=True)


@app.command("open")
def open_dispute(
    data: DataOption,
    national_id: NationalIdOption,
    record: Annotated[str, typer.Option(help="The disputed record id")],
    statement: Annotated[str, typer.Option(help="The person's statement")],
) -> None:
    """Dispute a record: it is frozen (not scored) until the submitting member answers."""
    with open_programme(data) as prog:
        dispute_id = prog.open_dispute(national_id, record, statement)
    print(dispute_id)


@app.command("answer")
def answer(
    data: DataOption,
    member: Annotated[str, typer.Option(help="The record's submitting member")],
    dispute: Annotated[str, typer.Option(help="Dispute id")],
    outcome: Annotated[str, typer.Option(help="upheld|amended|retracted")],
    evidence: Annotated[str, typer.Option(help="Evidence or reference (no personal data)")],
    url: UrlOption = None,
    key: KeyOption = None,
) -> None:
    """The submitting member answers a dispute within the period the rules set."""
    if url is not None:
        body = {"id": dispute, "outcome": outcome, "evidence": evidence}
        with open_client(url, member, key) as client:
            logged = client.submit_prepared("dispute.answer", body)
        console.print(f"answered at log index {logged.index}")
        return
    with open_programme(data) as prog:
        signer = member_key(prog.store, DataDir(data), member)
        accepted = prog.answer(signer, member, dispute, outcome, evidence)
    console.print(f"answered at log index {accepted.index}")


@app.command("list")
def list_disputes(
    data: DataOption,
    national_id: Annotated[
        str | None,
        typer.Option(
            "--national-id",
            help="This person's disputes ('-' reads it from standard input)",
            callback=read_national_id,
        ),
    ] = None,
    purpose: PurposeOption = None,
    basis: BasisOption = None,
) -> None:
    """A person's disputes (--national-id), else every open one: one JSON object a line,
    with the member that must answer and the date it must answer by. A person's are read
    under --purpose and --basis, logged first as an access they see."""
    with open_programme(data) as prog:
        if national_id is not None:
            logged_read(prog.people, national_id, "dispute list", purpose, basis)
        found = prog.disputes(national_id)
    for dispute in found:
        print(json.dumps(dispute.to_json(), ensure_ascii=False))
    console.print(f"{len(found)} dispute{'' if len(found) == 1 else 's'}")


@app.command("expire")
def expire(data: DataOption) -> None:
    """Resolve every unanswered, overdue dispute, each in its person's favour (run daily)."""
    with open_programme(data) as prog:
        done = prog.expire_overdue()
    if not done:
        console.print("no overdue disputes to resolve")
    elif len(done) == 1:
        console.print("1 overdue dispute resolved in the person's favour")
    else:
        console.print(f"{len(done)} overdue disputes resolved in the people's favour")
