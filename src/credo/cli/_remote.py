"""The options of commands a member runs from its own host against a credo server: the
server's URL and the member's own key file; the operator's data directory is never read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from credo.client import MemberClient
from credo.errors import InputError

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="CREDO_URL",
        help="A credo server (e.g. https://credo.example); with it, the command runs as a "
        "member from its own host, signing with --key, and --data is not read.",
    ),
]
KeyOption = Annotated[
    Path | None,
    typer.Option("--key", envvar="CREDO_KEY", help="With --url: the member's private key (PEM)."),
]
LogKeyOption = Annotated[
    str | None,
    typer.Option(
        "--log-vkey",
        envvar="CREDO_LOG_VKEY",
        help="With --url: the log's verifier key to pin (default: ask the server once).",
    ),
]


def open_client(
    url: str, member: str, key: Path | None, log_vkey: str | None = None
) -> MemberClient:
    if key is None:
        raise InputError("--url needs --key, the member's own private key file", code="no_key")
    return MemberClient.from_key_file(url, member, key, log_vkey=log_vkey)
