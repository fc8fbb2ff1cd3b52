"""Rate limits: how many of one kind of request a caller (or a request about one person) may
make in a sliding window, counted in memory by the serving process.

Used where a guess or a flood costs a person something: issuing enrolment codes (per
registrar and per person), entering a code on the portal and starting or finishing a passkey
ceremony (per client address). A refusal is `credo.errors.RateLimited` (HTTP 429 with
Retry-After, code ``too_many_attempts``) and does nothing. Counts are per process and
forgotten on restart: each of several API processes on one store allows the limit, which
bounds a flood at the limit times the processes, not at nothing.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from credo.errors import RateLimited

__all__ = ["Limits", "RateLimiter"]

MAX_KEYS = 100_000
"""Keys tracked per limiter: past this the oldest-touched are forgotten, so a flood of
distinct keys (addresses, made-up ids) costs bounded memory."""


class RateLimiter:
    """At most ``limit`` hits per key in any ``window`` seconds (a sliding log of times)."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        what: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit allows at least one hit in a positive window")
        self.limit, self.window, self.what = limit, window, what
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        """Count one more for ``key``, or raise RateLimited (counting nothing) if the
        window already holds ``limit``."""
        now = self._clock()
        with self._lock:
            times = self._hits.pop(key, None) or deque()
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.limit:
                self._hits[key] = times
                wait = max(1, math.ceil(times[0] + self.window - now))
                raise RateLimited(
                    f"too many {self.what}: at most {self.limit} in {_span(self.window)}; "
                    f"try again in {wait} s",
                    code="too_many_attempts",
                    retry_after=wait,
                )
            times.append(now)
            self._hits[key] = times  # re-inserted: the dict's order is least recently hit first
            while len(self._hits) > MAX_KEYS:
                del self._hits[next(iter(self._hits))]


def _span(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return f"{hours} hour{'s' if hours > 1 else ''}"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"


@dataclass(frozen=True)
class Limits:
    """The serving process's limiters (one set per app)."""

    invites_per_registrar: RateLimiter
    invites_per_person: RateLimiter
    codes_per_client: RateLimiter
    ceremonies_per_client: RateLimiter

    @classmethod
    def standard(cls, clock: Callable[[], float] = time.monotonic) -> Limits:
        """A registrar's desk issues a few dozen codes an hour, a person needs a new one
        rarely; a person types their code a few times, and signs in a few times a minute at
        most. Far above honest use, far below guessing."""
        return cls(
            invites_per_registrar=RateLimiter(60, 3600, what="enrolment codes", clock=clock),
            invites_per_person=RateLimiter(3, 86400, what="codes for this person", clock=clock),
            codes_per_client=RateLimiter(10, 600, what="code attempts", clock=clock),
            ceremonies_per_client=RateLimiter(30, 60, what="passkey ceremonies", clock=clock),
        )
