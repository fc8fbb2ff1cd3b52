"""Shared pieces of the people's-data commands: opening the ledger with its vault, and reading
a national id without leaving it in the shell history."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from credo.services.node import DataDir, Node
from credo.services.people import People

NationalIdOption = Annotated[
    str,
    typer.Option(
        "--national-id",
        help="The person's national identifier; '-' reads it from stdin (kept out of history).",
    ),
]


def national_id(value: str) -> str:
    return sys.stdin.readline().strip() if value == "-" else value


@contextmanager
def open_people(data: Path) -> Iterator[People]:
    ledger = Node(DataDir(data))
    try:
        people = People.open(ledger)
        try:
            yield people
        finally:
            people.close()
    finally:
        ledger.close()
