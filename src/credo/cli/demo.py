"""credo demo: a synthetic consortium (`credo.demo`) in a data directory, created once
with a progress bar per phase, then served on localhost."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from credo import demo as service
from credo.cli._common import (
    DataOption,
    DbOption,
    HsmLabelOption,
    HsmModuleOption,
    HsmOption,
    HsmTokenOption,
    console,
    console_err,
    hsm_config,
)
from credo.cli.ledger_cmds import serve
from credo.errors import InputError
from credo.services.node import DataDir
from credo.vault.hsm import Pkcs11Config

PHASE_TITLES = {
    "members": "members admitted",
    "people": "people generated",
    "records": "entries written (24 months)",
    "scoring": "batch scorings",
}


def _create(
    root: Path, people: int, seed: int, hsm: Pkcs11Config | None, db: str | None = None
) -> float:
    """Seed the demo with a bar per phase; returns the seconds it took."""
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console_err,
    ) as bars:
        tasks: dict[str, TaskID] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bars.add_task(PHASE_TITLES.get(phase, phase), total=total)
            bars.update(tasks[phase], completed=done, total=total)

        service.seed_demo(
            root, people=people, seed=seed, progress=progress, hsm=hsm, store_url=db
        ).close()
    return time.perf_counter() - started


def demo(
    data: DataOption,
    people: Annotated[
        int, typer.Option(min=0, max=1_000_000, help="Synthetic people to create")
    ] = service.DEFAULT_PEOPLE,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic people")] = service.DEFAULT_SEED,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8000,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Create the demo (if needed) and exit")
    ] = False,
    hsm: HsmOption = False,
    hsm_module: HsmModuleOption = None,
    hsm_token: HsmTokenOption = None,
    hsm_label: HsmLabelOption = "credo-vault",
    db: DbOption = None,
) -> None:
    """Create (once) a synthetic consortium in the data directory and serve it."""
    shown = escape(str(data))  # a path or host may hold brackets Rich would take for markup
    directory = DataDir(data)
    if not directory.config.exists():
        config = hsm_config(hsm, hsm_module, hsm_token, hsm_label)
        seconds = _create(data, people, seed, config, db)
        console.print(f"created the demo consortium in {shown} in {seconds:.1f} s")
    elif not service.is_demo(directory):
        raise InputError(
            f"{data} holds a consortium `credo demo` did not create; serve it with "
            f"`credo serve --data {data}`, or give `credo demo` another --data",
            code="not_a_demo",
        )
    elif not service.is_complete(directory):
        raise InputError(
            f"{data} holds a demo whose creation did not finish; delete it and run "
            "`credo demo` again",
            code="demo_incomplete",
        )
    else:
        console.print(f"reusing the demo consortium in {shown} (delete it to start afresh)")
    roster = service.demo_roster(directory)
    if roster:
        console.print("  people to sign in as (synthetic national ids):")
        for person in roster:
            console.print(
                f"    {escape(person.national_id):24} {escape(person.name)}  "
                f"[dim]{escape(person.profile)}[/dim]"
            )
    example = roster[0].national_id if roster else "TH-1103700012345"
    on = " --db URL" if db else ""  # the URL may hold a password: not printed
    console.print(f"  verify:       credo verify --data {shown}{on}")
    asked = "--purpose subject_access --basis request:demo-1"  # logged: the person sees it
    console.print(
        f"  a score:      credo score --data {shown} --national-id {example}{on} --explain {asked}"
    )
    console.print(
        f"  an export:    credo person export --data {shown} --national-id {example}{on} {asked}"
    )
    if no_serve:
        return
    base = escape(f"http://localhost:{port}")
    digest = hashlib.sha256(b"demo diploma 1").hexdigest()
    console.print(f"open {base}/  (API docs {base}/docs)")
    console.print(f"  checkpoint:   curl {base}/log/checkpoint")
    console.print(f"  attestation:  curl {base}/v1/attestations/{digest}")
    serve(data, host=host, port=port, workers=None, db=db)


def register(app: typer.Typer) -> None:
    app.command()(demo)
