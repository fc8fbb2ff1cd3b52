"""credo person ...: a person's rights, carried out by the operator: export and erasure."""

from __future__ import annotations

import json

import typer

from credo.cli._common import DataOption, console_err
from credo.cli._people import NationalIdOption, open_people

app = typer.Typer(help="A person's rights: export everything held, or erase.", no_args_is_help=True)


@app.command("export")
def export(data: DataOption, nid: NationalIdOption) -> None:
    """Print everything held about the person as one JSON document (records decrypted, every
    access, every consent)."""
    with open_people(data) as people:
        doc = people.export(nid)
    print(json.dumps(doc, indent=2, ensure_ascii=False))


@app.command("erase")
def erase(data: DataOption, nid: NationalIdOption) -> None:
    """Forget the person: destroy their keys and payloads; the log stays verifiable."""
    with open_people(data) as people:
        done = people.erase(nid)
    console_err.print(
        f"erased: {done['payloads_destroyed']} payload(s) destroyed; "
        f"subject.erase at log index {done['index']}"
    )
