"""Fixtures of the services tests: the credit programme on a consortium with rules adopted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from credo.services.node import DataDir, Node
from credo.services.people import People
from credo.services.programme import Programme
from tests.conftest import adopt_default_rules


@pytest.fixture
def prog(data_dir: Path) -> Iterator[Programme]:
    node = Node(DataDir(data_dir)).start()
    people = People.open(node)
    adopt_default_rules(node)
    yield Programme(people)
    people.close()
    node.close()
