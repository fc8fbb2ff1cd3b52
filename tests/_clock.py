"""A clock for tests: the real time until a test sets it, then that moment until released.
A node is given one (`Node(..., clock=...)`) and its sequencer and services all read it."""

from __future__ import annotations

import time


class SetClock:
    def __init__(self, moment: float | None = None) -> None:
        self.moment = moment

    def __call__(self) -> float:
        return time.time() if self.moment is None else self.moment

    def release(self) -> None:
        self.moment = None
