"""Commands a member runs against a credo server from its own host, with its own key:
``credo attest``, ``credo access read``, ``credo entry get``. Nothing here reads the
operator's data directory."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Annotated

import typer

from credo.cli._common import console
from credo.cli._people import NationalIdOption
from credo.cli._remote import KeyOption, LogKeyOption, open_client
from credo.client import MemberClient
from credo.errors import InputError
from credo.ledger.keys import MemberKey

RequiredUrl = Annotated[str, typer.Option("--url", envvar="CREDO_URL", help="A credo server.")]
Member = Annotated[str, typer.Option("--member", envvar="CREDO_MEMBER", help="Your member id.")]

access = typer.Typer(
    help="Read a person's records under a purpose and a basis.", no_args_is_help=True
)
entry = typer.Typer(
    help="Entries on the log, checked against its checkpoint.", no_args_is_help=True
)


def attest(
    url: RequiredUrl,
    member: Member,
    document: Annotated[Path, typer.Option("--file", help="The document to attest")],
    doc_type: Annotated[str, typer.Option("--type", help="Document type, e.g. diploma")],
    key: KeyOption = None,
    note: Annotated[str, typer.Option(help="A public note (no personal data)")] = "",
) -> None:
    """Attest a document by its SHA-256 digest; the document itself is not sent."""
    try:
        content = document.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {document}: {exc.strerror}", code="bad_file") from exc
    with open_client(url, member, key) as client:
        logged = client.attest(content, doc_type, note)
    print(f"attested at log index {logged.index}")


@access.command("read")
def read(
    url: RequiredUrl,
    member: Member,
    nid: NationalIdOption,
    purpose: Annotated[str, typer.Option(help="Why you read, e.g. credit_assessment")],
    basis: Annotated[str, typer.Option(help="consent:ID or mandate:ID")],
    category: Annotated[list[str], typer.Option(help="A category to read (repeat)")],
    key: KeyOption = None,
) -> None:
    """Read the records your basis covers; the read is logged for the person to see, granted
    or refused. Prints the answer as JSON."""
    kind, _, basis_id = basis.partition(":")
    if kind not in ("consent", "mandate") or not basis_id:
        raise InputError("--basis is consent:ID or mandate:ID", code="bad_basis")
    with open_client(url, member, key) as client:
        answer = client.read(nid, purpose, (kind, basis_id), category)
    print(json.dumps(answer, indent=2, ensure_ascii=False))


@entry.command("get")
def get(
    url: RequiredUrl,
    index: Annotated[int, typer.Option(min=0, help="The entry's position on the log")],
    log_vkey: LogKeyOption = None,
) -> None:
    """Fetch an entry and check here that it is in a checkpoint signed by the log's key."""
    # Reading needs no member key: a throwaway one satisfies the client.
    with MemberClient(url, "reader", MemberKey.generate(), log_vkey=log_vkey) as client:
        logged = client.entry(index)
    console.print(f"entry {index} is in the log of size {logged.size} (proof checked)")
    print(base64.b64encode(logged.entry).decode())


def register(app: typer.Typer) -> None:
    app.command("attest")(attest)
    app.add_typer(access, name="access")
    app.add_typer(entry, name="entry")
