"""credo record ...: submit records about people, signed with a member's key: from DIR/keys
on the operator's host, or with --url and --key from the member's own host."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from credo.cli._common import DataOption, console, member_key
from credo.cli._people import NationalIdOption, open_people
from credo.cli._remote import KeyOption, UrlOption, open_client
from credo.errors import InputError
from credo.services.node import DataDir

app = typer.Typer(
    help="Record facts about people (payloads go to the vault).", no_args_is_help=True
)


@app.command("put")
def put(
    data: DataOption,
    member: Annotated[str, typer.Option(help="Submitting member; signs with DIR/keys/ID.pem")],
    nid: NationalIdOption,
    category: Annotated[str, typer.Option(help="Category, e.g. finance, mobility, health")],
    type_: Annotated[str, typer.Option("--type", help="Record type, e.g. loan.repaid")],
    payload: Annotated[str, typer.Option(help="The payload: a JSON object")],
    effective_at: Annotated[str | None, typer.Option(help="RFC 3339 UTC; default now")] = None,
    url: UrlOption = None,
    key: KeyOption = None,
) -> None:
    """Seal the payload in the vault and log a record.put entry signed by the member."""
    try:
        doc = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise InputError(f"--payload is not valid JSON: {exc.msg}", code="bad_payload") from exc
    if not isinstance(doc, dict):
        raise InputError("--payload must be a JSON object", code="bad_payload")
    if url is not None:
        with open_client(url, member, key) as client:
            record_id, logged = client.put_record(nid, category, type_, doc, effective_at)
        console.print(f"recorded {record_id} at log index {logged.index}")
        print(record_id)
        return
    with open_people(data) as people:
        signer = member_key(people.store, DataDir(data), member)
        record_id, index = people.records.put(
            signer, member, nid, category, type_, doc, effective_at
        )
    console.print(f"recorded {record_id} at log index {index}")
    print(record_id)


@app.command("retract")
def retract(
    data: DataOption,
    member: Annotated[str, typer.Option(help="The member that submitted the record")],
    record_id: Annotated[str, typer.Option("--record-id", help="The record to retract")],
    reason: Annotated[str, typer.Option(help="A reason code, e.g. entered_in_error")] = (
        "entered_in_error"
    ),
    url: UrlOption = None,
    key: KeyOption = None,
) -> None:
    """Log a record.retract entry signed by the submitting member."""
    body = {"record_id": record_id, "reason": reason}
    if url is not None:
        with open_client(url, member, key) as client:
            logged = client.submit_prepared("record.retract", body)
        print(f"retracted {record_id} at log index {logged.index}")
        return
    with open_people(data) as people:
        signer = member_key(people.store, DataDir(data), member)
        prepared = people.records.prepare_entry(member, "record.retract", body)
        accepted = people.records.sign_and_submit(prepared, signer)
    print(f"retracted {record_id} at log index {accepted.index}")
