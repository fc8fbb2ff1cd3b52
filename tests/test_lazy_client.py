"""`credo.lazy_client`: no client until one is asked for, then always the same one."""

from __future__ import annotations

import httpx

from credo.lazy_client import LazyClient


def test_the_client_is_made_at_the_first_get_and_once() -> None:
    made: list[httpx.Client] = []

    def make() -> httpx.Client:
        made.append(httpx.Client())
        return made[-1]

    lazy = LazyClient(make)
    assert made == []
    first = lazy.get()
    assert lazy.get() is first
    assert made == [first]
    lazy.close()
    assert first.is_closed


def test_closing_a_client_never_made_makes_none() -> None:
    made: list[httpx.Client] = []
    lazy = LazyClient(lambda: made.append(httpx.Client()) or made[-1])
    lazy.close()
    assert made == []
