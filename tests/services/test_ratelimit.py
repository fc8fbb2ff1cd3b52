"""`credo.services.ratelimit`: a sliding window per key, on a clock the test moves."""

from __future__ import annotations

import pytest

from credo.errors import RateLimited
from credo.services import ratelimit
from credo.services.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_gets_its_limit_per_window_and_a_refusal_counts_nothing() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 60, what="tries", clock=clock)
    limiter.hit("a")
    clock.now += 10
    limiter.hit("a")
    limiter.hit("b")  # keys are counted apart
    with pytest.raises(RateLimited) as refused:
        limiter.hit("a")
    assert refused.value.status == 429
    assert refused.value.retry_after == 50  # the first hit leaves the window then
    assert "at most 2 in 1 min" in refused.value.message
    clock.now += 50
    limiter.hit("a")  # the first left the window; the refusal did not count
    with pytest.raises(RateLimited):
        limiter.hit("a")


def test_memory_is_bounded_under_a_flood_of_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "MAX_KEYS", 100)
    limiter = RateLimiter(1, 60, what="tries", clock=Clock())
    for n in range(1000):
        limiter.hit(f"k{n}")
    assert len(limiter._hits) == 100
    limiter.hit("k0")  # forgotten, so allowed again: the flood cost memory, not the limit


def test_a_limit_must_allow_something() -> None:
    with pytest.raises(ValueError, match="at least one"):
        RateLimiter(0, 60, what="tries")
