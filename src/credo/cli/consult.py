"""credo consult: a convener's and moderators' side of public consultations (keys from
DIR/keys). People take part in the portal; nothing here reads a vote or an author."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from credo.cli._common import DataOption, console, member_key
from credo.errors import InputError
from credo.services.consultations import Consultations
from credo.services.node import DataDir, Node
from credo.services.people import People

app = typer.Typer(help="Public consultations: open, close, moderate.", no_args_is_help=True)


def _json_object(text: str, what: str) -> dict[str, str]:
    try:
        loaded = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{what} is not JSON: {exc}", code="bad_input") from exc
    if not isinstance(loaded, dict):
        raise InputError(f"{what} must be a JSON object of language tag to text", code="bad_input")
    return loaded


@app.command("open")
def open_(
    data: DataOption,
    member: Annotated[str, typer.Option(help="The convener (a member with the convener role)")],
    id: Annotated[str, typer.Option(help="Consultation id")],
    question: Annotated[str, typer.Option(help='JSON: {"en": "...", "th": "..."}')],
    closes_at: Annotated[str, typer.Option(help="RFC 3339 UTC")],
    description: Annotated[str, typer.Option(help="JSON, like --question")] = "{}",
    opens_at: Annotated[str | None, typer.Option(help="RFC 3339 UTC; default now")] = None,
    moderation: Annotated[str, typer.Option(help="pre|post")] = "post",
    proposal: Annotated[str | None, typer.Option(help="The proposal it informs")] = None,
    moderator: Annotated[list[str] | None, typer.Option(help="Repeatable: members")] = None,
) -> None:
    """Open a consultation."""
    node = Node(DataDir(data)).start()
    try:
        accepted = Consultations(People.open(node)).open(
            member,
            member_key(node.store, node.data, member),
            id,
            _json_object(question, "--question"),
            description=_json_object(description, "--description"),
            opens_at=opens_at,
            closes_at=closes_at,
            moderation=moderation,
            proposal=proposal,
            moderators=moderator or [],
        )
    finally:
        node.close()
    console.print(f"consultation {escape(id)} opened at log index {accepted.index}")


@app.command("close")
def close(
    data: DataOption,
    member: Annotated[str, typer.Option(help="The convener")],
    id: Annotated[str, typer.Option(help="Consultation id")],
) -> None:
    """Close a consultation before its closing time."""
    node = Node(DataDir(data)).start()
    try:
        accepted = Consultations(People.open(node)).close(
            member, member_key(node.store, node.data, member), id
        )
    finally:
        node.close()
    console.print(f"consultation {escape(id)} closed at log index {accepted.index}")


@app.command("queue")
def queue(
    data: DataOption,
    member: Annotated[str, typer.Option(help="A moderator of the consultation")],
    id: Annotated[str, typer.Option(help="Consultation id")],
) -> None:
    """What waits for a moderator's decision, as JSON: ids, languages and texts, no authors;
    each statement says whether its translations drift (``drift``), and statements already
    decided whose agreement differs between language versions are listed as kind "drift"."""
    # Imported here: the analysis loads NumPy (0.2 s), which every other command would pay
    # for at its start.
    from credo.services.consultation_results import ConsultationResults

    node = Node(DataDir(data)).start()
    try:
        results = ConsultationResults(
            Consultations(People.open(node)), node.data.root / "documents"
        )
        items = results.queue(member, id)
    finally:
        node.close()
    print(json.dumps(items, indent=2, ensure_ascii=False))


@app.command("moderate")
def moderate(
    data: DataOption,
    member: Annotated[str, typer.Option(help="A moderator of the consultation")],
    id: Annotated[str, typer.Option(help="Consultation id")],
    item: Annotated[str, typer.Option(help="Statement or translation id")],
    decision: Annotated[str, typer.Option(help="accept|reject")],
    reason: Annotated[str | None, typer.Option(help="A reason code for a rejection")] = None,
) -> None:
    """Accept or reject a statement or a proposed translation."""
    node = Node(DataDir(data)).start()
    try:
        accepted = Consultations(People.open(node)).moderate(
            member, member_key(node.store, node.data, member), id, item, decision, reason
        )
    finally:
        node.close()
    console.print(f"decision at log index {accepted.index}")
