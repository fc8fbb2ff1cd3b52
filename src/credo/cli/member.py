"""credo member ...: admitting members (signed by the operator's key in DIR/keys)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from credo.cli._common import DataOption, console
from credo.ledger.schema import ROLES, SECTORS
from credo.services.node import DEFAULT_ROLES, DataDir, Node, admit_member

app = typer.Typer(help="Manage consortium members.", no_args_is_help=True)


@app.command("add")
def add(
    data: DataOption,
    id: Annotated[str, typer.Option("--id", help="Member id: lowercase letters, digits, dashes")],
    name: Annotated[str, typer.Option(help="Display name")],
    sector: Annotated[str, typer.Option(help=f"One of: {', '.join(SECTORS)}")],
    roles: Annotated[
        list[str] | None, typer.Option("--role", help=f"Repeatable; any of: {', '.join(ROLES)}")
    ] = None,
) -> None:
    """Admit a member and write its private key (PKCS#8 PEM) to DIR/keys/ID.pem."""
    ledger = Node(DataDir(data)).start()
    try:
        chosen = roles or DEFAULT_ROLES.get(sector, ["reader"])
        key = admit_member(ledger, id, name, sector, chosen)
        console.print(
            f"admitted {escape(id)} ({sector}; roles {', '.join(chosen)}), key id {key.key_id}"
        )
        console.print(f"private key: {escape(str(ledger.data.member_key(id)))}")
    finally:
        ledger.close()


@app.command("list")
def list_members(data: DataOption) -> None:
    """List members as the log says they are."""
    ledger = Node(DataDir(data)).start()
    try:
        for m in ledger.store.list_members():
            print(f"{m.id}\t{m.sector}\t{m.status}\t{','.join(m.roles)}\t{m.name}")
    finally:
        ledger.close()
