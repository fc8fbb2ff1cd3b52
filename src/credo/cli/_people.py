"""Shared pieces of the people's-data commands: opening the ledger with its vault (and the
programme over it), and the one
``--national-id`` option every command uses (``-`` reads the id from stdin, out of history)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from credo.errors import InputError
from credo.services.node import DataDir, Node
from credo.services.operator_reads import operator_read, parse_basis
from credo.services.people import People
from credo.services.programme import Programme


def read_national_id(value: str | None) -> str | None:
    """The callback of every ``--national-id`` option: ``-`` means the first line of standard
    input, so the id stays out of the shell history and the process list."""
    if value != "-":
        return value
    line = sys.stdin.readline().strip()
    if not line:
        raise typer.BadParameter("'-' reads the national id from standard input, which was empty")
    return line


_STDIN_HELP = "; '-' reads it from stdin (kept out of history and ps)"

NationalIdOption = Annotated[
    str,
    typer.Option(
        "--national-id",
        help="The person's national identifier" + _STDIN_HELP,
        callback=read_national_id,
    ),
]
"""A required ``--national-id``; the command receives the id itself, ``-`` already read."""

OptionalNationalIdOption = Annotated[
    str | None,
    typer.Option(
        "--national-id", help="Score this person" + _STDIN_HELP, callback=read_national_id
    ),
]


@contextmanager
def open_people(data: Path) -> Iterator[People]:
    ledger = Node(DataDir(data)).start()
    try:
        people = People.open(ledger)
        try:
            yield people
        finally:
            people.close()
    finally:
        ledger.close()


@contextmanager
def open_programme(data: Path) -> Iterator[Programme]:
    """The credit programme over the data directory's node (`score`, `programme`, `dispute`)."""
    with open_people(data) as people:
        yield Programme(people)


PurposeOption = Annotated[
    str | None,
    typer.Option(
        help="Why the operator reads this person's data (logged for the person to see): "
        "subject_access (they asked for it), dispute_resolution, legal_obligation, ..."
    ),
]
BasisOption = Annotated[
    str | None,
    typer.Option(
        help="The read's basis, logged with it: request:REF (the person's own request; REF is "
        "your reference for it), consent:ID or mandate:ID"
    ),
]


def logged_read(
    people: People, national_id: str, command: str, purpose: str | None, basis: str | None
) -> int:
    """Log the operator's read of a person (`credo.services.operator_reads`) before anything
    is shown; refuse a read that names no purpose or basis."""
    if not purpose or not basis:
        raise InputError(
            f"`credo {command}` reads a person's data: name --purpose and --basis; the read is "
            "logged and the person sees it",
            code="bad_request",
        )
    return operator_read(people, national_id, command, purpose, parse_basis(basis))
