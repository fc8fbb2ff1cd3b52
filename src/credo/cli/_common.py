"""Shared CLI pieces: consoles, the data-directory option, members' keys, progress bars."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from credo.errors import NotFound
from credo.ledger.keys import MemberKey
from credo.services.node import DataDir
from credo.settings import default_data_dir
from credo.store import Store

console = Console(soft_wrap=True)
console_err = Console(stderr=True, soft_wrap=True)

DataOption = Annotated[
    Path,
    typer.Option(
        "--data",
        help="Data directory (default: $CREDO_DATA or ./credo-data).",
        default_factory=default_data_dir,
    ),
]

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="CREDO_DB",
        help="The ledger's store instead of DIR/ledger.db: a PostgreSQL URL "
        "(postgresql://user@host/db; a password is better in PGPASSWORD or ~/.pgpass). Keys "
        "and the vault stay in the data directory.",
    ),
]


def require_member(store: Store, member_id: str) -> None:
    """Refuse a member the log does not know, before DIR/keys is looked at for its key."""
    if store.get_member(member_id) is None:
        raise NotFound(
            f"no member {member_id!r} in this consortium (`credo member list` shows them)",
            code="unknown_member",
        )


def member_key(store: Store, data: DataDir, member_id: str) -> MemberKey:
    """A member's signing key from DIR/keys/ID.pem, for a member the log knows."""
    require_member(store, member_id)
    return MemberKey.load(data.member_key(member_id))


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Progress]:
    """A Rich progress bar on stderr (quiet when stderr is not a terminal)."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console_err,
        transient=True,
    ) as bar:
        bar.add_task(description, total=total)
        yield bar
