"""credo's command line: one module per command group (sqlite-utils habit), wired here."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from credo.cli import (
    bench,
    consent,
    consult,
    consultation,
    demo,
    dispute,
    gov,
    ledger_cmds,
    member,
    member_cmds,
    mirror,
    person,
    programme,
    record,
    rules,
    score,
    witness,
)
from credo.cli._common import console_err
from credo.errors import CredoError, VerificationError

app = typer.Typer(
    name="credo",
    help="A consortium ledger on a verifiable log, and an opt-in civic credit programme.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
ledger_cmds.register(app)
app.add_typer(member.app, name="member")
app.add_typer(bench.app, name="bench")
app.add_typer(gov.app, name="gov")
app.add_typer(consult.app, name="consult")
app.add_typer(consultation.app, name="consultation")
app.command("rules")(rules.rules)
app.command("score")(score.score)
app.add_typer(programme.app, name="programme")
app.add_typer(dispute.app, name="dispute")
app.add_typer(record.app, name="record")
app.add_typer(person.app, name="person")
app.add_typer(consent.app, name="consent")
demo.register(app)
member_cmds.register(app)
witness.register(app)
mirror.register(app)


def main() -> None:
    """Entry point: a `CredoError` becomes a message and an exit code, never a traceback.

    The message is escaped: it often quotes input or a pattern (``[a-z0-9]``) that Rich would
    otherwise take for markup and drop."""
    try:
        app()
    except VerificationError as exc:
        console_err.print(f"[red]verification failed:[/red] {escape(exc.message)}")
        sys.exit(1)
    except CredoError as exc:
        console_err.print(f"[red]error ({exc.code}):[/red] {escape(exc.message)}")
        sys.exit(2)
