"""What the write path counts for operators: outcomes by code, group commits, their size and
latency, the last commit's time. Plain numbers; `credo.api.metrics` serves them to Prometheus,
so the ledger does not depend on a metrics library. Codes are credo's own machine codes, so a
label can never carry a person's data."""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from credo.errors import EntryRejected

COMMIT_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
GROUP_ENTRIES = (1, 4, 16, 64, 256, 1024, 4096, 16384)


@dataclass
class Histogram:
    """Cumulative-bucket histogram, as Prometheus reads one."""

    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.bounds) + 1)

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.total += value
        self.count += 1

    def cumulative(self) -> list[tuple[str, int]]:
        """(upper bound, observations at or below it) per bucket, ending with +Inf."""
        out, running = [], 0
        for bound, n in zip([*map(str, self.bounds), "+Inf"], self.counts, strict=True):
            running += n
            out.append((bound, running))
        return out


@dataclass
class LogStats:
    accepted: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    failed_groups: int = 0
    forwarded: int = 0
    """Entries handed to the active sequencer because this process was not it."""
    vouched: int = 0
    """Entries forwarded here by a sibling that vouched for their signatures."""
    group_entries: Histogram = field(default_factory=lambda: Histogram(GROUP_ENTRIES))
    commit_seconds: Histogram = field(default_factory=lambda: Histogram(COMMIT_SECONDS))
    last_commit: float | None = None
    """Unix time of the last group commit (its checkpoint's publication)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def outcomes(self, outcomes: Sequence[object]) -> None:
        refused = [o.code for o in outcomes if isinstance(o, EntryRejected)]
        with self._lock:
            self.accepted += len(outcomes) - len(refused)
            self.refused.update(refused)

    def count_vouched(self, entries: int) -> None:
        with self._lock:
            self.vouched += entries

    def group(self, entries: int, seconds: float, at: float) -> None:
        with self._lock:
            self.group_entries.observe(entries)
            self.commit_seconds.observe(seconds)
            self.last_commit = at
