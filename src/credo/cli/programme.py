"""credo programme: enrol in or withdraw from the credit programme."""

from __future__ import annotations

import typer

from credo.cli._common import DataOption, console
from credo.cli._people import NationalIdOption, open_programme
from credo.services import scores as service

app = typer.Typer(help="Enrol in or withdraw from the credit programme.", no_args_is_help=True)


@app.command("enrol")
def enrol(data: DataOption, national_id: NationalIdOption) -> None:
    """Enrol a person (opt-in); their score is computed from then on."""
    with open_programme(data) as prog:
        ref = prog.enrol(national_id)
        service.rescore(prog.store, ref)
    console.print("enrolled")


@app.command("withdraw")
def withdraw(data: DataOption, national_id: NationalIdOption) -> None:
    """Withdraw a person: their score and its history are deleted."""
    with open_programme(data) as prog:
        prog.withdraw(national_id)
    console.print("withdrawn; score and history deleted")
