"""credo score: a person's score (and what is behind it), everyone's in batch, or the rules
served and how far a change of rules has got."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from credo.cli._common import DataOption, console, progress_bar
from credo.cli._people import (
    BasisOption,
    OptionalNationalIdOption,
    PurposeOption,
    logged_read,
    open_programme,
)
from credo.errors import InputError
from credo.services import scores as service


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
    purpose: PurposeOption = None,
    basis: BasisOption = None,
) -> None:
    """A person's score (with --explain, everything behind it), everyone's with --all, or
    with --status the rules served and the progress of a change of rules (JSON). Reading a
    person's score is logged first as an access they see: name --purpose and --basis."""
    if all_ + status + (national_id is not None) != 1:
        raise InputError("give one of --national-id X, --all or --status", code="bad_input")
    with open_programme(data) as prog:
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
        if national_id is None:  # one of the three was given: checked above
            raise InputError("give --national-id X", code="bad_input")
        command = "score --explain" if explain else "score"
        logged_read(prog.people, national_id, command, purpose, basis)
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
