"""Fixtures of the services tests: the credit programme on a consortium with rules adopted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from credo.services.node import DataDir, Node
from credo.services.people import People
from credo.services.programme import Programme
from tests._clock import SetClock
from tests.conftest import adopt_default_rules


@pytest.fixture
def clock() -> SetClock:
    """The node's one clock: the real time until a test sets it."""
    return SetClock()


@pytest.fixture
def node(data_dir: Path, clock: SetClock) -> Iterator[Node]:
    node = Node(DataDir(data_dir), clock=clock).start()
    adopt_default_rules(node)
    yield node
    node.close()


@pytest.fixture
def prog(node: Node) -> Iterator[Programme]:
    people = People.open(node)
    yield Programme(people)
    people.close()
