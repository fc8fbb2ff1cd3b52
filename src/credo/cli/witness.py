"""`credo witness`: run a C2SP tlog-witness for one or more logs (credo.witness)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from credo.cli._common import console_err
from credo.errors import InputError
from credo.tlog.note import NoteVerifier
from credo.witness.identity import DB_FILE, load_or_create


def parse_logs(specs: list[str]) -> dict[str, list[NoteVerifier]]:
    """``ORIGIN=VKEY`` options to origin -> keys (one origin may be given several keys)."""
    logs: dict[str, list[NoteVerifier]] = {}
    for spec in specs:
        origin, sep, vkey = spec.partition("=")
        if not sep or not origin or not vkey:
            raise InputError(f"--log {spec!r}: expected ORIGIN=VKEY", code="bad_log_option")
        logs.setdefault(origin, []).append(NoteVerifier.from_vkey(vkey))
    return logs


def witness(
    data: Annotated[
        Path, typer.Option("--data", help="The witness's own directory: its key and state")
    ],
    log: Annotated[
        list[str] | None,
        typer.Option(
            "--log",
            help="A log to witness, as ORIGIN=VKEY (the log's /log/vkey); repeat for more logs "
            "or more keys of one log",
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8100,
    name: Annotated[
        str | None,
        typer.Option(help="The witness's key name, fixed on first run (default: HOST/witness)"),
    ] = None,
    show_key: Annotated[
        bool, typer.Option("--show-key", help="Print the witness's vkey and exit")
    ] = False,
) -> None:
    """Run a witness: cosign each log's checkpoints that are consistent with the last one.

    The first run creates DIR/witness.pem (mode 0600) and prints the witness's vkey, which
    the log's operators and verifiers list in their policy. The witness answers
    POST /add-checkpoint, and serves GET /<sha256(origin)>/checkpoint and GET /evidence.
    """
    signer, created = load_or_create(data, name)
    if created:
        console_err.print(f"created witness {escape(repr(signer.name))} in {escape(str(data))}")
    if show_key:
        print(signer.verifier_key())
        return
    logs = parse_logs(log or [])
    if not logs:
        raise InputError("give at least one --log ORIGIN=VKEY", code="no_logs")

    from credo.api import server
    from credo.settings import Settings
    from credo.witness.app import create_witness_app
    from credo.witness.service import Witness
    from credo.witness.store import WitnessStore

    console_err.print("witness verifier key:")
    print(signer.verifier_key(), flush=True)
    settings = Settings.model_validate({"data_dir": data, "host": host, "port": port})
    store = WitnessStore(data / DB_FILE)  # the app's lifespan opens and closes it
    server.run(create_witness_app(Witness(signer, logs, store)), settings)


def register(app: typer.Typer) -> None:
    app.command()(witness)
