"""Shared CLI pieces: consoles, the data-directory option, progress bars."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from credo.settings import default_data_dir

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


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Progress]:
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
