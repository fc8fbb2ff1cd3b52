"""Shared CLI pieces: consoles, the data-directory option, members' keys, progress bars."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from credo.errors import InputError, NotFound
from credo.ledger.keys import MemberKey
from credo.services.node import DataDir
from credo.settings import default_data_dir
from credo.store import Store
from credo.vault.hsm import Pkcs11Config

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

HsmOption = Annotated[
    bool,
    typer.Option(
        "--hsm",
        help="Generate the vault's master key inside a PKCS#11 token (an HSM), "
        "non-extractable, instead of the file DIR/master.key; the token's user PIN comes "
        "from CREDO_HSM_PIN",
    ),
]
HsmModuleOption = Annotated[
    Path | None,
    typer.Option(
        envvar="CREDO_HSM_MODULE",
        help="With --hsm: the token's PKCS#11 module (a shared library), e.g. "
        "/usr/lib/softhsm/libsofthsm2.so",
    ),
]
HsmTokenOption = Annotated[
    str | None, typer.Option(help="With --hsm: the label of the token (the slot's token)")
]
HsmLabelOption = Annotated[
    str, typer.Option(help="With --hsm: the label prefix of credo's keys on the token")
]


def hsm_config(
    hsm: bool, module: Path | None, token: str | None, label: str
) -> Pkcs11Config | None:
    """The --hsm options as a token configuration, or None for the file key."""
    if not hsm:
        if module is not None or token:
            raise InputError("--hsm-module and --hsm-token go with --hsm", code="bad_hsm")
        return None
    if module is None or not token:
        raise InputError("--hsm needs --hsm-module and --hsm-token", code="bad_hsm")
    return Pkcs11Config(str(module), token, label)


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
