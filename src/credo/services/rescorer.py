"""Rescoring on every relevant entry: a background thread fed by the sequencer's listener.

The sequencer only hands over the accepted entries; working out whose score they touch and
recomputing it happens here, off the write path.
"""

from __future__ import annotations

import logging
import queue
import threading

from credo.errors import CredoError
from credo.ledger.validate import Decoded
from credo.services.scores import rescore, rescore_all
from credo.store import Store

log = logging.getLogger(__name__)

# Entries that change a score; each is a personal entry, whose tag the ledger resolved.
_SCORED_KINDS = {
    "programme.enrol",
    "dispute.open",
    "dispute.answer",
    "dispute.expire",
    "record.put",
    "record.amend",
    "record.retract",
}


def _why(exc: Exception) -> str:
    return exc.code if isinstance(exc, CredoError) else type(exc).__name__


class Rescorer:
    """Rescores the people each commit touches. Nothing one person's rescoring does can stop
    anyone else's: a failure is counted, logged without naming the person, and that person
    is retried with the next commit (and again until it works)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._rules_hash: str | None = None
        self._queue: queue.SimpleQueue[list[Decoded] | None] = queue.SimpleQueue()
        self._retry: set[str] = set()
        self.failures = 0
        """Rescorings that failed since start (each retried later)."""
        self._thread = threading.Thread(target=self._run, name="credo-rescorer", daemon=True)
        self._thread.start()

    @property
    def queued(self) -> int:
        """Commits whose rescoring has not run yet."""
        return self._queue.qsize()

    @property
    def pending_retries(self) -> int:
        """People whose last rescoring failed and who wait for the next attempt."""
        return len(self._retry)

    def on_commit(self, entries: list[Decoded]) -> None:
        self._queue.put(entries)

    def _subjects(self, entries: list[Decoded]) -> tuple[set[str], bool]:
        subjects: set[str] = set()
        everyone = False
        for e in entries:
            if e.kind in _SCORED_KINDS:
                subject = self.store.tag_subject(str(e.body["tag"]))
                if subject is not None:
                    subjects.add(subject)
            elif e.kind == "governance.vote":
                current = self.store.current_rules()  # a vote may have adopted new rules
                if current is not None and current.hash != self._rules_hash:
                    self._rules_hash = current.hash
                    everyone = True
        return subjects, everyone

    def _run(self) -> None:
        while (entries := self._queue.get()) is not None:
            try:
                subjects, everyone = self._subjects(entries)
                if everyone and self.store.current_rules() is not None:
                    rescore_all(self.store)
            except Exception as exc:  # noqa: BLE001 (nothing may stop the rescoring thread)
                self.failures += 1
                log.warning("rescoring after a commit failed: %s", _why(exc))
                continue
            for subject in subjects | self._retry:
                self._rescore_one(subject)

    def _rescore_one(self, subject: str) -> None:
        try:
            rescore(self.store, subject)
        except Exception as exc:  # noqa: BLE001 (one person's failure stops nobody else's)
            self.failures += 1
            self._retry.add(subject)
            # The ref is personal data: the log says what failed, never for whom.
            log.warning(
                "rescoring one person failed (%s); retried after the next commit", _why(exc)
            )
        else:
            self._retry.discard(subject)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
