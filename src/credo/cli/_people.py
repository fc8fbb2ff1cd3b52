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

from credo.services.node import DataDir, Node
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
