"""`credo mirror`: copy a log through its tiles, verifying everything, and serve the copy
read-only (credo.mirror)."""

from __future__ import annotations

from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress

from credo.cli._common import console_err, progress_bar
from credo.errors import CredoError, InputError, LogUnavailable
from credo.mirror.follow import Mirror
from credo.mirror.source import LogSource
from credo.mirror.store import DB_FILE, MirrorStore
from credo.mirror.witnessing import MirrorWitness
from credo.tlog import NoteVerifier, Policy, parse_policy


class _Bar:
    """A Rich progress bar for a round's copy (`credo.mirror.follow.Progress`)."""

    def __init__(self) -> None:
        self._context: AbstractContextManager[Progress] | None = None
        self._bar: Progress | None = None

    def start(self, total: int) -> None:
        self._context = progress_bar("verifying and copying entries", total)
        self._bar = self._context.__enter__()

    def advance(self, entries: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._bar.task_ids[0], entries)

    def done(self) -> None:
        if self._context is not None:
            self._context.__exit__(None, None, None)
        self._context = self._bar = None


def _policy(path: Path | None) -> Policy | None:
    if path is None:
        return None
    try:
        return parse_policy(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc}", code="bad_input") from exc


def mirror(
    url: Annotated[str, typer.Option("--url", help="The log to mirror (its /log/ endpoints)")],
    data: Annotated[
        Path,
        typer.Option("--data", help="The mirror's own directory: mirror.db and evidence/"),
    ],
    log_key: Annotated[
        str,
        typer.Option(
            "--log-key",
            "--log-vkey",
            envvar="CREDO_LOG_VKEY",
            help="The log's verifier key (name+hexid+base64), pinned: obtained out of band, "
            "never from the log itself; a log serving another one is refused",
        ),
    ],
    policy: Annotated[
        Path | None,
        typer.Option(
            help="A witness policy (C2SP tlog-policy file): only checkpoints meeting its "
            "quorum are kept and served"
        ),
    ] = None,
    once: Annotated[
        bool,
        typer.Option("--once", help="Copy and verify up to the latest checkpoint, then exit"),
    ] = False,
    host: Annotated[str, typer.Option(help="Address to serve the copy on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to serve the copy on")] = 8200,
    interval: Annotated[
        float, typer.Option(min=0.1, help="Seconds between two looks at the log's checkpoint")
    ] = 2.0,
    witness_data: Annotated[
        Path | None,
        typer.Option(
            "--witness-data",
            help="A witness directory (as `credo witness --data`): cosign each checkpoint "
            "verified with its key, and serve that cosignature beside the log's",
        ),
    ] = None,
    witness_name: Annotated[
        str | None,
        typer.Option(help="With --witness-data: the witness's key name, fixed on first run"),
    ] = None,
) -> None:
    """Mirror a log: copy it through its C2SP tiles, verifying every tile, entry and
    checkpoint, and serve the verified copy read-only on /log/ (any write is refused, 405).

    Each checkpoint must be signed by --log-key (and meet --policy's quorum) and extend the
    last one kept (a consistency proof from tiles); tiles must hash to it and entries to their
    tiles. Only then does the mirror serve it. An interrupted copy resumes where it stopped.
    Exit 1 naming what did not verify, with nothing of it kept; a rewritten history is also
    kept as evidence in DIR/evidence/. Without --once it looks at the log every --interval
    seconds, and stops (exit 1) when what the log serves no longer verifies.
    """
    verifier = NoteVerifier.from_vkey(log_key.strip())
    pinned = _policy(policy)
    data.mkdir(parents=True, exist_ok=True)
    with ExitStack() as opened:  # closed in reverse order on the way out
        store = MirrorStore(data / DB_FILE).open()
        opened.callback(store.close)
        source = LogSource(url)
        opened.callback(source.close)
        witness = None
        if witness_data is not None:
            witness = MirrorWitness(witness_data, verifier, witness_name).open()
            opened.callback(witness.close)
            if witness.created:
                console_err.print(f"created witness {escape(repr(witness.signer.name))}")
            console_err.print(f"witness verifier key: {witness.signer.verifier_key()}")
        follower = Mirror(
            store, source, verifier, data / "evidence", policy=pinned, witness=witness
        )
        follower.bind()
        if once:
            done = follower.sync(_Bar())
            print(
                f"OK: {done.size} entries of {verifier.name} verified and kept "
                f"({done.copied} copied now); root {done.root.hex()}"
            )
            return
        _serve(follower, host, port, interval, pinned is not None)


def _serve(follower: Mirror, host: str, port: int, interval: float, policy_pinned: bool) -> None:
    from credo.api.server import make_server, serve
    from credo.mirror.app import create_mirror_app
    from credo.mirror.poll import Follower
    from credo.settings import Settings

    try:
        follower.check_vkey()  # refuse to start for a log serving another key
    except LogUnavailable as exc:
        if follower.store.checkpoint() is None:
            raise
        console_err.print(f"the log cannot be read ({escape(exc.message)}); serving the copy")
    settings = Settings.model_validate(
        {"data_dir": follower.store.path.parent, "host": host, "port": port}
    )
    app = create_mirror_app(follower.store, follower.vkey, policy_pinned=policy_pinned)
    server = make_server(app, settings)

    def stop(_: CredoError) -> None:
        server.should_exit = True

    poller = Follower(follower, interval, stop, _Bar())
    poller.start()
    try:
        serve(server)
    finally:
        poller.stop()
    if poller.failure is not None:
        raise poller.failure


def register(app: typer.Typer) -> None:
    app.command()(mirror)
