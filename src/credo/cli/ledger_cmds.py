"""init, serve, verify, rebuild: the commands that create, run and check a consortium."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from credo.cli._common import (
    DataOption,
    DbOption,
    HsmLabelOption,
    HsmModuleOption,
    HsmOption,
    HsmTokenOption,
    console,
    hsm_config,
    progress_bar,
)
from credo.errors import InputError
from credo.ledger.replay import rebuild, verify_store
from credo.services.node import DataDir, check_entry_format, init_consortium
from credo.store import Store, open_store
from credo.vault import Vault


def init(
    data: DataOption,
    origin: Annotated[str, typer.Option(help="The log's origin line, e.g. credo.example/city")],
    db: DbOption = None,
    hsm: HsmOption = False,
    hsm_module: HsmModuleOption = None,
    hsm_token: HsmTokenOption = None,
    hsm_label: HsmLabelOption = "credo-vault",
) -> None:
    """Create a consortium: log key, operator member and genesis entry; print the verifier key.

    With --db the log and ledger go into that (empty) PostgreSQL database; serve, verify and
    rebuild it with the same --db.

    Without --hsm the vault's master key is a file, DIR/master.key: fine for a demo or a
    test, but whoever copies the directory can open every living person's data. With --hsm
    it is generated in the token and never leaves it; the directory holds no key to people's
    data, and every later command needs the token and CREDO_HSM_PIN.
    """
    config = hsm_config(hsm, hsm_module, hsm_token, hsm_label)
    ledger = init_consortium(data, origin, store_url=db, hsm=config)
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
        int | None,
        typer.Option(
            help="Validation processes per serving process (default: the cores, shared out "
            "between the serving processes; none when each has a core of its own)"
        ),
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Serving processes sharing the port, one of them sequencing (default: "
            "CREDO_PROCESSES, else one a core)",
        ),
    ] = None,
    log_format: Annotated[
        LogFormat | None, typer.Option(help="text, or json: one JSON object per line")
    ] = None,
    db: DbOption = None,
    advertise: Annotated[
        str | None,
        typer.Option(
            help="URL the other processes sharing --db reach this one at, to forward to it "
            "while it sequences (default http://HOST:PORT)"
        ),
    ] = None,
) -> None:
    """Serve the log (C2SP tiles under /log/), the API (/v1/, OpenAPI at /docs) and the
    person's portal (/).

    It serves on --processes processes (default one a core) sharing the port. These, and
    other hosts' processes serving the same store (--db), sequence one at a time: one holds
    a lease in the store (CREDO_LEASE_SECONDS long), the others forward submissions to it,
    and one takes over when it stops.

    Client time limits and the connection bound come from CREDO_HEADER_TIMEOUT,
    CREDO_KEEP_ALIVE_TIMEOUT, CREDO_BODY_TIMEOUT and CREDO_LIMIT_CONCURRENCY; past
    CREDO_MAX_IN_FLIGHT requests at once, or CREDO_MAX_LAG seconds behind, a process answers
    503 with Retry-After at once (docs/operations.md).
    """
    from credo.api import processes as serving
    from credo.api import server
    from credo.settings import Settings

    _open(data, db).close()  # refuse a data directory it cannot serve before the server starts
    given: dict[str, Any] = {"data_dir": data, "host": host, "port": port, "db": db}
    if advertise is not None:
        given["advertise"] = advertise
    if processes is not None:
        given["processes"] = processes
    if log_format is not None:
        given["log_format"] = log_format.value
    settings = Settings.model_validate(given)
    if workers is None and "CREDO_WORKERS" not in os.environ:
        workers = serving.default_workers(settings.processes, os.cpu_count() or 1)
    if workers is not None:
        settings = settings.model_copy(update={"workers": workers})
    if settings.processes == 1:
        server.run(serving_app(settings), settings)
    else:
        serving.run_processes(serving_app, settings, settings.processes)


def serving_app(settings: Any) -> Any:
    """The app `credo serve` serves: the API with the portal (by name, for the children of
    `--processes`, which build their own)."""
    from credo import portal
    from credo.api import create_app
    from credo.demo import demo_roster

    roster = demo_roster(DataDir(settings.data_dir))  # a demo's people to sign in as, else none
    return create_app(
        settings,
        [
            lambda app: portal.install(
                app, settings.data_dir, roster=roster, zone=settings.time_zone
            )
        ],
    )


def _open(data: Path, db: str | None = None) -> Store:
    d = DataDir(data, db)
    d.read_config()
    store = open_store(d.store_location)
    check_entry_format(store, data)  # closes the store when it refuses
    return store


def _vault(data: Path, *, required: bool, db: str | None = None) -> Vault | None:
    """The data directory's vault, or None (a stranger's verification) if no master key is
    at hand (no key file, or no token or PIN for an HSM's) and ``required`` is false."""
    d = DataDir(data, db)
    try:
        master = d.open_vault_key(os.environ)
    except InputError as exc:
        absent = exc.code in {"no_master_key", "no_hsm_pin", "hsm_unavailable"}
        if required or not absent or d.master_key.exists():
            raise
        return None
    return Vault(d.vault_location, master).open()


def verify(
    data: DataOption,
    url: Annotated[
        str | None,
        typer.Option(help="Verify a remote log through its public endpoints only (no --data)"),
    ] = None,
    log_vkey: Annotated[
        str | None, typer.Option(help="With --url: the log's verifier key to pin")
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            help="With --url: the witness policy to pin (C2SP tlog-policy file); without it, "
            "the policy the log's governance adopted, if any"
        ),
    ] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            help="With --url: a file keeping the last checkpoint verified; the log must still "
            "extend it (a rewritten history fails), and the new one replaces it"
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Recompute every hash, check every signature and checkpoint, replay the state.

    With the vault's master key (DIR/master.key or CREDO_MASTER_KEY) people's entries are
    opened and replayed too; without it, or with --url, what a stranger can check is checked.
    Exit 0 with a one-line summary, or exit 1 naming the first bad entry or checkpoint.
    With --url, a checkpoint short of the witness policy's quorum is refused (no_quorum).
    """
    if url is not None:
        _audit(url, log_vkey, policy, checkpoint)
        return
    if policy is not None or checkpoint is not None:
        raise InputError("--policy and --checkpoint go with --url", code="bad_input")
    store = _open(data, db)
    vault = None
    try:
        vault = _vault(data, required=False, db=db)
        with progress_bar("verifying entries", store.tree_size()) as bar:
            summary = verify_store(store, lambda n: bar.advance(bar.task_ids[0], n), opener=vault)
    finally:
        store.close()
        if vault is not None:
            vault.close()
    scope = "people's entries opened" if vault is not None else "people's entries sealed"
    print(
        f"OK: {summary.entries} entries, {summary.checkpoints} checkpoints, {summary.tiles} tiles, "
        f"{summary.members} members ({scope}); root {summary.root.hex()}"
    )


def _audit(url: str, log_vkey: str | None, policy_file: Path | None, seen: Path | None) -> None:
    from credo.client.audit import audit
    from credo.tlog import parse_policy

    pinned = None
    if policy_file is not None:
        try:
            pinned = parse_policy(policy_file.read_bytes())
        except OSError as exc:
            raise InputError(f"cannot read {policy_file}: {exc}", code="bad_input") from exc
    previous = None
    if seen is not None and seen.exists():
        try:
            previous = seen.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {seen}: {exc}", code="bad_input") from exc
    with progress_bar("auditing entries", None) as bar:
        summary = audit(
            url,
            log_vkey,
            lambda n: bar.advance(bar.task_ids[0], n),
            witness_policy=pinned,
            previous=previous,
        )
    if seen is not None:
        tmp = seen.with_name(seen.name + ".tmp")
        tmp.write_bytes(summary.checkpoint)
        tmp.replace(seen)
    print(
        f"OK: {summary.entries} entries, {summary.members} members (as a stranger: "
        f"people's entries sealed); root {summary.root.hex()}"
    )


def rebuild_cmd(data: DataOption, db: DbOption = None) -> None:
    """Recreate every derived table by replaying the log from entry 0 (needs the vault's
    master key: people's entries are opened to be replayed)."""
    store = _open(data, db)
    try:
        vault = _vault(data, required=True, db=db)
        if vault is None:  # required: `_vault` raises rather than return None
            raise InputError("rebuilding needs the vault's master key", code="no_master_key")
        try:
            with progress_bar("replaying", store.tree_size()) as bar:
                count = rebuild(store, lambda n: bar.advance(bar.task_ids[0], n), opener=vault)
        finally:
            vault.close()
    finally:
        store.close()
    print(f"rebuilt state from {count} entries")


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(serve)
    app.command()(verify)
    app.command("rebuild")(rebuild_cmd)
