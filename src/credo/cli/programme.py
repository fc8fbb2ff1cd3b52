"""credo score / programme / dispute: the credit programme from the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from credo.cli._common import DataOption, console, progress_bar, require_member
from credo.cli._people import NationalIdOption, OptionalNationalIdOption, read_national_id
from credo.cli._remote import KeyOption, UrlOption, open_client
from credo.errors import InputError
from credo.services import scores as service
from credo.services.node import DataDir, Node
from credo.services.people import People
from credo.services.programme import Programme

app = typer.Typer(help="Enrol in or withdraw from the credit programme.", no_args_is_help=True)
disputes = typer.Typer(help="Contest a record; answer or expire disputes.", no_args_is_help=True)


@contextmanager
def _programme(data: Path) -> Iterator[Programme]:
    ledger = Node(DataDir(data)).start()
    people = People.open(ledger)
    try:
        yield Programme(people)
    finally:
        people.close()
        ledger.close()


def score(
    data: DataOption,
    national_id: OptionalNationalIdOption = None,
    explain: Annotated[bool, typer.Option(help="Print the JSON the person sees")] = False,
    all_: Annotated[
        bool, typer.Option("--all", help="Rescore every enrolled person in batch")
    ] = False,
    status: Annotated[
        bool,
        typer.Option(
            "--status", help="Which rules are served, and how far a change of rules has got"
        ),
    ] = False,
) -> None:
    """A person's score (with --explain, everything behind it), everyone's with --all, or
    with --status the rules served and the progress of a change of rules (JSON)."""
    if all_ + status + (national_id is not None) != 1:
        raise InputError("give one of --national-id X, --all or --status", code="bad_input")
    with _programme(data) as prog:
        if status:
            print(json.dumps(service.status(prog.store), indent=2))
            return
        if all_:
            total = len(prog.store.list_enrolled())
            with progress_bar("rescoring", total) as bar:

                def moved(phase: str, done: int, n: int) -> None:
                    bar.update(bar.task_ids[0], completed=total * done // max(n, 1))
                    bar.update(bar.task_ids[0], description=phase)

                scores = service.rescore_all(prog.store, progress=moved)
            console.print(f"rescored {len(scores)} enrolled people")
            return
        assert national_id is not None
        ref = prog.people.known(national_id)
        if ref is None:
            raise InputError("no data is held about that person", code="unknown_subject")
        if explain:
            print(json.dumps(service.explain(prog.store, ref), indent=2, ensure_ascii=False))
        else:
            result = service.compute(prog.store, ref)
            print(
                json.dumps(
                    {"score": result.score, "tier": result.tier, "rules_hash": result.rules_hash}
                )
            )


@app.command("enrol")
def enrol(data: DataOption, national_id: NationalIdOption) -> None:
    """Enrol a person (opt-in); their score is computed from then on."""
    with _programme(data) as prog:
        ref = prog.enrol(national_id)
        service.rescore(prog.store, ref)
    console.print("enrolled")


@app.command("withdraw")
def withdraw(data: DataOption, national_id: NationalIdOption) -> None:
    """Withdraw a person: their score and its history are deleted."""
    with _programme(data) as prog:
        prog.withdraw(national_id)
    console.print("withdrawn; score and history deleted")


@disputes.command("open")
def open_dispute(
    data: DataOption,
    national_id: NationalIdOption,
    record: Annotated[str, typer.Option(help="The disputed record id")],
    statement: Annotated[str, typer.Option(help="The person's statement")],
) -> None:
    """Dispute a record: it is frozen (not scored) until the submitting member answers."""
    with _programme(data) as prog:
        dispute_id = prog.open_dispute(national_id, record, statement)
    print(dispute_id)


@disputes.command("answer")
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
    with _programme(data) as prog:
        require_member(prog.people.ledger, member)  # before Programme.answer reads DIR/keys
        accepted = prog.answer(member, dispute, outcome, evidence)
    console.print(f"answered at log index {accepted.index}")


@disputes.command("list")
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
) -> None:
    """A person's disputes (--national-id), else every open one: one JSON object a line,
    with the member that must answer and the date it must answer by."""
    with _programme(data) as prog:
        found = prog.disputes(national_id)
    for dispute in found:
        print(json.dumps(dispute, ensure_ascii=False))
    console.print(f"{len(found)} dispute{'' if len(found) == 1 else 's'}")


@disputes.command("expire")
def expire(data: DataOption) -> None:
    """Resolve every unanswered, overdue dispute, each in its person's favour (run daily)."""
    with _programme(data) as prog:
        done = prog.expire_overdue()
    if not done:
        console.print("no overdue disputes to resolve")
    elif len(done) == 1:
        console.print("1 overdue dispute resolved in the person's favour")
    else:
        console.print(f"{len(done)} overdue disputes resolved in the people's favour")
