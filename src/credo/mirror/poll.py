"""Following a log while serving it: `Follower` runs `Mirror.sync` every ``interval``
seconds on a thread of its own.

A log that cannot be read, or whose latest checkpoint still waits for its witnesses'
quorum, is tried again at the next round: the mirror goes on serving what it verified. Any
other failure (a tile, entry or checkpoint that does not verify, a rewritten history, a
full disk) stops the follower and calls ``on_fatal``: a mirror that can no longer follow
its log must not go on looking healthy.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from credo.errors import CredoError, Interrupted, LogUnavailable, VerificationError
from credo.mirror.follow import Mirror, Progress

log = logging.getLogger(__name__)


def waiting(exc: CredoError) -> bool:
    """Whether a round's failure is one to wait out: the log unreachable, or its latest
    checkpoint short of the pinned policy's quorum (it is served before its cosignatures)."""
    return isinstance(exc, LogUnavailable) or (
        isinstance(exc, VerificationError) and exc.code == "no_quorum"
    )


class Follower:
    def __init__(
        self,
        mirror: Mirror,
        interval: float,
        on_fatal: Callable[[CredoError], None],
        first_progress: Progress | None = None,
    ) -> None:
        self.mirror = mirror
        self.interval = interval
        self.failure: CredoError | None = None
        self._on_fatal = on_fatal
        self._progress = first_progress
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="credo-mirror", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop at the next entry bundle (what was verified is kept) and wait for it."""
        self._stop.set()
        self.mirror.interrupt.set()
        self._thread.join()

    def _run(self) -> None:
        said = ""
        while not self._stop.is_set():
            try:
                done = self.mirror.sync(self._progress)
            except Interrupted:
                return
            except CredoError as exc:
                if not waiting(exc):
                    log.error("the mirror stops: %s (%s)", exc.message, exc.code)
                    self.failure = exc
                    self._on_fatal(exc)
                    return
                if exc.message != said:  # once per distinct reason, not every round
                    log.warning("waiting: %s (%s)", exc.message, exc.code)
                    said = exc.message
            else:
                self._progress = None  # the bar is for the initial copy
                if said:
                    log.warning("following again")
                    said = ""
                if done.size != done.before:
                    log.info(
                        "verified size %d (root %s), %d entries copied",
                        done.size,
                        done.root.hex(),
                        done.copied,
                    )
            self._stop.wait(self.interval)
