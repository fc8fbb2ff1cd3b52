"""Which of several processes sharing one store is the sequencer: a lease in the store.

Any number of `credo serve` processes may share one database; exactly one of them writes the
log at a time. Each keeps a `Lease`: a thread that claims the store's one lease row, or
renews it while held, every quarter of its length (`Store.claim_lease`, judged by the
database's clock). The holder is the sequencer; the others forward submissions to the URL
the holder advertised, and one of them takes over when the holder stops renewing (killed,
stopped, cut off) and its lease runs out.

Holding the lease is not enough to write: every group commit ends with `WriteTx.fence`,
which checks, inside the transaction, that this holder still holds it at the same epoch
(no other process claimed it since), and renews it there. A sequencer that was paused past
its lease (the "zombie") while another took it over and resumes mid-commit therefore
publishes nothing, and a paused one's open transaction is ended by the server or its
successor (`credo.store.postgres.store.IDLE_IN_WRITE_MS`) so that it cannot hold up its
successor.

The lease is lost only to another process, never to load. The renewal thread cannot always
run in time: on SQLite a claim is a write and waits for the writer's lock, which a long
group commit holds (a 20,000-record bench once saw a commit outlast the 2 s lease and be
answered 503 not_sequencer); a process starved of CPU renews late too. So each fenced commit
renews the lease in its own transaction and tells this `Lease` (`renewed`); an expired
lease nobody claimed is still this holder's, and its commit goes through. While the
sequencer commits, the thread has nothing to do; it renews when the write path is idle.

Locally, a holder stops counting itself active a little before the store would: its lease
is measured from before the claim (or the fenced commit) was sent, so a slow answer only
shortens it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass

from credo.errors import CredoError
from credo.store import LeaseRow, Store

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
        self._renewed_at = 0.0  # time.monotonic() when the last renewal was sent
        self._claim = threading.Lock()  # one claim at a time
        self._state = threading.Lock()  # guards _role, _active_until, _renewed_at
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
                with self._state:
                    if self._role.active:
                        log.warning("sequencer lease not renewed (%s): standing by", exc.code)
                    self._role = Role(active=False, epoch=self._role.epoch, active_url=None)
                    return self._role
            mine = lease.holder == self.holder and lease.expires_in > 0
            with self._state:
                if mine != self._role.active:
                    log.info(
                        "%s the sequencer (epoch %d)", "now" if mine else "no longer", lease.epoch
                    )
                if mine:
                    self._renewed(sent, lease)
                else:
                    self._active_until = 0.0
                self._role = Role(
                    active=mine,
                    epoch=lease.epoch,
                    active_url=lease.url if lease.expires_in > 0 else None,
                )
                return self._role

    def renewed(self, sent: float, lease: LeaseRow) -> None:
        """A fenced commit renewed the lease (`WriteTx.fence`; ``sent``: `time.monotonic()`
        before the fence was sent, ``lease``: the lease as the commit left it): count as
        active until it runs out, as after a claim. Called by the sequencer after COMMIT."""
        if lease.holder != self.holder or lease.expires_in <= 0:
            return
        with self._state:
            if self._stopped.is_set() or (self._role.epoch or 0) > lease.epoch:
                return
            if not self._role.active:
                log.info("now the sequencer (epoch %d)", lease.epoch)
            self._renewed(sent, lease)
            self._role = Role(active=True, epoch=lease.epoch, active_url=self.url)

    def _renewed(self, sent: float, lease: LeaseRow) -> None:
        """Under ``_state``: trust the lease until ``sent`` plus what it had left, never less
        than an earlier renewal already gave."""
        self._active_until = max(self._active_until, sent + lease.expires_in)
        self._renewed_at = max(self._renewed_at, sent)

    def _run(self) -> None:
        quarter = self.seconds / 4
        while not self._stopped.wait(quarter):
            if self._role.active and time.monotonic() - self._renewed_at < quarter:
                continue  # a commit renewed it just now: no need to wait for the writer's lock
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
            with self._state:
                self._role = Role(active=False, epoch=self._role.epoch, active_url=None)
