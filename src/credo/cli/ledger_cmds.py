"""init, serve, verify, rebuild: the commands that create, run and check a consortium."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from credo.cli._common import DataOption, console, progress_bar
from credo.ledger.replay import rebuild, verify_store
from credo.services.node import DataDir, init_consortium
from credo.store import Store, open_store


def init(
    data: DataOption,
    origin: Annotated[str, typer.Option(help="The log's origin line, e.g. credo.example/city")],
) -> None:
    """Create a consortium: log key, operator member and genesis entry; print the verifier key."""
    ledger = init_consortium(data, origin)
    try:
        console.print(f"created consortium {escape(repr(origin))} in {escape(str(data))}")
        console.print("log verifier key:")
        print(ledger.verifier_key)
    finally:
        ledger.close()


class LogFormat(StrEnum):
    text = "text"
    json = "json"


def serve(
    data: DataOption,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[
        int | None, typer.Option(help="Validation processes (default: cores)")
    ] = None,
    log_format: Annotated[
        LogFormat | None, typer.Option(help="text, or json: one JSON object per line")
    ] = None,
) -> None:
    """Serve the log (C2SP tiles under /log/) and the API (/v1/, OpenAPI at /docs).

    Client time limits and the connection bound come from CREDO_HEADER_TIMEOUT,
    CREDO_KEEP_ALIVE_TIMEOUT, CREDO_BODY_TIMEOUT and CREDO_LIMIT_CONCURRENCY.
    """
    from credo.api import create_app, server
    from credo.settings import Settings

    DataDir(data).read_config()
    given: dict[str, Any] = {"data_dir": data, "host": host, "port": port}
    if workers is not None:
        given["workers"] = workers
    if log_format is not None:
        given["log_format"] = log_format.value
    settings = Settings.model_validate(given)
    server.run(create_app(settings), settings)


def _open(data: Path) -> Store:
    d = DataDir(data)
    d.read_config()
    return open_store(d.db)


def verify(data: DataOption) -> None:
    """Recompute every hash, check every signature and checkpoint, replay the state.

    Exit 0 with a one-line summary, or exit 1 naming the first bad entry or checkpoint.
    """
    store = _open(data)
    try:
        with progress_bar("verifying entries", store.tree_size()) as bar:
            summary = verify_store(store, lambda n: bar.advance(bar.task_ids[0], n))
    finally:
        store.close()
    print(
        f"OK: {summary.entries} entries, {summary.checkpoints} checkpoints, {summary.tiles} tiles, "
        f"{summary.members} members; root {summary.root.hex()}"
    )


def rebuild_cmd(data: DataOption) -> None:
    """Recreate every derived table by replaying the log from entry 0."""
    store = _open(data)
    try:
        with progress_bar("replaying", store.tree_size()) as bar:
            count = rebuild(store, lambda n: bar.advance(bar.task_ids[0], n))
    finally:
        store.close()
    print(f"rebuilt state from {count} entries")


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(serve)
    app.command()(verify)
    app.command("rebuild")(rebuild_cmd)
