"""`credo serve --processes N`: N serving processes on one host, one listening socket.

One Python process serves HTTP on one core: its event loop, the templates and the JSON are
all on one thread. To use every core of a host, the parent binds the listening socket once
and hands it to N child processes (spawned, not forked: the parent has no state worth
copying, and a fresh interpreter holds no lock another thread had). Each child runs its own
uvicorn and its own `Node` on the same data directory (or the same ``--db``), and the kernel
gives each new connection to whichever child calls ``accept`` first, so an idle child takes
more of them than a busy one. (``SO_REUSEPORT`` was the other way: one socket per child with
the kernel hashing connections across them, blind to how busy each is.)

Exactly one child sequences, as with several hosts on one PostgreSQL: each keeps the store's
lease (`credo.ledger.lease`), and the others forward submissions to it. Forwarding needs an
address that reaches that one child, not whichever accepts first, so each child also listens
on a private socket of its own (the same host, a port the kernel picks) and advertises it.
That private address also serves its own figures to its siblings' ``/metrics``.

The parent only supervises: a child that dies is started again (the others serve meanwhile,
and one of them takes the lease over); SIGTERM or SIGINT stops them all, each finishing its
requests in flight. Nothing a person or a member does depends on which child answers:
sessions, CSRF tokens, ceremonies, the vault and the ledger are in the shared files (or the
database), never in one process's memory.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import secrets
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from types import FrameType
from urllib.parse import urlsplit

from starlette.types import ASGIApp

from credo.api.server import STARTUP_FAILURE, make_server
from credo.services.forwarding import VOUCH_KEY_BYTES
from credo.settings import Settings

log = logging.getLogger(__name__)

AppFactory = Callable[[Settings], ASGIApp]
BACKLOG = 4096
"""Connections the kernel holds for the children to accept: a burst waits here rather than
being refused with a reset before the admission limit can answer it 503."""
_QUICK_DEATH_SECONDS = 10.0
"""A child that dies this soon after starting, without ever serving, counts as one that
cannot start (a port, a data directory): the parent gives up rather than loop."""


@dataclass(frozen=True, slots=True)
class Sibling:
    """One serving process as the others see it."""

    index: int
    url: str
    """Its private address (forwarding, its own /metrics)."""


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` that children may inherit.

    Made as TCP explicitly, so that asyncio turns Nagle's algorithm off on each connection
    it accepts (`asyncio.base_events._set_nodelay` looks at the socket's ``proto``). With
    ``proto`` 0 it did not: a response written in two parts waited for the client's delayed
    ACK, and every keep-alive request took 40 ms more (44 ms for ``GET /v1/sequencer``
    against 2 ms with one process; tests/api/test_processes.py)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def private_url(settings: Settings, port: int) -> str:
    """Where the siblings (and other hosts sharing --db) reach the child on ``port``:
    --advertise's scheme and host with that port, else this host's own address."""
    base = urlsplit(settings.advertised_url())
    host = base.hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{base.scheme}://{host}:{port}"


def default_workers(processes: int, cores: int) -> int:
    """Validation workers per serving process: the cores shared out, none when each
    process already has a core of its own (it validates on its own thread then)."""
    return max(0, cores // processes - 1) if processes > 1 else cores


def _child(
    make_app: AppFactory,
    settings: Settings,
    shared: socket.socket,
    private: socket.socket,
    index: int,
    siblings: list[Sibling],
    vouch_key: bytes,
) -> None:
    """One serving process: its app, on the shared socket and its own."""
    mine = siblings[index]
    settings = settings.model_copy(update={"advertise": mine.url})
    app = make_app(settings)
    state = getattr(app, "state", None)
    if state is not None:
        state.process = mine
        state.siblings = [s for s in siblings if s.index != index]
        state.vouch_key = vouch_key
    server = make_server(app, settings)
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[shared, private])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


class Supervisor:
    """Starts the children, starts again one that dies, stops them all on a signal."""

    def __init__(self, make_app: AppFactory, settings: Settings, processes: int) -> None:
        self.make_app = make_app
        self.settings = settings
        self.processes = processes
        self._context = multiprocessing.get_context("spawn")
        self._stopping = False
        self._shared: socket.socket | None = None
        self._private: list[socket.socket] = []
        self._siblings: list[Sibling] = []
        self._children: dict[int, tuple[BaseProcess, float]] = {}
        # Handed to each child through the spawn pipe, never argv or the environment.
        self._vouch_key = secrets.token_bytes(VOUCH_KEY_BYTES)

    def bind(self) -> None:
        """Bind the shared socket and each child's private one (all before any child runs,
        so each knows where its siblings are)."""
        self._shared = listen(self.settings.host, self.settings.port)
        private_host = self.settings.host or "127.0.0.1"
        for index in range(self.processes):
            sock = listen(private_host, 0)
            self._private.append(sock)
            self._siblings.append(Sibling(index, private_url(self.settings, sock.getsockname()[1])))

    def _start(self, index: int) -> None:
        child = self._context.Process(
            target=_child,
            args=(
                self.make_app,
                self.settings,
                self._shared,
                self._private[index],
                index,
                self._siblings,
                self._vouch_key,
            ),
            name=f"credo-serve-{index}",
            daemon=False,
        )
        child.start()
        self._children[index] = (child, time.monotonic())

    def stop(self, signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
        """Ask every child to finish (uvicorn's graceful shutdown on SIGTERM)."""
        self._stopping = True
        for child, _ in self._children.values():
            if child.pid is not None and child.exitcode is None:
                with contextlib.suppress(ProcessLookupError):
                    child.terminate()

    def run(self) -> int:
        """Serve until stopped; the exit status (3 when the port cannot be bound or the
        children could not start, as uvicorn's own startup failure)."""
        try:
            self.bind()
        except OSError as exc:
            print(
                f"error: cannot listen on {self.settings.host}:{self.settings.port}: "
                f"{exc.strerror or exc}",
                file=sys.stderr,
            )
            for sock in [self._shared, *self._private]:
                if sock is not None:
                    sock.close()
            return STARTUP_FAILURE
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for index in range(self.processes):
                self._start(index)
            log.info("serving on %d processes", self.processes)
            return self._watch()
        finally:
            self.stop()
            for child, _ in self._children.values():
                child.join(30)
                if child.exitcode is None:
                    child.kill()
                    child.join()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for sock in [self._shared, *self._private]:
                if sock is not None:
                    sock.close()

    def _watch(self) -> int:
        while not self._stopping:
            sentinels = {child.sentinel: i for i, (child, _) in self._children.items()}
            ready = multiprocessing.connection.wait(list(sentinels), timeout=1.0)
            for sentinel in ready:
                index = sentinels[sentinel]  # type: ignore[index]
                child, began = self._children[index]
                child.join()
                if self._stopping:
                    break
                if time.monotonic() - began < _QUICK_DEATH_SECONDS and (
                    child.exitcode == STARTUP_FAILURE
                ):
                    log.error("serving process %d could not start: stopping", index)
                    return STARTUP_FAILURE
                log.warning(
                    "serving process %d exited (status %s): starting it again",
                    index,
                    child.exitcode,
                )
                self._start(index)
        return 0


def run_processes(make_app: AppFactory, settings: Settings, processes: int) -> None:
    """Serve ``make_app(settings)`` on ``processes`` processes until interrupted.

    ``make_app`` must be importable by name (a module-level function): the children are
    spawned and build their own app from it."""
    status = Supervisor(make_app, settings, processes).run()
    if status:
        sys.exit(status)
