"""Which of several processes sharing one store is the sequencer: a lease in the store.

Any number of `credo serve` processes may share one database; exactly one of them writes the
log at a time. Each keeps a `Lease`: a thread that claims the store's one lease row, or
renews it while held, every quarter of its length (`Store.claim_lease`, judged by the
database's clock). The holder is the sequencer; the others forward submissions to the URL
the holder advertised, and one of them takes over when the holder stops renewing (killed,
stopped, cut off) and its lease runs out.

Holding the lease is not enough to write: every group commit ends with `WriteTx.fence`,
which checks, inside the transaction, that this holder still holds it at the same epoch.
A sequencer that was paused past its lease (the "zombie") and resumes mid-commit therefore
publishes nothing, and a paused one's open transaction is ended by the server
(`credo.store.postgres.store.IDLE_IN_WRITE_MS`) so that it cannot hold up its successor.

Locally, a holder stops counting itself active a little before the store would: its lease
is measured from before the claim was sent, so a slow answer only shortens it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass

from credo.errors import CredoError
from credo.store import Store

log = logging.getLogger(__name__)

DEFAULT_SECONDS = 2.0
"""How long a lease lasts unrenewed: a dead sequencer's successor takes over within about
this plus a quarter of it."""


@dataclass(frozen=True, slots=True)
class Role:
    """What this process is, as of its last claim."""

    active: bool
    """It holds the lease: it sequences."""
    epoch: int | None
    """The lease's epoch (None: no lease seen yet, or the store did not answer)."""
    active_url: str | None
    """Where the active sequencer takes submissions (this process's own URL when active;
    None when no unexpired lease is known)."""


class Lease:
    """Claims and renews the sequencer's lease for this process, on a thread of its own.

    Constructing one claims nothing: `start` makes the first claim and starts the thread,
    `close` stops it and lets the lease go."""

    def __init__(self, store: Store, url: str, seconds: float = DEFAULT_SECONDS) -> None:
        """``url``: where the other processes reach this one (its advertised address)."""
        self.store = store
        self.url = url
        self.seconds = seconds
        self.holder = uuid.uuid4().hex
        self._role = Role(active=False, epoch=None, active_url=None)
        self._active_until = 0.0  # time.monotonic() past which a held lease is not trusted
        self._claim = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="credo-lease", daemon=True)

    def start(self) -> Lease:
        """Claim now (so a process knows its role before it takes submissions), then renew
        on the lease's thread; a second call does nothing."""
        if not self._thread.is_alive() and not self._stopped.is_set():
            self.refresh()
            self._thread.start()
        return self

    def role(self) -> Role:
        role = self._role
        if role.active and time.monotonic() >= self._active_until:
            return Role(active=False, epoch=role.epoch, active_url=None)
        return role

    def refresh(self) -> Role:
        """Claim or renew now; the role that results."""
        with self._claim:
            if self._stopped.is_set():
                return self._role
            sent = time.monotonic()
            try:
                lease = self.store.claim_lease(self.holder, self.url, self.seconds)
            except CredoError as exc:
                # The store is out of reach: so is every write; count as standby until it
                # answers again.
                if self._role.active:
                    log.warning("sequencer lease not renewed (%s): standing by", exc.code)
                self._role = Role(active=False, epoch=self._role.epoch, active_url=None)
                return self._role
            mine = lease.holder == self.holder and lease.expires_in > 0
            if mine != self._role.active:
                log.info("%s the sequencer (epoch %d)", "now" if mine else "no longer", lease.epoch)
            self._active_until = sent + lease.expires_in if mine else 0.0
            self._role = Role(
                active=mine,
                epoch=lease.epoch,
                active_url=lease.url if lease.expires_in > 0 else None,
            )
            return self._role

    def _run(self) -> None:
        while not self._stopped.wait(self.seconds / 4):
            self.refresh()

    def close(self) -> None:
        """Stop renewing and let the lease go at once, so another process takes over now
        rather than when it would have expired."""
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()
        with self._claim:
            if self._role.active:
                try:
                    self.store.release_lease(self.holder)
                except CredoError as exc:
                    log.warning("sequencer lease not released (%s): it will expire", exc.code)
            self._role = Role(active=False, epoch=self._role.epoch, active_url=None)
