"""Rescoring on every relevant entry: a background thread fed by the sequencer's listener.

The sequencer only hands over the accepted entries; working out whose score they touch and
recomputing it happens here, off the write path.

A change of rules is a switch, never a mixture. When the adopted rules are not the served
ones (a vote adopted new rules, or the process starts in the middle of a switch), a second
thread scores everyone under the adopted rules in DuckDB while this one goes on rescoring
each person touched, under both rules (`scores.rescore`). When the batch is done it is handed
back here, and this thread, the only one writing scores, stores it (leaving alone everyone
rescored since the batch began, whose score is newer) and moves the serving pointer in the
transaction that writes the last chunk (`scores.switch_rules`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from credo.errors import CredoError
from credo.ledger.validate import Decoded
from credo.scoring.model import Score
from credo.services import scores as service
from credo.services.scores import rescore
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


@dataclass
class SwitchProgress:
    """Where the current change of rules stands. ``phase``: ``reading`` (records out of the
    store), ``scoring`` (DuckDB), ``storing`` (scores written, not served yet), ``done``
    (served) or ``failed`` (retried after the next commit)."""

    rules_hash: str
    phase: str = "reading"
    done: int = 0
    total: int = 0
    started: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, object]:
        return {
            "rules_hash": self.rules_hash,
            "phase": self.phase,
            "done": self.done,
            "total": self.total,
            "started": int(self.started),
        }


@dataclass(frozen=True)
class _BatchDone:
    rules_hash: str
    scores: dict[str, Score] | None  # None: the batch failed


class Rescorer:
    """Rescores the people each commit touches. Nothing one person's rescoring does can stop
    anyone else's: a failure is counted, logged without naming the person, and that person
    is retried with the next commit (and again until it works)."""

    def __init__(self, store: Store, active: Callable[[], bool] = lambda: True) -> None:
        """``active``: whether this process sequences now. Only the sequencer hears commits,
        so only it rescores; a standby sharing the store must not also resume a half-done
        switch at start-up (each would score everyone), and resumes it if it takes over."""
        self.store = store
        self.active = active
        self._resume_due = False  # a start-up check left for when this process sequences
        self._queue: queue.SimpleQueue[list[Decoded] | _BatchDone | None] = queue.SimpleQueue()
        self._retry: set[str] = set()
        self.failures = 0
        """Rescorings that failed since start (each retried later)."""
        self.switch: SwitchProgress | None = None
        """The last change of rules this process ran (None: none yet)."""
        self.switches = 0
        """Changes of rules completed since start."""
        self._batch: threading.Thread | None = None
        self._touched: set[str] = set()  # rescored under the pending rules since its batch began
        self._thread = threading.Thread(target=self._run, name="credo-rescorer", daemon=True)

    def start(self) -> Rescorer:
        """Start the rescoring thread (constructing one starts nothing)."""
        if not self._thread.is_alive():
            self._thread.start()
            self._queue.put([])  # on the thread: resume a switch a stopped process left half done
        return self

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
        votes = False
        for e in entries:
            if e.kind in _SCORED_KINDS:
                subject = self.store.tag_subject(str(e.body["tag"]))
                if subject is not None:
                    subjects.add(subject)
            elif e.kind == "governance.vote":
                votes = True  # a vote may have adopted new rules
        return subjects, votes

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if isinstance(item, _BatchDone):
                self._finish_switch(item)
                continue
            try:
                subjects, votes = self._subjects(item)
                failed = self.switch is not None and self.switch.phase == "failed"
                if not item and not self.active():
                    self._resume_due = True  # [] is the start-up check: not ours yet
                elif votes or failed or not item or self._resume_due:
                    self._resume_due = False
                    self._start_switch_if_due()
            except Exception as exc:  # noqa: BLE001 (nothing may stop the rescoring thread)
                self.failures += 1
                log.warning("rescoring after a commit failed: %s", _why(exc))
                continue
            for subject in subjects | self._retry:
                self._rescore_one(subject)

    def _target(self) -> str | None:
        """The rules hash a switch is due to, if any."""
        adopted = self.store.current_rules()
        if adopted is None or adopted.hash == self.store.serving_rules():
            return None
        return adopted.hash

    def _start_switch_if_due(self) -> None:
        target = self._target()
        running = self._batch is not None and self._batch.is_alive()
        if target is None or (running and self.switch and self.switch.rules_hash == target):
            return
        if running:
            return  # superseded: the finished batch is discarded, then this one starts
        self.switch = SwitchProgress(target)
        self._touched = set()
        self._batch = threading.Thread(
            target=self._score_everyone, args=(self.switch,), name="credo-rules-switch"
        )
        self._batch.daemon = True
        self._batch.start()

    def _score_everyone(self, progress: SwitchProgress) -> None:
        """On the batch thread: everyone's scores under the rules being switched to."""

        def moved(phase: str, done: int, total: int) -> None:
            progress.phase, progress.done, progress.total = phase, done, total
            self._publish(progress)

        try:
            rules = service.rules_by_hash(self.store, progress.rules_hash)
            self._publish(progress)
            read = service.batch_scores(
                self.store, rules, progress.rules_hash, service.now(), moved
            )
        except Exception as exc:  # noqa: BLE001 (a failed batch is retried, never fatal)
            log.warning("rescoring everyone under new rules failed: %s", _why(exc))
            self._queue.put(_BatchDone(progress.rules_hash, None))
            return
        self._queue.put(_BatchDone(progress.rules_hash, read))

    def _publish(self, progress: SwitchProgress) -> None:
        """Progress where `credo score --status` (another process) can read it; a failure to
        publish it is logged and stops nothing."""
        try:
            service.record_switch(self.store, progress.as_dict())
        except Exception as exc:  # noqa: BLE001
            log.warning("publishing the progress of a change of rules failed: %s", _why(exc))

    def _finish_switch(self, done: _BatchDone) -> None:
        if self._batch is not None:
            self._batch.join()  # it has handed its result over and is ending
        progress = self.switch
        if progress is None or progress.rules_hash != done.rules_hash:
            return
        if done.scores is None:
            self.failures += 1
            progress.phase = "failed"
            self._publish(progress)
            return
        if self._target() != done.rules_hash:  # newer rules were adopted meanwhile
            self._start_switch_if_due()
            return

        def moved(phase: str, n: int, total: int) -> None:
            progress.phase, progress.done, progress.total = phase, n, total
            self._publish(progress)

        try:
            service.switch_rules(
                self.store,
                done.rules_hash,
                done.scores,
                self._touched.__contains__,
                moved,
                chunk=service.SWITCH_CHUNK,
            )
        except Exception as exc:  # noqa: BLE001 (nothing may stop the rescoring thread)
            self.failures += 1
            progress.phase = "failed"
            self._publish(progress)
            log.warning("switching to new rules failed: %s", _why(exc))
            return
        progress.phase = "done"
        self._publish(progress)
        self.switches += 1
        self._touched = set()

    def _rescore_one(self, subject: str) -> None:
        try:
            if self.switch is not None and self.switch.phase not in ("done", "failed"):
                self._touched.add(subject)  # before the write: the batch must not undo it
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
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._batch is not None:
            self._batch.join()
